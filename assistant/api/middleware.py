"""Per-request bookkeeping as plain ASGI middleware (it must not buffer streamed answers):
the request id, the access log line, the metrics, and an early refusal of oversized bodies."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.errors import error_body
from assistant.api.logs import log, new_request_id, request_id
from assistant.api.metrics import Metrics

JSON_BODY_LIMIT = 4 * 1024 * 1024  # questions with a long history stay far below this
MULTIPART_OVERHEAD = 64 * 1024


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics, upload_limit: int) -> None:
        self.app = app
        self.metrics = metrics
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = new_request_id(headers.get(b"x-request-id", b"").decode("latin-1"))
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            too_large = self._too_large(scope, headers)
            if too_large:
                await _json(send_with_id, 413, too_large)
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(seconds)
            log.info("%s %s %d %.1f ms", scope["method"], scope["path"], status, seconds * 1000)
            request_id.reset(token)

    def _too_large(self, scope: Scope, headers: dict[bytes, bytes]) -> str | None:
        """Refuse a body by its declared length before reading it (an upload is checked again once read)."""
        try:
            length = int(headers.get(b"content-length", b"0"))
        except ValueError:
            return None
        multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.upload_limit + MULTIPART_OVERHEAD if multipart else JSON_BODY_LIMIT
        if length > limit:
            what = "upload" if multipart else "request body"
            return f"the {what} is {length} bytes; the limit is {self.upload_limit if multipart else limit}"
        return None


def _route(scope: Scope) -> str:
    """The route's template (`/v1/sections/{section_id}`), never the raw path: bounded label values."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


async def _json(send: Send, status: int, message: str) -> None:
    body = json.dumps(error_body(status, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
