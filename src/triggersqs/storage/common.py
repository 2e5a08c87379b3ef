"""What every store does the same way: the pre-check of a save (nothing to write, or too late),
``stored_at`` stamps that never decrease, the stored fields mapped into StoredRecord /
StoredRejection, and the digit cursor."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Final

from triggersqs.core.clock import Deadline, WallClock, expired
from triggersqs.core.ports import SaveStatus
from triggersqs.core.records import (
    Incoming,
    RejectionStatus,
    StoredRecord,
    StoredRejection,
    now_us,
    preview,
)
from triggersqs.errors import InvalidCursorError

MAX_SEQ_CURSOR_DIGITS: Final = 18
"""A sequence-number cursor is at most this many digits: every such number fits SQLite's int64."""


def decided_before_writing(
    items: Sequence[Incoming], deadline: Deadline | None
) -> list[SaveStatus] | None:
    """The statuses of a save that must not touch the store: none for no items, every item
    FAILED once the deadline has come (no write may start then); None when there is work."""
    if not items:
        return []
    return [SaveStatus.FAILED] * len(items) if expired(deadline) else None


class Stamps:
    """``stored_at`` values (epoch microseconds) that never go below one handed out before.

    Stored order is then time order even when the wall clock steps back, so a ``since`` /
    ``until`` filter is one range of the stored order (sqlite/listing.py, dynamodb/listing.py).
    Thread-safe.
    """

    def __init__(self, clock: WallClock = now_us) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last = 0

    def shared(self, floor: int = 0) -> int:
        """One stamp for a whole batch: the clock's time, unless ``floor`` or an earlier stamp
        is later (then that one: a stamp may repeat)."""
        with self._lock:
            self._last = max(self._clock(), self._last, floor)
            return self._last

    def distinct(self, count: int) -> range:
        """``count`` increasing stamps, each above every stamp handed out before."""
        with self._lock:
            first = max(self._clock(), self._last + 1)
            self._last = first + count - 1
        return range(first, first + count)


def stored_record(  # noqa: PLR0917 - positional for the SQLite rows (sqlite/rows.py)
    cursor: str,
    message_id: str,
    command: str,
    client_id: str,
    queue_arn: str,
    sent_at_ms: int | None,
    stored_at_us: int,
    receive_count: int,
    message_group_id: str | None,
    body: str,
    body_bytes: int,
    listed: bool = False,
) -> StoredRecord:
    """A record as every store returns it; ``listed``: its body cut to the listing preview.

    Its arguments may come by position, and go on so: a listing makes a hundred records, and
    passing eleven by keyword, twice, was a visible part of a served page's CPU (issue 15).
    """
    return StoredRecord(
        message_id,
        command,
        client_id,
        queue_arn,
        sent_at_ms,
        stored_at_us,
        receive_count,
        message_group_id,
        preview(body) if listed else body,
        body_bytes,
        cursor,
    )


def stored_rejection(
    *,
    cursor: str,
    message_id: str,
    queue_arn: str,
    sent_at_ms: int | None,
    stored_at_us: int,
    receive_count: int,
    reason: str,
    body: str,
    body_bytes: int,
    body_sha256: str | None = None,
    listed: bool = False,
    status: str = RejectionStatus.KEPT,
    replayed_as: str | None = None,
) -> StoredRejection:
    """A rejected message as every store returns it; ``listed``: its body cut to the preview.
    An unknown ``status`` (written by a newer version) reads as ``kept``."""
    return StoredRejection(
        message_id=message_id,
        queue_arn=queue_arn,
        sent_at_ms=sent_at_ms,
        stored_at_us=stored_at_us,
        receive_count=receive_count,
        reason=reason,
        body=preview(body) if listed else body,
        body_bytes=body_bytes,
        cursor=cursor,
        status=_STATUSES.get(status, RejectionStatus.KEPT),
        replayed_as=replayed_as,
        body_sha256=body_sha256,
    )


_STATUSES: Final = {status.value: status for status in RejectionStatus}


def seq_after(cursor: str | None) -> int:
    """The sequence number a digit cursor points after (0 for none); refuses any other cursor."""
    if cursor is None:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > MAX_SEQ_CURSOR_DIGITS:
        raise InvalidCursorError("cursor does not point into this store")
    return int(cursor)
