"""The store ports, split by side: processing writes (``MessageWriter``), the API reads
(``MessageReader``), and a whole store (``MessageStore``) is both and can be closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Generic, Protocol, TypeVar

from triggersqs.core.clock import Deadline
from triggersqs.core.records import Incoming, StoredRecord, StoredRejection

T = TypeVar("T")


class SaveStatus(Enum):
    """What happened to one item handed to :meth:`MessageWriter.save`."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    """Its message id was already stored (as a record or as a rejection), or came earlier in the
    same call: nothing was written."""
    FAILED = "failed"
    """It was not written (a per-item error, or not attempted after an ordered failure of its
    message group)."""


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


class MessageWriter(Protocol):
    """The write side: durable, idempotent storage of messages, keyed by SQS message id."""

    def save(
        self,
        items: Sequence[Incoming],
        *,
        ordered: bool = False,
        deadline: Deadline | None = None,
    ) -> list[SaveStatus]:
        """Write each item unless its message id is already stored; one status per item.

        ``ordered``: write in order; once an item fails, the later items of its message group
        are FAILED without being attempted, as FIFO queues need (other groups go on).
        ``deadline``: no new write starts once it has expired (on its own clock), nor one that
        could outlast it where the store knows its calls' worst case (DynamoDB).
        Raises :class:`~triggersqs.errors.StorageError` when nothing could be written; a status of
        STORED is only ever returned for an item that is durably written.
        """
        ...


class MessageReader(Protocol):
    """The read side: single messages by id, pages in stored order, and health."""

    def get_record(self, message_id: str) -> StoredRecord | None:
        """The stored record with this message id, if any."""
        ...

    def get_rejection(self, message_id: str) -> StoredRejection | None:
        """The rejected message with this message id, if any."""
        ...

    def list_records(
        self, where: RecordFilter, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[StoredRecord]:
        """Up to ``limit`` records matching ``where``, in stored order, after cursor ``after``.

        ``newest_first``: in reverse stored order, ``after`` then meaning "older than". Reads only
        what the page needs, never the whole store. Raises
        :class:`~triggersqs.errors.InvalidCursorError` for a cursor it did not issue.
        """
        ...

    def list_rejections(
        self, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[StoredRejection]:
        """Up to ``limit`` rejected messages in stored order, after cursor ``after``;
        ``newest_first`` as for :meth:`list_records`."""
        ...

    def check(self) -> None:
        """Raise :class:`~triggersqs.errors.StorageUnavailableError` unless the store answers."""
        ...


class RejectionMarker(Protocol):
    """What an operator's replay writes: the rejection's new status."""

    def mark_replayed(self, message_id: str, replayed_as: str) -> StoredRejection | None:
        """Set the rejection's status to ``replayed`` and ``replayed_as`` (the new message id);
        the rejection as it is now, or None when no rejection has this message id."""
        ...


class MessageStore(MessageWriter, MessageReader, RejectionMarker, Protocol):
    """A whole store (what an adapter implements): both sides, and connections to release."""

    def close(self) -> None:
        """Release connections; the store is not used afterwards."""
        ...
