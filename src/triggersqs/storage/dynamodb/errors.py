"""botocore's errors as the port's: by class or error code, never by message text.

Throttling, timeouts, server errors and unreachable endpoints become StorageUnavailableError (the
records go back to the queue and are retried), anything else StorageError.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as EndpointError

from triggersqs.errors import StorageError, StorageUnavailableError

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


def error_code(exc: ClientError) -> str:
    """DynamoDB's error code of a client error (``ConditionalCheckFailedException``...)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(exc: ClientError | BotoCoreError, action: str) -> StorageError:
    """The storage error for a botocore error, chosen by its class or its error code."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in TRANSIENT_CODES or status >= 500:
            return StorageUnavailableError(f"DynamoDB {action}: {code or status} (retry later)")
        return StorageError(f"DynamoDB {action}: {code}: {exc}")
    if isinstance(exc, EndpointError | HTTPClientError):
        return StorageUnavailableError(f"DynamoDB {action}: {type(exc).__name__}: {exc}")
    return StorageError(f"DynamoDB {action}: {type(exc).__name__}: {exc}")


@contextmanager
def translating(action: str) -> Iterator[None]:
    """Raise any botocore error of the block as the storage error :func:`translate` picks."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, action) from exc
