"""The tutorial's ``entrypoints/lambda_handler.py``: FastAPI and Mangum load at import."""

from __future__ import annotations

from typing import Any

from mangum import Mangum

from benchmarks.baseline.main import app
from benchmarks.baseline.sqs_handler import handler_sqs


def event_handler(event: dict[str, Any], context: Any) -> Any:  # noqa: ANN401
    if event.get("Records"):
        return handler_sqs(event)
    if event.get("httpMethod"):
        return Mangum(app)(event, context)  # a new adapter per request, as there
    return None  # any other event: None, which Lambda counts as success


def lambda_handler(event: dict[str, Any], context: Any) -> Any:  # noqa: ANN401
    return event_handler(event, context)
