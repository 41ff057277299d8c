"""A small, bounded load generator for the reliability tests: the real service in its own
process (`plan-assistant serve`, loopback only), and client threads asking it questions.

Every wait has a deadline and every process started here is killed on the way out, so a
hung service fails a test instead of hanging the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from eval.processes import free_port, wait_ready

PLAN_ASSISTANT = Path(sys.executable).with_name("plan-assistant")


@dataclass(frozen=True)
class Server:
    """A running service: its process, its base URL and its log file."""

    process: subprocess.Popen
    url: str
    log: Path

    def rss_kib(self) -> int:
        """Resident memory of the service process (VmRSS), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for process {self.process.pid}")


@contextmanager
def serve(env: dict[str, str], folder: Path, processes: int = 1, ready_within: float = 90) -> Iterator[list[Server]]:
    """`processes` × `plan-assistant serve --no-ui`, each on a free loopback port, with `env`
    (PLAN_ASSISTANT_*) on top of ours; started together, yielded once all are ready. They run
    in `folder` (so no `.env` of the checkout is read) and log to `folder/serve-<port>.log`,
    shown when one does not get ready. Killed on exit."""
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
                    env={**os.environ, **env}, cwd=folder, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: its worker processes are killed with it
                )
            servers.append(Server(process, f"http://127.0.0.1:{port}", log))
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


@dataclass(frozen=True)
class Reply:
    """One /v1/ask round trip, as a client saw it (times from time.monotonic())."""

    client: int
    question: str
    sent: float
    received: float
    status: int  # 0: no HTTP answer at all (refused, reset, timed out)
    documents: frozenset[str]  # documents cited or named as related
    error: str = ""


class Load:
    """`clients` threads, each asking `questions` in turn (each from its own offset) over its
    own keep-alive connection, until stopped, `seconds` pass or `limit` replies in all.

    Use as a context manager: leaving it stops the clients and waits for them."""

    def __init__(self, url: str, questions: Sequence[str], clients: int, seconds: float,
                 limit: int = 100_000, pause: float = 0.0) -> None:
        self.url, self.questions, self.pause, self.limit = url, list(questions), pause, limit
        self.deadline = time.monotonic() + seconds
        self.replies: list[Reply] = []  # list.append is atomic: no lock needed
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(n, clients), daemon=True) for n in range(clients)]

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in self._threads), "a client thread did not stop within 60 s"

    def wait_for(self, count: int, timeout: float = 60) -> None:
        """Until `count` replies in all have come back (fails after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while len(self.replies) < count:
            assert time.monotonic() < deadline, f"only {len(self.replies)} of {count} replies within {timeout} s"
            assert not self._stop.is_set() and time.monotonic() < self.deadline, "the load ended before enough replies"
            time.sleep(0.02)

    def _running(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self.deadline and len(self.replies) < self.limit

    def _client(self, n: int, clients: int) -> None:
        turn = n * len(self.questions) // clients
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while self._running():
                question = self.questions[turn % len(self.questions)]
                turn += 1
                sent = time.monotonic()
                try:
                    r = client.post("/v1/ask", json={"question": question})
                    status, error = r.status_code, "" if r.status_code == 200 else r.text[:300]
                    body = r.json() if status == 200 else {}
                except (httpx.HTTPError, ValueError) as exc:
                    status, error, body = 0, f"{type(exc).__name__}: {exc}", {}
                cited = body.get("citations", []) + body.get("related", [])
                self.replies.append(Reply(n, question, sent, time.monotonic(), status,
                                          frozenset(c["document_id"] for c in cited), error))
                self._stop.wait(self.pause)


def failures(replies: Sequence[Reply]) -> list[str]:
    """The replies that were not 200, described (empty when all succeeded)."""
    return [f"client {r.client} {r.question!r}: {r.status} {r.error}" for r in replies if r.status != 200]
