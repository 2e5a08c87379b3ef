"""The ``MessageStore`` port: what processing and the API need from any store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Generic, Protocol, TypeVar

from triggersqs.core.records import Incoming, StoredRecord, StoredRejection

T = TypeVar("T")


class SaveStatus(Enum):
    """What happened to one item handed to :meth:`MessageStore.save`."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    """Its message id was already stored (as a record or as a rejection), or came earlier in the
    same call: nothing was written."""
    FAILED = "failed"
    """It was not written (a per-item error, or not attempted after an ordered failure)."""


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which records to list. ``since`` is inclusive, ``until`` exclusive; both on ``stored_at``."""

    client_id: str | None = None
    command: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Slice(Generic[T]):
    """Consecutive items in stored order, and whether more follow the last one."""

    items: list[T]
    more: bool


class MessageStore(Protocol):
    """Durable, idempotent storage of records and rejected messages, keyed by SQS message id."""

    def save(
        self, items: Sequence[Incoming], *, ordered: bool = False, deadline: float | None = None
    ) -> list[SaveStatus]:
        """Write each item unless its message id is already stored; one status per item.

        ``ordered``: write in order and stop at the first failure (the rest are FAILED), as FIFO
        queues need. ``deadline``: a ``time.monotonic()`` value after which no new write starts.
        Raises :class:`~triggersqs.errors.StorageError` when nothing could be written; a status of
        STORED is only ever returned for an item that is durably written.
        """
        ...

    def get_record(self, message_id: str) -> StoredRecord | None:
        """The stored record with this message id, if any."""
        ...

    def get_rejection(self, message_id: str) -> StoredRejection | None:
        """The rejected message with this message id, if any."""
        ...

    def list_records(
        self, where: RecordFilter, *, after: str | None, limit: int
    ) -> Slice[StoredRecord]:
        """Up to ``limit`` records matching ``where``, in stored order, after cursor ``after``.

        Reads only what the page needs, never the whole store. Raises
        :class:`~triggersqs.errors.InvalidCursorError` for a cursor it did not issue.
        """
        ...

    def list_rejections(self, *, after: str | None, limit: int) -> Slice[StoredRejection]:
        """Up to ``limit`` rejected messages in stored order, after cursor ``after``."""
        ...

    def check(self) -> None:
        """Raise :class:`~triggersqs.errors.StorageUnavailableError` unless the store answers."""
        ...

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...
