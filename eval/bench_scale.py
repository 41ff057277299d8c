"""Scale: index build time, peak memory and query latency as the corpus grows (a benchmark, not a test).

    .venv/bin/python -m eval.bench_scale [--sizes 2,10,100,1000] [--out eval/results]

The size equal to the real corpus (2) is the real plans; every other size is a synthetic corpus
of plan-sized documents made by recombining the real plans' top-level sections (see
`synthesize`), so the text, its markers and its tables stay realistic. Each size is built and
queried in a fresh subprocess, so its peak memory is its own. Writes scale.json, scale.md (the
targets beside the figures) and scale.png (matplotlib, Agg backend).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.bench import percentile
from eval.report import write_report
from eval.retrieval import EVAL_DIR, load_questions
from index.catalog import CATALOG_FILE
from index.corpus import build_corpus, plan_files
from index.document import Document
from index.settings import PROJECT_ROOT, Settings

SIZES = (2, 10, 100, 1000)
SEED = 20240601
TARGETS = {"build_s_at_100": 60.0, "query_p50_ms_at_100": 50.0, "build_exponent": 1.2}
TARGET_SIZE = 100  # the corpus size the build and query targets are stated at


# --- the synthetic corpus ---------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One real plan cut into its opening and its top-level sections, as lines of the file as loaded."""

    document: Document
    head: list[str]  # from the first line to the end of the first top-level section: title, preamble
    sections: list[list[str]]  # every further top-level section with its subsections, in plan order


def sources(plans_dir: Path, max_tokens: int) -> list[Source]:
    """The real plans, parsed once to find where their top-level sections start."""
    out = []
    for doc in build_corpus(plans_dir, max_tokens).documents:
        lines = doc.original.split("\n")  # the loaded text: repair, run again on it, stays realistic
        starts = [s.span.line_start - 1 for s in doc.sections if s.level == 1] + [len(lines)]
        if len(starts) < 3:
            continue  # a plan with one top-level section has nothing to recombine
        parts = [lines[a:b] for a, b in zip(starts[1:], starts[2:])]
        out.append(Source(doc, lines[: starts[1]], parts))
    return out


def synthetic_text(source: Source, rng: random.Random) -> str:
    """The plan's opening, then its top-level sections drawn with replacement until the text is
    as long as the plan's, kept in plan order so the parser meets the markers as it would."""
    target = len(source.document.original)
    size = sum(len(line) + 1 for line in source.head)
    drawn: list[int] = []
    while size < target:
        k = rng.randrange(len(source.sections))
        drawn.append(k)
        size += sum(len(line) + 1 for line in source.sections[k])
    body = [line for k in sorted(drawn) for line in source.sections[k]]
    return "\n".join([*source.head, *body]) + "\n"


def synthesize(plans_dir: Path, n: int, out_dir: Path, max_tokens: int = 400, seed: int = SEED) -> Path:
    """Write `n` synthetic plans and their catalog into `out_dir`; the same seed writes the same files."""
    rng = random.Random(seed)
    pool = sources(plans_dir, max_tokens)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(1, n + 1):
        source = rng.choice(pool)
        doc = source.document
        name = f"synthetic-{i:04d}.txt"
        (out_dir / name).write_text(synthetic_text(source, rng), encoding="utf-8")
        entries.append({"id": f"synthetic-{i:04d}", "file": name, "title": f"{doc.title}（合成 {i}）",
                        "title_en": f"{doc.title_en} (synthetic {i})", "language": doc.language})
    # JSON strings are valid TOML basic strings, so no TOML writer is needed.
    toml = "".join("[[document]]\n" + "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n" for k, v in e.items()) + "\n"
                   for e in entries)
    (out_dir / CATALOG_FILE).write_text(toml, encoding="utf-8")
    return out_dir


def corpus_for(n: int, plans_dir: Path, work: Path) -> Path:
    """The real plans when `n` is their number, else a synthetic corpus of `n` documents."""
    return plans_dir if n == len(plan_files(plans_dir)) else synthesize(plans_dir, n, work / f"plans-{n}")


