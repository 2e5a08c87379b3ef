"""The AWS Lambda entry point: ``triggersqs.lambda_handler.handler`` (the container's CMD).

This module is the cold-start container: it reads the configuration once per execution
environment; the store connects on first use, and FastAPI loads on the first HTTP request.
"""

from __future__ import annotations

import os
from typing import Any

from triggersqs.lambda_app import LambdaApp
from triggersqs.logs import configure_logging
from triggersqs.settings import Settings
from triggersqs.types import LambdaContext

_settings = Settings.from_environ(os.environ)
configure_logging(_settings.log_level)
app = LambdaApp(_settings)


def handler(event: object, context: LambdaContext) -> Any:  # noqa: ANN401 - JSON out
    """Handle an SQS batch (partial batch response) or an HTTP request (Mangum)."""
    return app(event, context)
