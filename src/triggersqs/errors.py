"""The exceptions triggersqs raises, in one tree.

TriggerSqsError
├── ConfigurationError          settings that cannot work (raised at start-up)
├── UsageError                  command-line arguments or input files that cannot work
├── UnsupportedEventError       a Lambda event this function does not handle
├── BatchFailedError            every record of an SQS batch failed: Lambda retries all of it
├── InvalidBatchResponseError   a handler's answer breaks Lambda's partial batch response contract
├── InvalidCursorError          a pagination cursor that this service did not issue
├── ApiError                    the HTTP API could not be reached or refused a request
├── SqsError                    SQS refused or failed a request of a command (dlq, replay, ...)
├── RedriveError                a DLQ redrive did not complete (task failed or cancelled, or left)
│   └── RedriveBusyError            a redrive is running already (the console runs one at a time)
├── ReplayError                 a replay was refused, or sent but its mark not written
├── QueueUnavailableError       the SQS endpoint of a queue cannot be reached
└── StorageError                the store refused or failed an operation
    └── StorageUnavailableError     the store cannot be reached now; retrying later may work

The command line maps the tree to exit statuses in one place (``cli/app.py``): 2 for
ConfigurationError and UsageError, 1 for any other TriggerSqsError.
"""

from __future__ import annotations


class TriggerSqsError(Exception):
    """Base class of every error triggersqs raises on purpose."""


class ConfigurationError(TriggerSqsError):
    """The configuration cannot work; raised before any message is touched."""


class UsageError(TriggerSqsError):
    """The command line asks for something that cannot work: arguments, or a file it names."""


class UnsupportedEventError(TriggerSqsError):
    """The Lambda function received an event that is neither an SQS batch nor an HTTP request."""


class BatchFailedError(TriggerSqsError):
    """Every record of a batch failed, so the invocation fails and Lambda backs off and retries."""


class InvalidBatchResponseError(TriggerSqsError):
    """A handler's response breaks the partial batch response contract; the whole batch fails."""


class InvalidCursorError(TriggerSqsError):
    """A pagination cursor is malformed, forged, or belongs to other filters."""


class ApiError(TriggerSqsError):
    """The HTTP API could not be reached or refused the request (``triggersqs records``)."""


class SqsError(TriggerSqsError):
    """SQS refused or failed a request in the middle of a command (``dlq``, ``rejected replay``,
    ``check-queue``)."""


class RedriveError(TriggerSqsError):
    """A redrive did not complete: a move task failed or was cancelled, or a message stayed."""


class RedriveBusyError(RedriveError):
    """A redrive is running: one at a time, and the DLQ is not peeked at meanwhile (a peeked
    message is invisible for a moment, and the move task would miss it)."""


class ReplayError(TriggerSqsError):
    """A replay was refused (already replayed, no whole body), or sent but not marked."""


class QueueUnavailableError(TriggerSqsError):
    """The SQS endpoint of a queue cannot be reached (``worker``, ``send``); it may come back."""


class StorageError(TriggerSqsError):
    """The store failed an operation."""


class StorageUnavailableError(StorageError):
    """The store cannot be reached or is busy; the operation may succeed later."""