# --- one size, measured in its own process ----------------------------------------------


_WHO = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)  # a large build's keyword index is written by a child


def _peak_mib() -> float:
    """The highest peak resident memory so far of this process or a child it waited for (KiB on Linux)."""
    return round(max(resource.getrusage(who).ru_maxrss for who in _WHO) / 1024, 1)


def _cpu_s() -> float:
    """CPU time so far of this process and the children it waited for: on a shared machine,
    steadier than the wall clock."""
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, _WHO))


def measure(plans_dir: Path, data_dir: Path) -> dict[str, Any]:
    """Build the index of `plans_dir`, open it, and time every eval question after one warm-up."""
    from assistant.retrieve import Searcher
    from index.build import build_index

    settings = Settings(plans_dir=plans_dir, data_dir=data_dir)
    started, cpu = time.perf_counter(), _cpu_s()
    manifest, _ = build_index(settings, progress=False)
    build_s, build_cpu_s = time.perf_counter() - started, _cpu_s() - cpu
    build_peak = _peak_mib()
    started = time.perf_counter()
    searcher = Searcher(settings)
    load_s = time.perf_counter() - started
    questions = [q.question for q in load_questions()]
    searcher.search(questions[0])  # warm-up: first-call costs (Sudachi, Chroma's caches) are not query cost
    ms = []
    for q in questions:
        started = time.perf_counter()
        searcher.search(q)
        ms.append((time.perf_counter() - started) * 1000)
    report = manifest.report
    return {
        "documents": report["documents"],
        "chunks": report["chunks"],
        "characters": sum(len(d.text) for d in searcher.document_texts.values()),
        "errors": len(report["errors"]),
        "build_s": round(build_s, 2),
        "build_cpu_s": round(build_cpu_s, 2),
        "build_peak_mib": build_peak,
        "searcher_load_s": round(load_s, 2),
        "peak_mib": _peak_mib(),
        "queries": len(ms),
        "query_p50_ms": round(statistics.median(ms), 2),
        "query_p95_ms": round(percentile(ms, 0.95), 2),
        "index_mib": round(sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file()) / 2**20, 1),
    }


def measure_in_child(plans_dir: Path, data_dir: Path) -> dict[str, Any]:
    """`measure` in a fresh interpreter: its peak memory is this size's alone."""
    command = [sys.executable, "-m", "eval.bench_scale", "--measure", str(plans_dir), "--data", str(data_dir)]
    done = subprocess.run(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the whole run ----------------------------------------------------------------------


def growth_exponent(rows: list[dict[str, Any]], key: str) -> float | None:
    """Slope of log(key) against log(documents), least squares: 1 is linear growth.

    Fitted over the synthetic sizes only (documents of one mix); the real corpus stands apart."""
    points = [(math.log(r["documents"]), math.log(r[key])) for r in rows if r["synthetic"] and r[key] > 0]
    if len(points) < 2:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return round(sum((x - mx) * (y - my) for x, y in points) / sxx, 3) if sxx else None


def run(sizes: list[int], plans_dir: Path, work: Path) -> dict[str, Any]:
    rows = []
    for n in sizes:
        folder = corpus_for(n, plans_dir, work)
        print(f"{n} documents: building and querying…", file=sys.stderr, flush=True)
        row = {"synthetic": folder != plans_dir, **measure_in_child(folder, work / f"data-{n}")}
        print(f"  {_summary(row)}", file=sys.stderr, flush=True)
        rows.append(row)
    return {
        "sizes": rows,
        "build_exponent": growth_exponent(rows, "build_s"),
        "targets": TARGETS,
        "machine": {"cpus": os.cpu_count(), "memory_gib": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1)},
        "seed": SEED,
    }


def _summary(row: dict[str, Any]) -> str:
    return (f"{row['chunks']} chunks, build {row['build_s']} s, peak {row['peak_mib']} MiB, "
            f"query p50 {row['query_p50_ms']} ms, p95 {row['query_p95_ms']} ms")


