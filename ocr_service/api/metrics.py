"""Prometheus metrics of the API: requests and their latency by route, documents by status.

Requests are labelled by the route's *template* (``/v1/dossiers/{dossier_id}``), never the raw
path: ids in labels would make one time series per dossier and put identifiers in the metrics
store. Paths that match no route share one label. Each request is also labelled with the
caller's agency (``-`` when nobody was authenticated), and ``/metrics`` shows an agency's admin
only their own agency's series: how much another agency works is not theirs to see. Each app
has its own registry, so several apps in one process (tests) do not collide.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("sohoa_http_requests", "HTTP requests answered",
                                ["agency", "method", "route", "status"], registry=self.registry)
        self.latency = Histogram("sohoa_http_request_duration_seconds",
                                 "Time to answer an HTTP request", ["agency", "method", "route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)

    def observe(self, agency: str, method: str, route: str, status: int,
                seconds: float) -> None:
        self.requests.labels(agency, method, route, str(status)).inc()
        self.latency.labels(agency, method, route).observe(seconds)

    def exposition(self, agency: str, documents: dict[str, int]) -> bytes:
        """The text format: the request metrics of ``agency``, then its documents."""
        extra = CollectorRegistry()
        extra.register(_OneAgency(self.registry, agency))
        extra.register(_Documents(documents))
        return generate_latest(extra)


class _OneAgency(Collector):
    """The samples of one agency out of a registry's families."""

    def __init__(self, registry: CollectorRegistry, agency: str) -> None:
        self.registry, self.agency = registry, agency

    def collect(self) -> Iterator[Metric]:
        for family in self.registry.collect():
            kept = Metric(family.name, family.documentation, family.type, family.unit)
            kept.samples = [s for s in family.samples if s.labels.get("agency") == self.agency]
            yield kept


class _Documents(Collector):
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("sohoa_documents", "Documents of the agency by status",
                                  labels=["status"])
        for status, count in sorted(self.counts.items()):
            gauge.add_metric([status], count)
        yield gauge


class MetricsMiddleware:
    """Times every HTTP request (pure ASGI: streaming answers are timed to their last byte)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            agency = (scope.get("state") or {}).get("agency_code")
            self.metrics.observe(agency or "-", scope["method"], template, status,
                                 time.perf_counter() - began)
