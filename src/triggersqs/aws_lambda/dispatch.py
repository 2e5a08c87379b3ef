"""Dispatch by event shape: one Lambda function, several doors into one core.

Like Mangum's adapter, a short ordered list of predicates picks the handler, and an event that
matches none fails loudly, naming what arrived.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from triggersqs.aws_lambda.types import LambdaContext, LambdaEvent
from triggersqs.errors import UnsupportedEventError
from triggersqs.logs import request_id

Handler = Callable[[LambdaEvent, LambdaContext], Any]
"""What handles one kind of event: the event and the context in, Lambda's answer out."""
Route = tuple[Callable[[LambdaEvent], bool], Handler]
"""A predicate on the event's shape, and the handler of the events it matches."""

_DESCRIBE_CHARS = 300


class Dispatcher:
    """The Lambda handler: the first route whose predicate matches handles the event."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = tuple(routes)

    def __call__(self, event: object, context: LambdaContext) -> Any:  # noqa: ANN401 - JSON out
        """Handle one invocation."""
        if not isinstance(event, Mapping):
            raise UnsupportedEventError(f"expected a JSON object event, got {type(event).__name__}")
        token = request_id.set(getattr(context, "aws_request_id", None))
        try:
            for matches, handle in self._routes:
                if matches(event):
                    return handle(event, context)
            raise UnsupportedEventError(f"unsupported event: {_describe(event)}")
        finally:
            request_id.reset(token)


def refusal(reason: str) -> Handler:
    """A handler that refuses every event it is given, saying ``reason``: the route a function
    puts first for the events its role must never handle, whatever else they look like."""

    def refuse(event: LambdaEvent, context: LambdaContext) -> Any:  # noqa: ANN401 - never returns
        del context
        raise UnsupportedEventError(f"{reason}; refused: {_describe(event)}")

    return refuse


def _describe(event: Mapping[str, Any]) -> str:
    keys = sorted(str(key) for key in event)[:20]
    text = f"top-level keys {keys}"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        source = records[0].get("eventSource") or records[0].get("EventSource")
        text += f", Records[0] from {json.dumps(source)[:60]}"
        if "cf" in records[0]:
            text += " (a CloudFront event)"
    return text[:_DESCRIBE_CHARS]
