"""The SQLite store: the embedded default, one file shared by every process on one machine.

Layout and why:

- ``records`` and ``rejected`` are keyed by ``seq`` (the rowid), which gives the stored order;
  ``message_id`` is UNIQUE in each. :meth:`SqliteStore.save` inserts with ``INSERT OR IGNORE``
  inside one ``BEGIN IMMEDIATE`` transaction, so the unique index itself is the duplicate check
  (no lookup before each insert), and looks the batch's ids up in the *other* table (skipped
  while it is empty), so a message id is stored once across both kinds and every process.
- ``stored_at`` never decreases along ``seq`` (a save takes the maximum of the clock and the
  last value), so a ``since``/``until`` filter turns into a ``seq`` range by a binary search on
  the rowid, with no ``stored_at`` index to update at every insert; every page is then one range
  scan: no page reads the whole file.
- WAL lets readers (``serve``) run beside the writer (``worker``); ``synchronous=FULL`` syncs the
  WAL at every commit, so a record reported stored survives a power cut.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from triggersqs.core.clock import Deadline, expired
from triggersqs.core.ports import RecordFilter, SaveStatus, Slice
from triggersqs.core.records import (
    PREVIEW_BYTES,
    Incoming,
    NewRecord,
    StoredRecord,
    StoredRejection,
    now_us,
    preview,
    storable_text,
    us_from_utc,
    utc_from_ms,
    utf8_size,
)
from triggersqs.errors import InvalidCursorError, StorageError, StorageUnavailableError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    command TEXT NOT NULL,
    client_id TEXT NOT NULL,
    queue_arn TEXT NOT NULL,
    sent_at INTEGER,
    stored_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL,
    message_group_id TEXT,
    body TEXT NOT NULL,
    body_bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_client ON records (client_id, seq);
CREATE INDEX IF NOT EXISTS records_by_command ON records (command, seq);
CREATE TABLE IF NOT EXISTS rejected (
    seq INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    queue_arn TEXT NOT NULL,
    sent_at INTEGER,
    stored_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL,
    reason TEXT NOT NULL,
    body TEXT NOT NULL,
    body_bytes INTEGER NOT NULL
);
"""

_RECORD_COLUMNS = (
    "seq, message_id, command, client_id, queue_arn, sent_at, stored_at, receive_count,"
    " message_group_id"
)
_REJECTION_COLUMNS = "seq, message_id, queue_arn, sent_at, stored_at, receive_count, reason"
# Listings read a bounded prefix of each body: at most 4 bytes per character in UTF-8.
_BODY_PREVIEW = f"substr(body, 1, {PREVIEW_BYTES}), body_bytes"
_IN_CHUNK = 500  # message ids per IN (...) lookup, well under SQLite's variable limit
_MAX_CURSOR_DIGITS = 18


