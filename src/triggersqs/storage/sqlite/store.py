"""The SQLite store: the port's methods over the file's connections (the package doc says why
the file is laid out as it is)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from triggersqs.core.clock import Deadline, WallClock
from triggersqs.core.ports import RecordFilter, SaveStatus, Slice
from triggersqs.core.records import Incoming, StoredRecord, StoredRejection, now_us
from triggersqs.storage.common import Stamps
from triggersqs.storage.retention import KEEP_FOREVER, Retention
from triggersqs.storage.sqlite import listing, writes
from triggersqs.storage.sqlite.connections import Connections
from triggersqs.storage.sqlite.pruning import Pruner


class SqliteStore:
    """A :class:`~triggersqs.core.ports.MessageStore` in one SQLite file (stdlib ``sqlite3``).

    Each thread gets its own connection; all connections of all processes share the file.
    ``clock`` stamps ``stored_at``; ``retention`` sets each row's expiry, and saves delete expired
    rows now and then (pruning.py).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: Literal["full", "normal"] = "full",
        busy_timeout_ms: int = 5000,
        clock: WallClock = now_us,
        retention: Retention = KEEP_FOREVER,
    ) -> None:
        self._connections = Connections(
            str(path), synchronous=synchronous.upper(), busy_timeout_ms=busy_timeout_ms
        )
        self._stamps = Stamps(clock)
        self._retention = retention
        self._pruner = Pruner()

    def save(
        self,
        items: Sequence[Incoming],
        *,
        ordered: bool = False,
        deadline: Deadline | None = None,
    ) -> list[SaveStatus]:
        """Write the new items in one transaction; see :meth:`MessageWriter.save`.

        The transaction is all or nothing, so ``ordered`` needs nothing more.
        """
        del ordered
        return writes.save(
            self._connections,
            self._stamps,
            items,
            deadline,
            retention=self._retention,
            pruner=self._pruner,
        )

    def get_record(self, message_id: str) -> StoredRecord | None:
        """The whole record with this message id, if any."""
        return listing.get_record(self._connections, message_id)

    def get_rejection(self, message_id: str) -> StoredRejection | None:
        """The whole rejected message with this message id, if any."""
        return listing.get_rejection(self._connections, message_id)

    def list_records(
        self, where: RecordFilter, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[StoredRecord]:
        """One index range scan: ``seq`` past the cursor, within the time filter's bounds."""
        return listing.list_records(
            self._connections, where, after=after, limit=limit, newest_first=newest_first
        )

    def list_rejections(
        self, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[StoredRejection]:
        """Rejected messages in stored order (or its reverse) after the cursor."""
        return listing.list_rejections(
            self._connections, after=after, limit=limit, newest_first=newest_first
        )

    def mark_replayed(self, message_id: str, replayed_as: str) -> StoredRejection | None:
        """Mark the rejection replayed as ``replayed_as``; see :meth:`RejectionMarker`."""
        if not writes.mark_replayed(self._connections, message_id, replayed_as):
            return None
        return self.get_rejection(message_id)

    def check(self) -> None:
        """Run a trivial query on the file."""
        with self._connections.reading() as conn:
            conn.execute("SELECT count(*) FROM (SELECT 1 FROM records LIMIT 1)").fetchone()

    def close(self) -> None:
        """Close every connection this store opened, in any thread."""
        self._connections.close()
