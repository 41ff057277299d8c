"""Logging with a request id, so the lines of one request can be found together.

The id comes from the caller's `X-Request-ID` (when it is a plain token) or is made up, is
returned in the same header, and is attached to every log record written while the request
is handled (a context variable, which the threadpool running sync endpoints inherits).
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_TOKEN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` (never rejects a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


log = logging.getLogger("plan_assistant.api")
log.addFilter(RequestIdFilter())


def new_request_id(offered: str | None) -> str:
    """The caller's id when it is a safe token (it ends up in logs and headers), else a fresh one."""
    return offered if offered and _TOKEN.match(offered) else uuid.uuid4().hex


def configure(level: int = logging.INFO) -> None:
    """Log to stderr with the request id on every line (the `serve` command; a library user
    configures logging their own way)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per Chroma-server or model request otherwise
