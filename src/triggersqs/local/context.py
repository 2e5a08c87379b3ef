"""A Lambda context for invocations that do not come from Lambda (the poller, ``invoke``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LocalContext:
    """The context fields the handler reads, with a deadline on the monotonic clock."""

    deadline: float
    """``time.monotonic()`` value at which the invocation's time is up."""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "triggersqs-local"
    memory_limit_in_mb: int = 0
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:triggersqs-local"
    monotonic: Callable[[], float] = time.monotonic

    @classmethod
    def with_timeout(
        cls, seconds: float, monotonic: Callable[[], float] = time.monotonic
    ) -> LocalContext:
        """A context whose time runs out ``seconds`` from now."""
        return cls(deadline=monotonic() + seconds, monotonic=monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the deadline (never negative)."""
        return max(0, int((self.deadline - self.monotonic()) * 1000))
