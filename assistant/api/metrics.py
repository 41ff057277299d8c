"""Prometheus metrics, one registry per app (so several apps in one process, as in the
tests, never register the same metric twice)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

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
