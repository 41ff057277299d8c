"""Rebuilds in a long-running service: open files, threads and memory over upload/delete cycles
(a benchmark, not a test; `tests/test_rebuilds.py` asserts the counts in-process).

    .venv/bin/python -m eval.bench_rebuilds [--cycles 20]

Starts the real service (`plan-assistant serve`) on a copy of the plans, uploads a plan and
deletes it `cycles` times through the API (two rebuilds a cycle, a question asked between
each), and reads the server process's open files, threads and RSS from /proc after a warm-up
cycle and after the last. Writes eval/results/rebuilds.{json,md}. Target (issue 10): 40
rebuilds leave open files within +10, threads within +5 and RSS within +60 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import httpx

from eval.processes import serve
from eval.report import write_report
from eval.retrieval import EVAL_DIR

ROOT = EVAL_DIR.parent
ADMIN_KEY = "bench-admin-key"
PLAN = "ペンギン観測計画\n\n第1章 観測拠点\n1. 南極に観測拠点を整備し、国際共同研究を推進する。\n".encode()


def _process(pid: int) -> dict[str, int]:
    rss = next(int(ln.split()[1]) for ln in Path(f"/proc/{pid}/status").read_text().splitlines() if ln.startswith("VmRSS:"))
    return {"open_files": len(os.listdir(f"/proc/{pid}/fd")), "threads": len(os.listdir(f"/proc/{pid}/task")),
            "rss_mib": round(rss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20, help="upload/delete cycles (two rebuilds each)")
    cycles = parser.parse_args().cycles
    headers = {"X-API-Key": ADMIN_KEY}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(ROOT / "plans", folder / "plans")
        env = {"PLAN_ASSISTANT_PLANS_DIR": str(folder / "plans"), "PLAN_ASSISTANT_DATA_DIR": str(folder / "data"),
               "PLAN_ASSISTANT_ADMIN_KEY": ADMIN_KEY}
        with serve(env, folder) as (server,), httpx.Client(base_url=server.url, timeout=120) as http:
            def cycle() -> None:
                http.post("/v1/documents", files={"file": ("penguin-plan.txt", PLAN)}, headers=headers).raise_for_status()
                http.post("/v1/ask", json={"question": "南極の観測拠点は？"}).raise_for_status()
                http.delete("/v1/documents/penguin-plan", headers=headers).raise_for_status()
                http.post("/v1/ask", json={"question": "短期借入金の限度額は？"}).raise_for_status()

            cycle()  # warm-up: caches filled, lazily started threads running
            before = _process(server.process.pid)
            samples = []
            for n in range(1, cycles + 1):
                cycle()
                samples.append({"rebuilds": 2 * n, **_process(server.process.pid)})
            after = samples[-1]
    grown = {k: round(after[k] - before[k], 1) for k in before}
    figures = {"cycles": cycles, "rebuilds": 2 * cycles, "before": before, "after": after, "grown": grown,
               "samples": samples, "targets": {"open_files": 10, "threads": 5, "rss_mib": 60}}
    lines = ["# Rebuilds in a running service (`python -m eval.bench_rebuilds`)", "",
             f"{cycles} upload/delete cycles through the API: {2 * cycles} rebuilds, after one warm-up cycle.", "",
             "| | before | after | grown | target |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {k} | {before[k]} | {after[k]} | {grown[k]:+} | ≤ +{figures['targets'][k]} |" for k in before]
    lines += ["", "| rebuilds | open files | threads | RSS MiB |", "| --- | --- | --- | --- |"]
    lines += [f"| {s['rebuilds']} | {s['open_files']} | {s['threads']} | {s['rss_mib']} |" for s in samples[4::5]]
    write_report(EVAL_DIR / "results", "rebuilds", figures, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
