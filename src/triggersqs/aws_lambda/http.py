"""The HTTP door: recognise the HTTP events Lambda receives (API Gateway REST v1, HTTP API v1 and
v2 payloads, Function URLs, Application Load Balancer) and serve them through Mangum.

Starlette and Mangum are imported on the first HTTP request only, so SQS cold starts never pay for
them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from triggersqs.aws_lambda.http_shape import bad_request, malformed
from triggersqs.aws_lambda.types import LambdaContext, LambdaEvent

if TYPE_CHECKING:
    from mangum import Mangum


def is_http_event(event: LambdaEvent) -> bool:
    """True for an event Mangum can turn into an HTTP request (Lambda@Edge excluded)."""
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        return False
    if "elb" in context:  # ALB
        return "httpMethod" in event
    if event.get("version") == "2.0":  # HTTP API payload 2.0 and Function URLs
        return isinstance(context.get("http"), Mapping)
    # API Gateway REST, and HTTP API payload 1.0
    return "httpMethod" in event and ("resource" in event or event.get("version") == "1.0")


class HttpHandler:
    """Serves HTTP events with the ASGI app ``app_factory`` builds on the first request."""

    def __init__(self, app_factory: Callable[[], Any], *, base_path: str = "") -> None:
        self._app_factory = app_factory
        self._base_path = base_path
        self._lock = threading.Lock()
        self._mangum: Mangum | None = None

    def __call__(self, event: LambdaEvent, context: LambdaContext) -> dict[str, Any]:
        """One HTTP request in, the Lambda HTTP response out (400 for an event Mangum cannot
        read, http_shape.py)."""
        problem = malformed(event)
        if problem is not None:
            return bad_request(event, problem)
        if self._mangum is None:
            from mangum import Mangum

            with self._lock:
                if self._mangum is None:
                    self._mangum = Mangum(
                        self._app_factory(), lifespan="off", api_gateway_base_path=self._base_path
                    )
        # Mangum's context type lists every attribute of the real Lambda context; it reads few.
        return self._mangum(dict(event), cast("Any", context))
