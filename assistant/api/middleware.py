"""Per-request bookkeeping as plain ASGI middleware (it must not buffer streamed answers):
the request id, the access log line, the metrics, and the refusal of oversized bodies: by
their declared length before reading them, and by the bytes actually received (a chunked
body declares none), so no body larger than its limit is ever spooled or parsed."""

from __future__ import annotations

import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.errors import error_body
from assistant.api.logs import log, new_request_id, request_id
from assistant.api.metrics import Metrics, route_label

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
        asked = dict(scope)  # as it came in: the routers below add a mount's root path to it
        rid = new_request_id(headers.get(b"x-request-id", b"").decode("latin-1"))
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        limit, what = self._limit(headers)
        received, refused, responded = 0, False, False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        async def send_unless_refused(message: Message) -> None:
            if not refused:  # once refused, the app's own reply (to a cut-off body) is dropped
                await send_with_id(message)

        async def receive_within_limit() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not responded:
                        await _json(send_with_id, 413, f"the {what} is over the limit of {limit} bytes")
                    return {"type": "http.disconnect"}
            return message

        try:
            declared = self._declared(headers)
            if declared > limit:
                await _json(send_with_id, 413, f"the {what} is {declared} bytes; the limit is {limit}")
            else:
                await self.app(scope, receive_within_limit, send_unless_refused)
        finally:
            seconds = time.perf_counter() - started
            route = route_label(scope, asked)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(seconds)
            log.info("%s %s %d %.1f ms", scope["method"], scope["path"], status, seconds * 1000)
            request_id.reset(token)

    def _limit(self, headers: dict[bytes, bytes]) -> tuple[int, str]:
        """The most bytes a body may have, and what to call it. An upload's file is checked
        against its own limit once read; the form around it gets some room."""
        if headers.get(b"content-type", b"").startswith(b"multipart/"):
            return self.upload_limit + MULTIPART_OVERHEAD, "upload"
        return JSON_BODY_LIMIT, "request body"

    @staticmethod
    def _declared(headers: dict[bytes, bytes]) -> int:
        try:
            return int(headers.get(b"content-length", b"0"))
        except ValueError:
            return 0  # h11 refuses such a request before it gets here


async def _json(send: Send, status: int, message: str) -> None:
    body = json.dumps(error_body(status, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
