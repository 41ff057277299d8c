"""Servers started as processes on loopback, for the benchmarks and the tests: a free port,
and a `chroma run` server from the chromadb package (the store several service processes
share). Every wait has a deadline, and what is started here is stopped on the way out."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, within: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll `url` until it answers 200 (True), or `within` seconds pass or `alive()` turns false (False)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and alive():
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


@contextmanager
def chroma_server(path: Path, ready_within: float = 30) -> Iterator[int]:
    """`chroma run` storing in `path`, on a free loopback port (yielded) once it answers."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_ready(f"http://127.0.0.1:{port}/api/v2/heartbeat", ready_within, lambda: process.poll() is None):
            raise RuntimeError(f"chroma run did not start within {ready_within} s")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
