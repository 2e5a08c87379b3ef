"""The exceptions triggersqs raises, in one tree.

TriggerSqsError
├── ConfigurationError        settings that cannot work (raised at start-up)
├── UnsupportedEventError     a Lambda event this function does not handle
├── BatchFailedError          every record of an SQS batch failed: Lambda retries all of it
├── InvalidCursorError        a pagination cursor that this service did not issue
└── StorageError              the store refused or failed an operation
    └── StorageUnavailableError   the store cannot be reached now; retrying later may work
"""

from __future__ import annotations


class TriggerSqsError(Exception):
    """Base class of every error triggersqs raises on purpose."""


class ConfigurationError(TriggerSqsError):
    """The configuration cannot work; raised before any message is touched."""


class UnsupportedEventError(TriggerSqsError):
    """The Lambda function received an event that is neither an SQS batch nor an HTTP request."""


class BatchFailedError(TriggerSqsError):
    """Every record of a batch failed, so the invocation fails and Lambda backs off and retries."""


class InvalidCursorError(TriggerSqsError):
    """A pagination cursor is malformed, forged, or belongs to other filters."""


class StorageError(TriggerSqsError):
    """The store failed an operation."""


class StorageUnavailableError(StorageError):
    """The store cannot be reached or is busy; the operation may succeed later."""
