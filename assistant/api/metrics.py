"""Prometheus metrics, one registry per app (so several apps in one process, as in the
tests, never register the same metric twice), and the route label a request is counted by."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.routing import Match, Mount, Route
from starlette.types import Scope

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("plan_assistant_requests_total", "HTTP requests by route and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("plan_assistant_request_seconds", "Time to serve a request (a stream: to its end).",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.answers = Counter("plan_assistant_answers_total", "Answers given, by whether the plans answered.",
                               ["found"], registry=self.registry)
        self.rebuilds = Counter("plan_assistant_index_rebuilds_total", "Index rebuilds after an upload or delete.",
                                ["result"], registry=self.registry)

    def answered(self, found: bool) -> None:
        self.answers.labels(found=str(found).lower()).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def route_label(served: Scope, asked: Scope) -> str:
    """The template of the route a request reached (`/v1/sections/{section_id}`, `/docs`,
    `/ui/config`), never the raw path, so label values stay bounded. `served` is the scope
    after the app handled it: its router put the route there, and each mount it went through
    added its prefix to `root_path`; `asked` is the scope as it came in. A mount serving
    without routes (static files) is `/static-offline-docs/{path}`; a plain route the router
    does not record (`/openapi.json`) is matched here; anything else is `unmatched`."""
    mounted = str(served.get("root_path", ""))[len(str(asked.get("root_path", ""))):]
    route = served.get("route")
    path = getattr(route, "path", None)
    if isinstance(route, Mount) or (mounted and not isinstance(path, str)):
        return f"{mounted}/{{path}}"
    if isinstance(path, str):
        return mounted + path
    for plain in getattr(asked.get("app"), "routes", ()):
        if isinstance(plain, Route) and plain.matches(asked)[0] is not Match.NONE:
            return plain.path
    return "unmatched"
