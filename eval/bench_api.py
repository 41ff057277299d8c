"""Speed of the service: time to ready, and /v1/ask latency under concurrent clients (a benchmark).

    .venv/bin/python -m eval.bench_api [--clients 8] [--requests 400]

Starts `plan-assistant serve --no-ui` in its own process on a free loopback port (the index
built first, as `make serve` does), waits for /readyz, then sends the evaluation questions
from N client threads at once and measures each /v1/ask round trip. Prints the figures and
writes eval/results/bench_api.json. Targets (issue: service): p50 under 30 ms and p99 under
150 ms with 8 concurrent clients on 2 cores, offline answerer; ready within 10 s of start.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from eval.bench import percentile
from eval.retrieval import EVAL_DIR, load_questions
from index.build import build_index
from index.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    build_index(Settings(), progress=False)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "plan-assistant"), "serve", "--no-ui", "--port", str(port)]
    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    try:
        ready_s = _wait_ready(base, started)
        questions = [q.question for q in load_questions()]
        work = [questions[i % len(questions)] for i in range(args.requests)]
        with httpx.Client(base_url=base, timeout=30) as client:
            for q in questions[:20]:
                client.post("/v1/ask", json={"question": q})  # warm up

        local = threading.local()  # one keep-alive connection per client, as a real client holds

        def ask(question: str | None) -> tuple[float, int]:
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=base, timeout=30)
            t = time.perf_counter()
            if question is None:
                status = local.client.get("/healthz").status_code
            else:
                status = local.client.post("/v1/ask", json={"question": question}).status_code
            return (time.perf_counter() - t) * 1000, status

        with ThreadPoolExecutor(args.clients) as pool:
            floor = [m for m, _ in pool.map(ask, [None] * len(work))]  # the framework's own cost
            wall = time.perf_counter()
            results = list(pool.map(ask, work))
            wall = time.perf_counter() - wall
    finally:
        server.terminate()
        server.wait(10)
    ms = [m for m, _ in results]
    figures = {
        "ready_s": round(ready_s, 2),
        "clients": args.clients,
        "requests": len(ms),
        "errors": sum(1 for _, status in results if status != 200),
        "ask_ms": {"p50": round(statistics.median(ms), 1), "p95": round(percentile(ms, 0.95), 1),
                   "p99": round(percentile(ms, 0.99), 1), "max": round(max(ms), 1)},
        "throughput_rps": round(len(ms) / wall, 1),
        "healthz_ms": {"p50": round(statistics.median(floor), 1), "p99": round(percentile(floor, 0.99), 1)},
        "targets": {"p50_ms": 30, "p99_ms": 150, "ready_s": 10},
    }
    out = EVAL_DIR / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_api.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    a = figures["ask_ms"]
    print(f"ready {figures['ready_s']} s after start (target < 10 s)")
    print(f"/v1/ask, {args.clients} clients, {len(ms)} requests ({figures['errors']} errors): p50 {a['p50']} ms, "
          f"p95 {a['p95']} ms, p99 {a['p99']} ms, max {a['max']} ms (targets p50 < 30, p99 < 150); "
          f"{figures['throughput_rps']} requests/s")
    h = figures["healthz_ms"]
    print(f"/healthz at the same concurrency (the framework's floor): p50 {h['p50']} ms, p99 {h['p99']} ms; "
          f"answering costs {a['p50'] / max(h['p50'], 0.01):.1f}× the floor at p50")


def _wait_ready(base: str, started: float, limit: float = 60) -> float:
    while time.perf_counter() - started < limit:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"the service was not ready within {limit} s")


if __name__ == "__main__":
    main()
