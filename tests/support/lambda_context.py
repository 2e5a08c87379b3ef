"""The one Lambda context of the tests (product code has its own: triggersqs/local/context.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FakeLambdaContext:
    """The fields of Lambda's context object, with a fixed time left: the handler's time budget
    is whatever ``remaining_ms`` says, however long a test takes."""

    remaining_ms: int = 30_000
    aws_request_id: str = "test-request"
    function_name: str = "triggersqs-test"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:triggersqs-test"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left, as Lambda's context reports them."""
        return self.remaining_ms
