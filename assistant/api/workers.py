"""Several service processes on one port, to use several cores (`plan-assistant serve --workers N`).

Answering is CPU-bound Python, so one process uses one core. Each worker here binds a
listening socket of its own to the port with SO_REUSEPORT, and the kernel spreads new
connections over the workers by their addresses. uvicorn's own `--workers` shares one
socket instead, and the worker that accepted last tends to accept again: measured, 8
keep-alive clients on 2 such workers ran at one worker's throughput. The workers share a
`chroma run` server (the embedded store is not process-safe); the parent only starts them,
passes SIGTERM and SIGINT on, and stops them all when one dies.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
from multiprocessing.connection import wait
from types import FrameType

BACKLOG = 2048


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port that other workers may bind too."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def _worker(host: str, port: int) -> None:
    import uvicorn

    from assistant.api.app import worker_app

    sock = listen(host, port)  # bound before the index is loaded: early connections wait in the backlog
    uvicorn.Server(uvicorn.Config(worker_app, factory=True, access_log=False, log_config=None)).run(sockets=[sock])


def run(host: str, port: int, workers: int) -> int:
    """Run `workers` service processes until a signal or the first one's exit; the exit code."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each: no state inherited
    processes = [context.Process(target=_worker, args=(host, port), name=f"plan-assistant-worker-{n}")
                 for n in range(1, workers + 1)]

    def stop(signum: int, frame: FrameType | None) -> None:
        for process in processes:
            if process.is_alive():
                process.terminate()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    for process in processes:
        process.start()
    wait([p.sentinel for p in processes])  # the first to end, by a signal or a failure, ends the service
    stop(signal.SIGTERM, None)
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()
    codes = [p.exitcode or 0 for p in processes]
    return next((c for c in codes if c not in (0, -signal.SIGTERM)), 0)

