"""An in-memory store: the fake for unit tests, and ``TRIGGERSQS_STORE=memory`` for demos.

It keeps the contract of every other store (tests/contract), but nothing survives the process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from triggersqs.core.clock import Deadline, expired
from triggersqs.core.ports import RecordFilter, SaveStatus, Slice
from triggersqs.core.records import (
    Incoming,
    NewRecord,
    StoredRecord,
    StoredRejection,
    now_us,
    preview,
    storable_text,
    us_from_utc,
    utc_from_ms,
    utc_from_us,
    utf8_size,
)
from triggersqs.errors import InvalidCursorError

T = TypeVar("T", StoredRecord, StoredRejection)


@dataclass(frozen=True, slots=True)
class _Row:
    seq: int
    stored_at_us: int
    item: StoredRecord | StoredRejection


class MemoryStore:
    """Records and rejections in two lists in stored order; thread-safe."""

    def __init__(self, clock: Callable[[], int] = now_us) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._records: list[_Row] = []
        self._rejections: list[_Row] = []
        self._by_id: dict[str, StoredRecord | StoredRejection] = {}
        self._last_us = 0

    def save(
        self, items: Sequence[Incoming], *, ordered: bool = False, deadline: Deadline | None = None
    ) -> list[SaveStatus]:
        """Store each new message id once; see :meth:`MessageStore.save`."""
        if expired(deadline):
            return [SaveStatus.FAILED] * len(items)
        with self._lock:
            stored_at_us = self._last_us = max(self._clock(), self._last_us)
            statuses = []
            for item in items:
                envelope = item.envelope
                if envelope.message_id in self._by_id:
                    statuses.append(SaveStatus.DUPLICATE)
                    continue
                rows = self._records if isinstance(item, NewRecord) else self._rejections
                seq = len(rows) + 1
                stored = self._by_id[envelope.message_id] = _stored(item, seq, stored_at_us)
                rows.append(_Row(seq, stored_at_us, stored))
                statuses.append(SaveStatus.STORED)
            return statuses

    def get_record(self, message_id: str) -> StoredRecord | None:
        """The record with this message id, if any."""
        found = self._by_id.get(message_id)
        return found if isinstance(found, StoredRecord) else None

    def get_rejection(self, message_id: str) -> StoredRejection | None:
        """The rejected message with this message id, if any."""
        found = self._by_id.get(message_id)
        return found if isinstance(found, StoredRejection) else None

    def list_records(
        self, where: RecordFilter, *, after: str | None, limit: int
    ) -> Slice[StoredRecord]:
        """Records matching ``where`` in stored order, after the cursor."""
        since = None if where.since is None else us_from_utc(where.since)
        until = None if where.until is None else us_from_utc(where.until)

        def matches(row: _Row) -> bool:
            record = row.item
            assert isinstance(record, StoredRecord)  # noqa: S101 - the list holds only records
            return (
                (where.client_id is None or record.client_id == where.client_id)
                and (where.command is None or record.command == where.command)
                and (since is None or row.stored_at_us >= since)
                and (until is None or row.stored_at_us < until)
            )

        return _page(self._records, matches, after, limit, StoredRecord)

    def list_rejections(self, *, after: str | None, limit: int) -> Slice[StoredRejection]:
        """Rejected messages in stored order, after the cursor."""
        return _page(self._rejections, lambda _row: True, after, limit, StoredRejection)

    def check(self) -> None:
        """Always answers."""

    def close(self) -> None:
        """Nothing to release."""


def _stored(item: Incoming, seq: int, stored_at_us: int) -> StoredRecord | StoredRejection:
    envelope = item.envelope
    body = storable_text(envelope.body)  # as SQLite does: a rejected body may not be UTF-8
    if isinstance(item, NewRecord):
        return StoredRecord(
            message_id=envelope.message_id,
            command=item.command,
            client_id=item.client_id,
            queue_arn=envelope.queue_arn,
            sent_at=utc_from_ms(envelope.sent_at_ms),
            stored_at=utc_from_us(stored_at_us),
            receive_count=envelope.receive_count,
            message_group_id=envelope.message_group_id,
            body=body,
            body_bytes=utf8_size(body),
            cursor=str(seq),
        )
    return StoredRejection(
        message_id=envelope.message_id,
        queue_arn=envelope.queue_arn,
        sent_at=utc_from_ms(envelope.sent_at_ms),
        stored_at=utc_from_us(stored_at_us),
        receive_count=envelope.receive_count,
        reason=item.reason,
        body=body,
        body_bytes=utf8_size(body),
        cursor=str(seq),
    )


def _page(
    rows: list[_Row],
    matches: Callable[[_Row], bool],
    after: str | None,
    limit: int,
    kind: type[T],
) -> Slice[T]:
    start = 0
    if after is not None:
        if not (after.isascii() and after.isdigit()) or len(after) > 18:
            raise InvalidCursorError("cursor does not point into this store")
        start = int(after)  # the row with seq n sits at index n - 1
    found: list[T] = []
    for row in rows[start:]:
        if not matches(row):
            continue
        if len(found) == limit:
            return Slice(found, more=True)
        item = row.item
        assert isinstance(item, kind)  # noqa: S101 - each list holds one kind
        found.append(replace(item, body=preview(item.body)))
    return Slice(found, more=False)
