"""Prometheus metrics of ``triggersqs serve``: requests and their latency by route, method and
status, at ``/metrics`` (behind the API key when one is set). Added by local/server.py only, so
the Lambda path never has the route or the middleware."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triggersqs.api.auth import bearer_check
from triggersqs.api.routes import get_only

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

METRICS_PATH: Final = "/metrics"
UNMATCHED: Final = "(unmatched)"
LATENCY_SECONDS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class HttpMetrics:
    """The request counter and latency histogram, in their own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = ["route", "method", "status"]
        self.requests = Counter(
            "triggersqs_http_requests", "HTTP requests answered.", labels, registry=self.registry
        )
        self.latency = Histogram(
            "triggersqs_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            labels,
            buckets=LATENCY_SECONDS,
            registry=self.registry,
        )


def add_metrics(
    app: Starlette, *, api_key: str | None, metrics: HttpMetrics | None = None
) -> HttpMetrics:
    """Count ``app``'s requests and serve them at ``/metrics``; returns the metrics."""
    metrics = metrics or HttpMetrics()
    guard = bearer_check(api_key) if api_key else None

    def metrics_text(request: Request) -> Response:
        if guard is not None:
            guard(request)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.router.routes.append(get_only(Route(METRICS_PATH, metrics_text, include_in_schema=False)))
    app.add_middleware(_Measure, metrics=metrics)
    return metrics


class _Measure:
    """ASGI middleware: time each HTTP request and count it under the route that answered it
    (its path template, so message ids do not make a label each)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app starts a response

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            route: Any = scope.get("route")
            path = getattr(route, "path", None) or UNMATCHED
            labels = (path, scope.get("method", "GET"), str(status))
            self._metrics.requests.labels(*labels).inc()
            self._metrics.latency.labels(*labels).observe(time.perf_counter() - started)
