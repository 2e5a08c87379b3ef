"""What the commands that work on a queue share (``dlq``, ``rejected replay``, ``check-queue``):
the dev stack's DLQ, and SQS errors as one line. Which queue and endpoint: cli/targets.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from triggersqs.cli import options
from triggersqs.errors import QueueUnavailableError, SqsError

DEV_DLQ_URL = f"http://127.0.0.1:{options.DEV_SQS_PORT}/123456789012/triggersqs-dlq"


@contextmanager
def sqs_errors(doing: str) -> Iterator[None]:
    """Turn an SQS error while ``doing`` into one line (exit 1: errors.py)."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SqsError(f"{doing}: {error.get('Code')}: {error.get('Message', exc)}") from None
    except EndpointConnectionError as exc:
        raise QueueUnavailableError(f"{doing}: cannot reach SQS: {exc}") from None
    except BotoCoreError as exc:
        raise SqsError(f"{doing}: {exc}") from None
