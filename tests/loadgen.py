"""A small, bounded load generator for the reliability tests: client threads asking the real
service (started by `eval.processes.serve`) questions.

Every wait has a deadline and every process started here is killed on the way out, so a
hung service fails a test instead of hanging the suite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx


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
