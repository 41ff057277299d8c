"""Servers started as processes on loopback, for the benchmarks and the tests: a free port,
the service itself (`plan-assistant serve`), and a `chroma run` server from the chromadb
package (the store several service processes share). Every wait has a deadline, and what is
started here is stopped on the way out."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PLAN_ASSISTANT = Path(sys.executable).with_name("plan-assistant")


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
def running(process: subprocess.Popen, url: str, ready_within: float, failed: Callable[[], str],
            stop_within: float = 10) -> Iterator[None]:
    """While `process` runs, once `url` answers (else RuntimeError with `failed()`); stopped on the
    way out, killed if it does not stop within `stop_within` seconds."""
    try:
        if not wait_ready(url, ready_within, lambda: process.poll() is None):
            raise RuntimeError(failed())
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_within)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def chroma_server(path: Path, ready_within: float = 30) -> Iterator[int]:
    """`chroma run` storing in `path`, on a free loopback port (yielded) once it answers."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with running(process, f"http://127.0.0.1:{port}/api/v2/heartbeat", ready_within,
                 lambda: f"chroma run did not start within {ready_within} s"):
        yield port


@dataclass(frozen=True)
class Server:
    """A running service: its process, its base URL and its log file."""

    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """Resident memory of the service process (VmRSS), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for process {self.process.pid}")


@contextmanager
def serve(env: dict[str, str], folder: Path, processes: int = 1, ready_within: float = 90,
          cwd: Path | None = None) -> Iterator[list[Server]]:
    """`processes` × `plan-assistant serve --no-ui`, each on a free loopback port, with `env`
    (PLAN_ASSISTANT_*) on top of ours; started together, yielded once all are ready. They run
    in `cwd`, by default `folder` (so no `.env` of the checkout is read), and log to
    `folder/serve-<port>.log`, shown when one does not get ready. Killed on exit."""
    servers: list[Server] = []
    try:
        ports: set[int] = set()
        for _ in range(100 * processes):  # a port free_port() let go may be handed out again
            if len(ports) == processes:
                break
            ports.add(free_port())
        for port in ports:
            log = folder / f"serve-{port}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(PLAN_ASSISTANT), "serve", "--no-ui", "--host", "127.0.0.1", "--port", str(port)],
                    env={**os.environ, **env}, cwd=cwd or folder, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: its worker processes are killed with it
                )
            servers.append(Server(process, port, log))
        deadline = time.monotonic() + ready_within
        for server in servers:
            _wait_ready(server, deadline)
        yield servers
    finally:
        for server in servers:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=30)


def _wait_ready(server: Server, deadline: float) -> None:
    if wait_ready(f"{server.url}/readyz", deadline - time.monotonic(), lambda: server.process.poll() is None):
        return
    state = f"exited with {server.process.returncode}" if server.process.poll() is not None else "not ready in time"
    raise AssertionError(f"the service {state}; its log ends:\n{server.log.read_text(errors='replace')[-3000:]}")
