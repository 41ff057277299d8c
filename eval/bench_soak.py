"""The service over a long run: a soak at moderate load, then the same load across rebuilds
(a benchmark, not a test: tests/test_reliability.py checks memory over a fixed count of
requests, and the answers while a build is held and once it is switched in, without timing).

    .venv/bin/python -m eval.bench_soak [--requests 20000] [--clients 3] [--cycles 5]

Starts the real service (`plan-assistant serve`) on a copy of the plans, with the index built
before it starts (a build in the service leaves it freed heap, which would hide growth), and
asks the evaluation questions in passes over `clients` keep-alive connections until `requests`
are answered, reading the server's RSS, open files and threads after a warm-up pass and after
every pass. Then it keeps that load on while a plan is uploaded and deleted `cycles` times
through the API. Writes eval/results/soak.{json,md}: requests, failures, p50/p99, RSS before
and after.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import threading
from pathlib import Path

import httpx

from eval.bench_api import _figures, _load, _request
from eval.bench_rebuilds import ADMIN_KEY, PLAN, _process
from eval.processes import serve
from eval.report import write_report
from eval.retrieval import EVAL_DIR, load_questions
from index.build import build_index
from index.settings import Settings

ROOT = EVAL_DIR.parent


def _across_rebuilds(http: httpx.Client, port: int, asks: list[bytes], clients: int, cycles: int) -> tuple[list, float]:
    """The load kept on (whole passes, at least one) while `cycles` uploads and deletes rebuild the index."""
    headers = {"X-API-Key": ADMIN_KEY}
    failed: list[httpx.HTTPError] = []

    def rebuild() -> None:
        try:
            for _ in range(cycles):
                http.post("/v1/documents", files={"file": ("penguin-plan.txt", PLAN)}, headers=headers).raise_for_status()
                http.delete("/v1/documents/penguin-plan", headers=headers).raise_for_status()
        except httpx.HTTPError as exc:  # raised again in the main thread
            failed.append(exc)

    rebuilding = threading.Thread(target=rebuild, name="rebuilds")
    results: list[tuple[float, int]] = []
    wall = 0.0
    rebuilding.start()
    try:
        while rebuilding.is_alive() or not results:
            done, seconds = asyncio.run(_load(port, asks, clients))
            results += done
            wall += seconds
    finally:
        rebuilding.join()
    if failed:
        raise failed[0]
    return results, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests in the soak (whole passes)")
    parser.add_argument("--clients", type=int, default=3, help="concurrent connections")
    parser.add_argument("--cycles", type=int, default=5, help="upload/delete cycles under load (two rebuilds each)")
    args = parser.parse_args()
    questions = [q.question for q in load_questions()]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(ROOT / "plans", folder / "plans")
        build_index(Settings(plans_dir=folder / "plans", data_dir=folder / "data"), progress=False)
        env = {"PLAN_ASSISTANT_PLANS_DIR": str(folder / "plans"), "PLAN_ASSISTANT_DATA_DIR": str(folder / "data"),
               "PLAN_ASSISTANT_ADMIN_KEY": ADMIN_KEY}
        with serve(env, folder) as (server,), httpx.Client(base_url=server.url, timeout=120) as http:
            pid, asks = server.process.pid, [_request(server.port, "/v1/ask", {"question": q}) for q in questions]
            asyncio.run(_load(server.port, asks, args.clients))  # warm-up: caches filled, arenas grown
            before, samples = _process(pid), []
            results: list[tuple[float, int]] = []
            wall = 0.0
            while len(results) < args.requests:
                done, seconds = asyncio.run(_load(server.port, asks, args.clients))
                results += done
                wall += seconds
                samples.append({"requests": len(results), **_process(pid)})
            soak, after = _figures(results, wall), _process(pid)
            rebuilds = _figures(*_across_rebuilds(http, server.port, asks, args.clients, args.cycles))
            after_rebuilds = _process(pid)
    figures = {"clients": args.clients, "soak": soak, "rebuilds": {"count": 2 * args.cycles, **rebuilds},
               "process": {"before": before, "after": after, "after_rebuilds": after_rebuilds,
                           "grown": {k: round(after[k] - before[k], 1) for k in before}},
               "samples": samples}
    write_report(EVAL_DIR / "results", "soak", figures, _markdown(figures))


def _markdown(figures: dict) -> str:
    soak, rebuilds, process = figures["soak"], figures["rebuilds"], figures["process"]
    lines = ["# Soak (`python -m eval.bench_soak`)", "",
             f"The evaluation questions in passes over {figures['clients']} connections, after one warm-up pass; "
             f"then the same load while {rebuilds['count']} rebuilds (uploads and deletes) run.", "",
             "| phase | requests | failures | p50 | p95 | p99 | max | requests/s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, f in (("soak", soak), (f"across {rebuilds['count']} rebuilds", rebuilds)):
        lines.append(f"| {name} | {f['requests']} | {f['errors']} | {f['p50']} ms | {f['p95']} ms | {f['p99']} ms | "
                     f"{f['max']} ms | {f['throughput_rps']} |")
    lines += ["", "| | before the soak | after it | grown | after the rebuilds |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {k} | {process['before'][k]} | {process['after'][k]} | {process['grown'][k]:+} | "
              f"{process['after_rebuilds'][k]} |" for k in process["before"]]
    step = max(1, len(figures["samples"]) // 10)
    lines += ["", "| requests | RSS MiB | open files | threads |", "| --- | --- | --- | --- |"]
    lines += [f"| {s['requests']} | {s['rss_mib']} | {s['open_files']} | {s['threads']} |"
              for s in figures["samples"][step - 1::step]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