def target_rows(result: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, stated, measured, met) — met is None when the run did not include the size."""
    at = next((r for r in result["sizes"] if r["documents"] == TARGET_SIZE), None)
    largest = max(result["sizes"], key=lambda r: r["documents"])
    exponent = result["build_exponent"]
    return [
        (f"build at {TARGET_SIZE} documents", f"≤ {TARGETS['build_s_at_100']:g} s",
         f"{at['build_s']} s" if at else "not run", at["build_s"] <= TARGETS["build_s_at_100"] if at else None),
        (f"query p50 at {TARGET_SIZE} documents", f"≤ {TARGETS['query_p50_ms_at_100']:g} ms",
         f"{at['query_p50_ms']} ms" if at else "not run", at["query_p50_ms"] <= TARGETS["query_p50_ms_at_100"] if at else None),
        ("build cost growth (log-log slope)", f"close to linear (≤ {TARGETS['build_exponent']:g})",
         f"{exponent}" if exponent is not None else "not run", exponent <= TARGETS["build_exponent"] if exponent is not None else None),
        (f"largest build ({largest['documents']} documents) completes", f"within {result['machine']['memory_gib']} GiB",
         f"peak {largest['peak_mib'] / 1024:.2f} GiB", largest["errors"] == 0),
    ]


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        "# Scale: build, memory and query latency by corpus size",
        "",
        f"{m['cpus']} CPUs, {m['memory_gib']} GiB. Offline defaults (hashed vectors, embedded Chroma). "
        f"Synthetic corpora recombine the real plans' top-level sections (seed {result['seed']}). "
        "Each size in a fresh process; query latency over every eval question after one warm-up.",
        "",
        "| documents | corpus | chunks | characters | build s | build CPU s | build peak MiB | searcher load s | peak MiB | index MiB | query p50 ms | query p95 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in result["sizes"]:
        lines.append(
            f"| {r['documents']} | {'synthetic' if r['synthetic'] else 'real'} | {r['chunks']} | {r['characters']:,} "
            f"| {r['build_s']} | {r['build_cpu_s']} | {r['build_peak_mib']} | {r['searcher_load_s']} | {r['peak_mib']} | {r['index_mib']} "
            f"| {r['query_p50_ms']} | {r['query_p95_ms']} |"
        )
    lines += ["", "## Targets", "", "| target | stated | measured | met |", "| --- | --- | --- | --- |"]
    for name, stated, measured, met in target_rows(result):
        lines.append(f"| {name} | {stated} | {measured} | {'—' if met is None else 'yes' if met else 'NO'} |")
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> None:
    """Build seconds, peak memory and query p50 against documents, log-log, with the targets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["sizes"]
    docs = [r["documents"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    panels = [
        ("build_s", "index build (s)", TARGETS["build_s_at_100"]),
        ("peak_mib", "peak memory (MiB)", None),
        ("query_p50_ms", "query p50 (ms)", TARGETS["query_p50_ms_at_100"]),
    ]
    for ax, (key, title, target) in zip(axes, panels):
        values = [r[key] for r in rows]
        ax.loglog(docs, values, "o-", label="measured")
        if key == "build_s":  # linear growth through the first synthetic point, for comparison
            base = next((r for r in rows if r["synthetic"]), rows[0])
            ax.loglog(docs, [base[key] * d / base["documents"] for d in docs], ":", color="grey", label="linear")
        if target is not None:
            ax.plot([TARGET_SIZE], [target], "r_", markersize=18, mew=2, label=f"target at {TARGET_SIZE}")
        ax.set_title(title)
        ax.set_xlabel("documents")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write(result: dict[str, Any], out: Path) -> None:
    write_report(out, "scale", result, markdown(result))
    plot(result, out / "scale.png")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="corpus sizes in documents, comma-separated")
    parser.add_argument("--out", type=Path, default=EVAL_DIR / "results", help="folder for scale.json/.md/.png")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child: measure one plans folder
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.data)))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    plans_dir = Settings().plans_dir
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        result = run(sizes, plans_dir, Path(tmp))
    write(result, args.out)


if __name__ == "__main__":
    main()
