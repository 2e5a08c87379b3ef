"""The AWS Lambda entry point: ``triggersqs.lambda_handler.handler`` (the container's CMD).

The runtime is built once per execution environment, at init, by the composition root.
"""

from __future__ import annotations

from typing import Any

from triggersqs.aws_lambda.types import LambdaContext
from triggersqs.bootstrap import runtime_from_environ

runtime = runtime_from_environ()


def handler(event: object, context: LambdaContext) -> Any:  # noqa: ANN401 - JSON out
    """Handle an SQS batch (partial batch response) or an HTTP request (Mangum)."""
    return runtime(event, context)
