"""A small OpenAI-compatible chat completions server, for testing through the real client.

`POST /v1/chat/completions`, plain JSON or `stream: true` (server-sent events, the reply
split into several chunks). Tests script the reply, a delay before answering (to provoke a
client timeout), an HTTP error status, and read back the request bodies received.

Use it from any test module with `from tests.openai_server import openai_server  # noqa: F401`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Reply = str | Callable[[dict[str, Any]], str]


@dataclass
class FakeOpenAI:
    """What a test controls and observes; change the attributes at any time."""

    base_url: str = ""
    reply: Reply = "OK"  # a text, or a function of the request body giving the text
    delay: float = 0.0  # seconds before answering
    status: int | None = None  # answer with this HTTP error status instead
    chunk_chars: int = 4  # characters per streamed chunk
    chunk_delay: float = 0.0  # seconds between streamed chunks
    endless: float = 0.0  # stream the reply over and over for this many seconds, or until the client goes away (a looping model)
    hung_up: threading.Event = field(default_factory=threading.Event)  # a client closed a stream mid-way
    requests: list[dict[str, Any]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def text_for(self, body: dict[str, Any]) -> str:
        return self.reply(body) if callable(self.reply) else self.reply


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        state = self.server.state
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        state.requests.append(body)
        if state.delay and state.stopping.wait(state.delay):
            return  # the server is shutting down
        try:
            if state.status:
                return self._json(state.status, {"error": {"message": "scripted error", "type": "server_error"}})
            text = state.text_for(body)
            if body.get("stream"):
                return self._stream(body, text, state.chunk_chars)
            self._json(200, _completion(body, text))
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            state.hung_up.set()

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, body: dict[str, Any], text: str, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()  # HTTP/1.0: the stream ends when the connection closes
        state = self.server.state
        until = time.monotonic() + state.endless
        for chunk in _chunks(body, text, size, lambda: time.monotonic() < until):
            if state.chunk_delay and state.stopping.wait(state.chunk_delay):
                return
            if state.stopping.is_set():
                return
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeOpenAI


def _envelope(body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": kind, "created": int(time.time()), "model": body.get("model", "default")}


def _usage(body: dict[str, Any], text: str) -> dict[str, int]:
    prompt = len(json.dumps(body.get("messages", []), ensure_ascii=False))
    return {"prompt_tokens": prompt, "completion_tokens": len(text), "total_tokens": prompt + len(text)}


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        **_envelope(body, "chat.completion"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": _usage(body, text),
    }


def _chunks(body: dict[str, Any], text: str, size: int, again: Callable[[], bool] = lambda: False) -> Iterator[dict[str, Any]]:
    """The reply as chat.completion.chunk objects: role first, the text in pieces (again while
    `again()`), then stop."""
    envelope = _envelope(body, "chat.completion.chunk")

    def choice(delta: dict[str, str], finish: str | None = None) -> dict[str, Any]:
        return {**envelope, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield choice({"role": "assistant", "content": ""})
    while True:
        for start in range(0, len(text), size):
            yield choice({"content": text[start : start + size]})
        if not again():
            break
    yield choice({}, "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**envelope, "choices": [], "usage": _usage(body, text)}


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAI]:
    """A running server on 127.0.0.1 (a free port), shut down after the test."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = FakeOpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="openai-server", daemon=True
    )
    thread.start()
    try:
        yield server.state
    finally:
        server.state.stopping.set()  # wakes delayed handlers
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
