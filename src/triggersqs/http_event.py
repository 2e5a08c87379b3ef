"""Recognise the HTTP events Lambda receives: API Gateway REST (v1), HTTP API (v1 and v2
payloads), Lambda Function URLs, and Application Load Balancer."""

from __future__ import annotations

from collections.abc import Mapping

from triggersqs.types import LambdaEvent


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
