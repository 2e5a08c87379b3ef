"""An in-memory store: the fake for unit tests, and ``TRIGGERSQS_STORE=memory`` for demos.

It keeps the contract of every other store (tests/contract), but nothing survives the process.
As the shipped fake it can also play an outage: :meth:`MemoryStore.go_down`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from triggersqs.core.clock import Deadline, WallClock
from triggersqs.core.ports import RecordFilter, SaveStatus, Slice
from triggersqs.core.records import (
    Incoming,
    NewRecord,
    RejectionStatus,
    StoredRecord,
    StoredRejection,
    now_us,
    preview,
    storable_text,
    us_from_utc,
    utf8_size,
)
from triggersqs.errors import StorageUnavailableError
from triggersqs.storage.common import (
    Stamps,
    decided_before_writing,
    seq_after,
    stored_record,
    stored_rejection,
)

T = TypeVar("T", StoredRecord, StoredRejection)

OUTAGE = "the in-memory store is down (a simulated outage)"


@dataclass(frozen=True, slots=True)
class _Row:
    seq: int
    stored_at_us: int
    item: StoredRecord | StoredRejection


class MemoryStore:
    """Records and rejections in two lists in stored order; thread-safe."""

    def __init__(self, clock: WallClock = now_us) -> None:
        self._stamps = Stamps(clock)
        self._lock = threading.Lock()
        self._records: list[_Row] = []
        self._rejections: list[_Row] = []
        self._by_id: dict[str, StoredRecord | StoredRejection] = {}
        self._outage: str | None = None

    # -- a simulated outage ----------------------------------------------------------------------

    def go_down(self, reason: str = OUTAGE) -> None:
        """Play an outage: every call but :meth:`close` raises StorageUnavailableError(reason),
        as a real store that cannot be reached does, and writes nothing, until :meth:`come_back`.
        """
        self._outage = reason

    def come_back(self) -> None:
        """End the outage: the store answers again, with everything it held before."""
        self._outage = None

    def _answer(self) -> None:
        if self._outage is not None:
            raise StorageUnavailableError(self._outage)

    # -- the port --------------------------------------------------------------------------------

    def save(
        self,
        items: Sequence[Incoming],
        *,
        ordered: bool = False,
        deadline: Deadline | None = None,
    ) -> list[SaveStatus]:
        """Store each new message id once; see :meth:`MessageWriter.save`."""
        if (decided := decided_before_writing(items, deadline)) is not None:
            return decided
        self._answer()
        with self._lock:
            stored_at_us = self._stamps.shared()
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
        self._answer()
        found = self._by_id.get(message_id)
        return found if isinstance(found, StoredRecord) else None

    def get_rejection(self, message_id: str) -> StoredRejection | None:
        """The rejected message with this message id, if any."""
        self._answer()
        found = self._by_id.get(message_id)
        return found if isinstance(found, StoredRejection) else None

    def list_records(
        self, where: RecordFilter, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[StoredRecord]:
        """Records matching ``where`` in stored order (or its reverse), after the cursor."""
        self._answer()
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

        return _page(self._records, matches, after, limit, StoredRecord, newest_first=newest_first)

    def list_rejections(
        self, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[StoredRejection]:
        """Rejected messages in stored order (or its reverse), after the cursor."""
        self._answer()
        return _page(
            self._rejections,
            lambda _row: True,
            after,
            limit,
            StoredRejection,
            newest_first=newest_first,
        )

    def mark_replayed(self, message_id: str, replayed_as: str) -> StoredRejection | None:
        """Mark the rejection replayed as ``replayed_as``; see :meth:`RejectionMarker`."""
        self._answer()
        with self._lock:
            found = self._by_id.get(message_id)
            if not isinstance(found, StoredRejection):
                return None
            marked = found._replace(status=RejectionStatus.REPLAYED, replayed_as=replayed_as)
            self._by_id[message_id] = marked
            seq = int(found.cursor)
            self._rejections[seq - 1] = replace(self._rejections[seq - 1], item=marked)
            return marked

    def check(self) -> None:
        """Answers, unless in a simulated outage."""
        self._answer()

    def close(self) -> None:
        """Nothing to release."""


def _stored(item: Incoming, seq: int, stored_at_us: int) -> StoredRecord | StoredRejection:
    envelope = item.envelope
    # Text as the SQLite and DynamoDB stores keep it: unpaired surrogates escaped, so it encodes.
    queue_arn = storable_text(envelope.queue_arn)
    if isinstance(item, NewRecord):
        body = storable_text(envelope.body)
        group = envelope.message_group_id
        return stored_record(
            cursor=str(seq),
            message_id=envelope.message_id,
            command=item.command,
            client_id=item.client_id,
            queue_arn=queue_arn,
            sent_at_ms=envelope.sent_at_ms,
            stored_at_us=stored_at_us,
            receive_count=envelope.receive_count,
            message_group_id=None if group is None else storable_text(group),
            body=body,
            body_bytes=utf8_size(body),
        )
    return stored_rejection(  # the kept part of the body, its whole size and digest (records.py)
        cursor=str(seq),
        message_id=envelope.message_id,
        queue_arn=queue_arn,
        sent_at_ms=envelope.sent_at_ms,
        stored_at_us=stored_at_us,
        receive_count=envelope.receive_count,
        reason=item.reason,
        body=item.body,
        body_bytes=item.body_bytes,
        body_sha256=item.body_sha256,
        status=item.status,
    )


def _page(
    rows: list[_Row],
    matches: Callable[[_Row], bool],
    after: str | None,
    limit: int,
    kind: type[T],
    *,
    newest_first: bool = False,
) -> Slice[T]:
    start = seq_after(after)  # the row with seq n sits at index n - 1
    if newest_first:  # the rows older than the cursor's, newest first
        ordered = reversed(rows[: max(start - 1, 0)] if after is not None else rows)
    else:
        ordered = iter(rows[start:])
    found: list[T] = []
    for row in ordered:
        if not matches(row):
            continue
        if len(found) == limit:
            return Slice(found, more=True)
        item = row.item
        assert isinstance(item, kind)  # noqa: S101 - each list holds one kind
        found.append(item._replace(body=preview(item.body)))
    return Slice(found, more=False)
