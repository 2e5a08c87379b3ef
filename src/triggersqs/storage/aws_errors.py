"""botocore's errors as the port's, for every AWS service a store calls: by class or error code,
never by message text.

Throttling, timeouts, server errors and unreachable endpoints become StorageUnavailableError (the
records go back to the queue and are retried), anything else StorageError.
"""

from __future__ import annotations

from collections.abc import Set

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as EndpointError

from triggersqs.errors import StorageError, StorageUnavailableError


def error_code(exc: ClientError) -> str:
    """The service's error code of a client error (``ConditionalCheckFailedException``...)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def translate(
    exc: ClientError | BotoCoreError, service: str, action: str, transient: Set[str]
) -> StorageError:
    """The storage error for a botocore error of ``service``: unavailable for a ``transient``
    error code, a 5xx status or an unreachable endpoint; an error otherwise."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in transient or status >= 500:
            return StorageUnavailableError(f"{service} {action}: {code or status} (retry later)")
        return StorageError(f"{service} {action}: {code}: {exc}")
    if isinstance(exc, EndpointError | HTTPClientError):
        return StorageUnavailableError(f"{service} {action}: {type(exc).__name__}: {exc}")
    return StorageError(f"{service} {action}: {type(exc).__name__}: {exc}")
