"""Speed: index build, search and offline answer latency on the two plans (a benchmark, not a test).

    .venv/bin/python -m eval.bench

Prints the figures and writes them to eval/results/bench.{json,md}. Targets: retrieval p50 under
10 ms for one question; a full build of both plans under 5 s; an offline answer (the whole
chain) p50 under 30 ms.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from assistant.chain import AnswerChain, Request
from assistant.retrieve import Searcher
from eval.report import write_report
from eval.retrieval import EVAL_DIR, load_questions
from index.build import build_index
from index.settings import Settings

BUILDS = 3
ROUNDS = 3


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def main() -> None:
    base = Settings()
    build_s = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(BUILDS):
            settings = base.model_copy(update={"data_dir": Path(tmp) / f"run{n}"})
            started = time.perf_counter()
            build_index(settings, progress=False)
            build_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        searcher = Searcher(settings)
        load_s = time.perf_counter() - started
        questions = [q.question for q in load_questions()]
        for q in questions[:20]:
            searcher.search(q)  # warm up
        chain = AnswerChain(searcher)
        ms = _timed(searcher.search, questions)
        answer_ms = _timed(lambda q: chain.invoke(Request(q)), questions)
    figures = {
        "build_s": {"median": round(statistics.median(build_s), 3), "runs": [round(s, 3) for s in build_s]},
        "searcher_load_s": round(load_s, 3),
        "search_ms": {
            "queries": len(ms),
            "p50": round(statistics.median(ms), 2),
            "p95": round(percentile(ms, 0.95), 2),
            "max": round(max(ms), 2),
        },
        "answer_ms": {
            "queries": len(answer_ms),
            "p50": round(statistics.median(answer_ms), 2),
            "p95": round(percentile(answer_ms, 0.95), 2),
            "max": round(max(answer_ms), 2),
        },
        "targets": {"search_p50_ms": 10, "build_s": 5, "answer_p50_ms": 30},
    }
    s, a = figures["search_ms"], figures["answer_ms"]
    report = "\n".join([
        "# Build, search and answer latency (`python -m eval.bench`)", "",
        "| what | figure | target |", "| --- | --- | --- |",
        f"| build of both plans, fresh (median of {BUILDS}) | {figures['build_s']['median']} s | < 5 s |",
        f"| searcher load | {figures['searcher_load_s']} s | |",
        f"| search, {s['queries']} queries | p50 {s['p50']} ms, p95 {s['p95']} ms, max {s['max']} ms | p50 < 10 ms |",
        f"| offline answer (whole chain), {a['queries']} questions | p50 {a['p50']} ms, p95 {a['p95']} ms, "
        f"max {a['max']} ms | p50 < 30 ms |",
    ]) + "\n"
    write_report(EVAL_DIR / "results", "bench", figures, report)


def _timed(run, questions: list[str]) -> list[float]:
    ms = []
    for _ in range(ROUNDS):
        for q in questions:
            started = time.perf_counter()
            run(q)
            ms.append((time.perf_counter() - started) * 1000)
    return ms


if __name__ == "__main__":
    main()
