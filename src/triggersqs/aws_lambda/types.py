"""Shapes of Lambda's side: the context object and a raw event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

LambdaEvent = Mapping[str, Any]
"""An event as Lambda hands it to the handler: decoded JSON, not yet trusted."""


class LambdaContext(Protocol):
    """The part of the Lambda context object this service reads."""

    @property
    def aws_request_id(self) -> str:
        """The id of this invocation."""
        ...

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before Lambda stops the invocation."""
        ...
