"""Our search beside the naive LangChain pipeline: quality and latency, same questions, same run.

    .venv/bin/python -m eval.bench_naive [--out eval/results]

`eval.retrieval.evaluate` already runs both pipelines in one process and times every question
of each; this shows the two side by side, latency p50/p95 included, on a fresh index of the
real plans (built in a temporary folder, so the live one is not touched). Writes naive.json
and naive.md.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from assistant.retrieve import Searcher
from eval import retrieval
from eval.report import write_report
from index.build import build_index
from index.corpus import build_corpus
from index.settings import Settings

GROUPS = ("all", "lang=ja", "lang=en")
COLUMNS = ("hit@1", "hit@5", "mrr", "ndcg@5", "p50_ms", "p95_ms")


def compare() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-naive-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        build_index(settings, progress=False)
        report = retrieval.evaluate(Searcher(settings), build_corpus(settings.plans_dir, settings.chunk_max_tokens),
                                    retrieval.load_questions())
    return {"ours": {g: report.ours[g] for g in GROUPS}, "naive": {g: report.naive[g] for g in GROUPS}, "meta": report.meta}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Our search beside the naive LangChain pipeline",
        "",
        f"{result['meta']['answerable']} answerable questions, top {result['meta']['k']}, both run in one process. "
        "Naive: RecursiveCharacterTextSplitter(500, 50), the same embedding, Chroma similarity search. "
        "Latency is per question, search only (neither pipeline's indexing).",
        "",
        "| group | pipeline | " + " | ".join(COLUMNS) + " |",
        "| --- | --- | " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    for group in GROUPS:
        for pipeline in ("ours", "naive"):
            m = result[pipeline][group]
            lines.append(f"| {group} | {pipeline} | " + " | ".join(f"{m[c]:.3f}" if "ms" not in c else f"{m[c]:.2f}"
                                                                    for c in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_naive", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=retrieval.EVAL_DIR / "results", help="folder for naive.json/.md")
    args = parser.parse_args(argv)
    result = compare()
    write_report(args.out, "naive", result, markdown(result))


if __name__ == "__main__":
    main()