class SqliteStore:
    """A :class:`~triggersqs.core.ports.MessageStore` in one SQLite file (stdlib ``sqlite3``).

    Each thread gets its own connection; all connections of all processes share the file.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: Literal["full", "normal"] = "full",
        busy_timeout_ms: int = 5000,
        clock: Callable[[], int] = now_us,
    ) -> None:
        self._path = str(path)
        self._synchronous = synchronous.upper()
        self._busy_timeout_ms = busy_timeout_ms
        self._clock = clock
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._setup_lock = threading.Lock()
        self._schema_ready = False

    # -- writing ---------------------------------------------------------------------------------

    def save(
        self, items: Sequence[Incoming], *, ordered: bool = False, deadline: Deadline | None = None
    ) -> list[SaveStatus]:
        """Write the new items in one transaction; see :meth:`MessageStore.save`.

        The transaction is all or nothing, so ``ordered`` needs nothing more.
        """
        del ordered
        if not items:
            return []
        if expired(deadline):
            return [SaveStatus.FAILED] * len(items)
        with self._transaction() as conn:
            stored_at = max(self._clock(), _last_stored_at(conn))
            statuses: list[SaveStatus] = []
            rows: dict[str, list[tuple[int, tuple[Any, ...]]]] = {"records": [], "rejected": []}
            seen: set[str] = set()
            for index, item in enumerate(items):
                envelope = item.envelope
                # Text goes in as UTF-8: an unpaired surrogate (a JSON event can carry one) is
                # escaped, as the DynamoDB store does, instead of failing the whole batch.
                message_id = storable_text(envelope.message_id)
                if message_id in seen:
                    statuses.append(SaveStatus.DUPLICATE)
                    continue
                seen.add(message_id)
                statuses.append(SaveStatus.STORED)
                body = storable_text(envelope.body)
                common = (
                    message_id,
                    storable_text(envelope.queue_arn),
                    envelope.sent_at_ms,
                    stored_at,
                    envelope.receive_count,
                )
                if isinstance(item, NewRecord):
                    group = envelope.message_group_id
                    row = (
                        *common,
                        item.command,
                        item.client_id,
                        None if group is None else storable_text(group),
                        body,
                        utf8_size(body),
                    )
                    rows["records"].append((index, row))
                else:
                    rows["rejected"].append((index, (*common, item.reason, body, utf8_size(body))))
            for table, other in (("records", "rejected"), ("rejected", "records")):
                for index in _insert(conn, table, other, rows[table]):
                    statuses[index] = SaveStatus.DUPLICATE
        return statuses

    # -- reading ---------------------------------------------------------------------------------

    def get_record(self, message_id: str) -> StoredRecord | None:
        """The whole record with this message id, if any."""
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {_RECORD_COLUMNS}, body, body_bytes"  # noqa: S608 - constant columns
                " FROM records WHERE message_id = ?",
                (storable_text(message_id),),
            ).fetchone()
        return None if row is None else _record(row)

    def get_rejection(self, message_id: str) -> StoredRejection | None:
        """The whole rejected message with this message id, if any."""
        with self._reading() as conn:
            row = conn.execute(
                f"SELECT {_REJECTION_COLUMNS}, body, body_bytes"  # noqa: S608 - constant columns
                " FROM rejected WHERE message_id = ?",
                (storable_text(message_id),),
            ).fetchone()
        return None if row is None else _rejection(row)

    def list_records(
        self, where: RecordFilter, *, after: str | None, limit: int
    ) -> Slice[StoredRecord]:
        """One index range scan: ``seq`` after the cursor, within the time filter's bounds."""
        conditions = ["seq > ?"]
        params: list[Any] = [_seq(after)]
        if where.client_id is not None:
            conditions.append("client_id = ?")
            params.append(storable_text(where.client_id))
        if where.command is not None:
            conditions.append("command = ?")
            params.append(storable_text(where.command))
        with self._reading() as conn:
            bounds = _seq_bounds(conn, "records", where)
            if bounds is None:
                return Slice([], more=False)
            if bounds[0] is not None:
                conditions.append("seq >= ?")
                params.append(bounds[0])
            if bounds[1] is not None:
                conditions.append("seq < ?")
                params.append(bounds[1])
            params.append(limit + 1)
            rows = conn.execute(
                f"SELECT {_RECORD_COLUMNS}, {_BODY_PREVIEW} FROM records"  # noqa: S608 - only
                f" WHERE {' AND '.join(conditions)} ORDER BY seq LIMIT ?",  # placeholders vary
                params,
            ).fetchall()
        items = [_record(row, listed=True) for row in rows[:limit]]
        return Slice(items, more=len(rows) > limit)

    def list_rejections(self, *, after: str | None, limit: int) -> Slice[StoredRejection]:
        """Rejected messages in stored order after the cursor."""
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_REJECTION_COLUMNS}, {_BODY_PREVIEW} FROM rejected"  # noqa: S608
                " WHERE seq > ? ORDER BY seq LIMIT ?",
                (_seq(after), limit + 1),
            ).fetchall()
        items = [_rejection(row, listed=True) for row in rows[:limit]]
        return Slice(items, more=len(rows) > limit)

    def check(self) -> None:
        """Run a trivial query on the file."""
        with self._reading() as conn:
            conn.execute("SELECT count(*) FROM (SELECT 1 FROM records LIMIT 1)").fetchone()

    def close(self) -> None:
        """Close every connection this store opened, in any thread."""
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- connections -----------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        conn = sqlite3.connect(
            self._path,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
            check_same_thread=False,  # close() may run on another thread
            cached_statements=256,
        )
        try:
            # One thread at a time: switching a new file to WAL while another connection of
            # this process begins a transaction can fail at once with "database is locked"
            # (SQLite skips the busy handler where waiting could deadlock).
            with self._setup_lock:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA synchronous={self._synchronous}")
                # Checkpoint every ~40 MB of WAL, not every 4 MB: a hot page (the end of each
                # index) rewritten by many commits is copied to the file once per checkpoint.
                # Measured: commit of a 10-record batch 297 -> 181 us (docs/benchmarks.md).
                conn.execute("PRAGMA wal_autocheckpoint=10000")
                if not self._schema_ready:
                    conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
                    self._schema_ready = True
        except BaseException:
            conn.close()
            raise
        with self._lock:
            self._connections.append(conn)
        self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            if _read_only(exc):
                # A connection that opened the file while it was read-only stays read-only:
                # open a new one next time, so writing resumes once the file is writable again.
                self._forget_connection()
            raise _translate(exc) from exc

    def _forget_connection(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        conn.close()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._connection()
        except sqlite3.Error as exc:
            raise _translate(exc) from exc


def _translate(exc: sqlite3.Error) -> StorageError:
    # OperationalError covers "database is locked", "unable to open", "readonly", "disk I/O error":
    # conditions that may clear, so the records go back to the queue and are retried.
    if isinstance(exc, sqlite3.OperationalError):
        return StorageUnavailableError(f"SQLite: {exc}")
    return StorageError(f"SQLite: {exc}")


def _read_only(exc: sqlite3.Error) -> bool:
    # The primary result code, without the extended part (SQLITE_READONLY_DBMOVED...).
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY


_INSERT = {
    "records": "INSERT OR IGNORE INTO records (message_id, queue_arn, sent_at, stored_at,"
    " receive_count, command, client_id, message_group_id, body, body_bytes)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "rejected": "INSERT OR IGNORE INTO rejected (message_id, queue_arn, sent_at, stored_at,"
    " receive_count, reason, body, body_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
}


def _insert(
    conn: sqlite3.Connection, table: str, other: str, rows: list[tuple[int, tuple[Any, ...]]]
) -> list[int]:
    """Insert ``rows`` (item index, values) unless their id is stored; the duplicates' indexes."""
    if not rows:
        return []
    duplicates: list[int] = []
    if _last_seq(conn, other):
        kept = _ids_in(conn, other, [values[0] for _, values in rows])
        if kept:
            duplicates = [index for index, values in rows if values[0] in kept]
            rows = [(index, values) for index, values in rows if values[0] not in kept]
    last = _last_seq(conn, table)
    before = conn.total_changes
    conn.executemany(_INSERT[table], [values for _, values in rows])
    if conn.total_changes - before < len(rows):
        # Some ids were already there: the rows this statement added are the ones after ``last``.
        added = {
            message_id
            for (message_id,) in conn.execute(
                f"SELECT message_id FROM {table} WHERE seq > ?",  # noqa: S608 - table is ours
                (last,),
            )
        }
        duplicates += [index for index, values in rows if values[0] not in added]
    return duplicates


def _ids_in(conn: sqlite3.Connection, table: str, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT message_id FROM {table} WHERE message_id IN ({marks})",  # noqa: S608
            chunk,
        )
        found.update(row[0] for row in rows)
    return found


def _last_seq(conn: sqlite3.Connection, table: str) -> int:
    row = conn.execute(f"SELECT max(seq) FROM {table}").fetchone()  # noqa: S608 - table is ours
    return int(row[0] or 0)


def _last_stored_at(conn: sqlite3.Connection) -> int:
    # stored_at follows seq, so each table's last row holds its latest: no index needed.
    row = conn.execute(
        "SELECT max(coalesce((SELECT stored_at FROM records ORDER BY seq DESC LIMIT 1), 0),"
        " coalesce((SELECT stored_at FROM rejected ORDER BY seq DESC LIMIT 1), 0))"
    ).fetchone()
    return int(row[0])


def _seq(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > _MAX_CURSOR_DIGITS:
        raise InvalidCursorError("cursor does not point into this store")
    return int(cursor)


def _seq_bounds(
    conn: sqlite3.Connection, table: str, where: RecordFilter
) -> tuple[int | None, int | None] | None:
    """The ``seq`` range holding ``stored_at`` in [since, until); None when the range is empty."""
    low = high = None
    if where.since is not None:
        low = _first_seq_at_or_after(conn, table, us_from_utc(where.since))
        if low is None:
            return None
    if where.until is not None:
        high = _first_seq_at_or_after(conn, table, us_from_utc(where.until))
    return low, high


def _first_seq_at_or_after(conn: sqlite3.Connection, table: str, moment_us: int) -> int | None:
    """A binary search on the rowid: ``stored_at`` never decreases along ``seq``."""
    last = conn.execute(
        f"SELECT seq, stored_at FROM {table} ORDER BY seq DESC LIMIT 1"  # noqa: S608 - ours
    ).fetchone()
    if last is None or last[1] < moment_us:
        return None
    # Rows up to ``low`` are all before the moment; the row at ``high`` is at or after it.
    low, high = 0, int(last[0])
    query = f"SELECT seq, stored_at FROM {table} WHERE seq <= ? ORDER BY seq DESC LIMIT 1"  # noqa: S608
    while high - low > 1:
        middle = (low + high) // 2
        row = conn.execute(query, (middle,)).fetchone()
        if row is None or row[0] <= low or row[1] < moment_us:
            low = middle  # nothing at or after the moment up to middle
        else:
            high = int(row[0])
    return high


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc_from_us(us: int) -> datetime:
    """``records.utc_from_us``, exact too, in half the time: listings convert one per record."""
    return _EPOCH + timedelta(microseconds=us)


def _record(row: tuple[Any, ...], *, listed: bool = False) -> StoredRecord:
    seq, message_id, command, client_id, queue_arn, sent_at, stored_at, count, group, body, size = (
        row
    )
    return StoredRecord(
        message_id=message_id,
        command=command,
        client_id=client_id,
        queue_arn=queue_arn,
        sent_at=utc_from_ms(sent_at),
        stored_at=_utc_from_us(stored_at),
        receive_count=count,
        message_group_id=group,
        body=preview(body) if listed else body,
        body_bytes=size,
        cursor=str(seq),
    )


def _rejection(row: tuple[Any, ...], *, listed: bool = False) -> StoredRejection:
    seq, message_id, queue_arn, sent_at, stored_at, count, reason, body, size = row
    return StoredRejection(
        message_id=message_id,
        queue_arn=queue_arn,
        sent_at=utc_from_ms(sent_at),
        stored_at=_utc_from_us(stored_at),
        receive_count=count,
        reason=reason,
        body=preview(body) if listed else body,
        body_bytes=size,
        cursor=str(seq),
    )
