"""Speed of the service: time to ready, and /v1/ask latency under concurrent clients (a benchmark).

    .venv/bin/python -m eval.bench_api [--clients 1,8,32] [--requests 400] [--workers 1,2]

Starts `plan-assistant serve --no-ui` in its own process on a free loopback port (the index
built first, as `make serve` does), waits for /readyz, then, at each concurrency, sends the
evaluation questions over N keep-alive connections at once and measures each /v1/ask round
trip, beside /healthz at the same concurrency (the framework's own floor). With several
workers the service runs as it is deployed for them: over a `chroma run` server, started
here, with a build of its own in a temporary data folder. Writes eval/results/bench_api.{json,md}.
Targets (issue: service): p50 under 30 ms and p99 under 150 ms with 8 concurrent clients on
2 cores, offline answerer; ready within 10 s of start.

The load comes from one asyncio loop writing raw HTTP/1.1: a Python HTTP client costs about
a millisecond of CPU a request, which on two cores would be measured as the service's latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


from eval.bench import percentile
from eval.processes import chroma_server, serve
from eval.report import write_report
from eval.retrieval import EVAL_DIR, load_questions
from index.build import build_index
from index.settings import Settings

TARGETS = {"p50_ms": 30, "p99_ms": 150, "ready_s": 10, "at_clients": 8}


def _request(port: int, path: str, body: dict | None) -> bytes:
    if body is None:
        return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    data = json.dumps(body, ensure_ascii=False).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n")
    return head.encode() + data


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one response (Content-Length framed, as the service sends for JSON); its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next(int(v) for k, _, v in (ln.partition(":") for ln in lines[1:]) if k.lower() == "content-length")
    await reader.readexactly(length)
    return status


async def _load(port: int, requests: list[bytes], clients: int) -> tuple[list[tuple[float, int]], float]:
    """Send `requests` over `clients` connections, each one request at a time; (ms, status) each."""
    queue = iter(requests)
    results: list[tuple[float, int]] = []

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in queue:  # shared iterator: each request is sent once, by whichever client is free
                started = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                results.append(((time.perf_counter() - started) * 1000, status))
        finally:
            writer.close()

    wall = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return results, time.perf_counter() - wall


def _figures(results: list[tuple[float, int]], wall: float) -> dict:
    ms = [m for m, _ in results]
    return {"requests": len(ms), "errors": sum(1 for _, status in results if status != 200),
            "p50": round(statistics.median(ms), 1), "p95": round(percentile(ms, 0.95), 1),
            "p99": round(percentile(ms, 0.99), 1), "max": round(max(ms), 1),
            "throughput_rps": round(len(ms) / wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--requests", type=int, default=400, help="requests per level and endpoint")
    parser.add_argument("--workers", default="1,2", help="service processes to measure, comma-separated")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    questions = [q.question for q in load_questions()]
    runs = []
    for workers in (int(w) for w in args.workers.split(",")):
        if workers == 1:
            build_index(Settings(), progress=False)
            runs.append(_measure(levels, args.requests, workers, {}, questions))
            continue
        with tempfile.TemporaryDirectory() as tmp, chroma_server(Path(tmp) / "chroma") as port:
            env = {"PLAN_ASSISTANT_CHROMA_HOST": "127.0.0.1", "PLAN_ASSISTANT_CHROMA_PORT": str(port),
                   "PLAN_ASSISTANT_DATA_DIR": str(Path(tmp) / "data")}
            build_index(Settings(chroma_host="127.0.0.1", chroma_port=port, data_dir=Path(tmp) / "data"), progress=False)
            runs.append(_measure(levels, args.requests, workers, env, questions))
    figures = {"runs": runs, "targets": TARGETS, "cpus": os.cpu_count()}
    write_report(EVAL_DIR / "results", "bench_api", figures, _markdown(figures))


def _measure(levels: list[int], requests: int, workers: int, env: dict[str, str], questions: list[str]) -> dict:
    """Start the service with `workers` processes, time each level, stop it."""
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as logs, \
            serve({**env, "PLAN_ASSISTANT_WORKERS": str(workers)}, Path(logs), ready_within=60, cwd=Path.cwd()) as [server]:
        ready_s = time.perf_counter() - started
        port = server.port
        asks = [_request(port, "/v1/ask", {"question": questions[i % len(questions)]}) for i in range(requests)]
        health = [_request(port, "/healthz", None)] * requests
        asyncio.run(_load(port, asks[:40], 4))  # warm up
        for clients in levels:
            floor = _figures(*asyncio.run(_load(port, health, clients)))
            ask = _figures(*asyncio.run(_load(port, asks, clients)))
            rows.append({"clients": clients, "ask_ms": ask, "healthz_ms": floor,
                         "ratio_p50": round(ask["p50"] / max(floor["p50"], 0.01), 1)})
    return {"workers": workers, "ready_s": round(ready_s, 2), "levels": rows}


def _markdown(figures: dict) -> str:
    t = figures["targets"]
    lines = [
        "# Service latency (`python -m eval.bench_api`)", "",
        f"{figures['cpus']} CPUs; the load generator runs on the same machine. Targets at {t['at_clients']} clients: "
        f"/v1/ask p50 < {t['p50_ms']} ms, p99 < {t['p99_ms']} ms; ready < {t['ready_s']} s after start. One worker is "
        "`make serve`; several share a `chroma run` server (`plan-assistant serve --workers N`).", "",
        "| workers | ready | clients | /v1/ask p50 | p95 | p99 | max | requests/s | errors | /healthz p50 | /healthz p99 "
        "| ask ÷ healthz (p50) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in figures["runs"]:
        for row in run["levels"]:
            a, h = row["ask_ms"], row["healthz_ms"]
            lines.append(f"| {run['workers']} | {run['ready_s']} s | {row['clients']} | {a['p50']} ms | {a['p95']} ms | "
                         f"{a['p99']} ms | {a['max']} ms | {a['throughput_rps']} | {a['errors'] + h['errors']} | "
                         f"{h['p50']} ms | {h['p99']} ms | {row['ratio_p50']}× |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
