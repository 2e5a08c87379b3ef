"""DynamoDB's botocore errors as the port's (storage/aws_errors.py), with the error codes and
transaction cancellation reasons that may pass by waiting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError

from triggersqs.errors import StorageError
from triggersqs.storage import aws_errors
from triggersqs.storage.aws_errors import error_code

__all__ = ["TRANSIENT_CODES", "TRANSIENT_REASONS", "error_code", "translate", "translating"]

TRANSIENT_CODES: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
TRANSIENT_REASONS: Final = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)
"""Cancellation reasons of a transaction that a later try may not meet."""


def translate(exc: ClientError | BotoCoreError, action: str) -> StorageError:
    """The storage error for a DynamoDB call's botocore error (storage/aws_errors.py)."""
    return aws_errors.translate(exc, "DynamoDB", action, TRANSIENT_CODES)


@contextmanager
def translating(action: str) -> Iterator[None]:
    """Raise any botocore error of the block as the storage error :func:`translate` picks."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, action) from exc
