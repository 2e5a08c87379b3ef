"""How the SQLite store reads: one message by id, and pages in stored order, each one range
scan on ``seq`` (a ``since``/``until`` filter becomes ``seq`` bounds by a binary search)."""

from __future__ import annotations

import sqlite3
from typing import Any

from triggersqs.core.ports import RecordFilter, Slice
from triggersqs.core.records import StoredRecord, StoredRejection, storable_text, us_from_utc
from triggersqs.storage.common import seq_after
from triggersqs.storage.sqlite.connections import Connections
from triggersqs.storage.sqlite.rows import (
    BODY_PREVIEW,
    RECORD_COLUMNS,
    REJECTION_COLUMNS,
    WHOLE_BODY,
    record,
    rejection,
)


def get_record(connections: Connections, message_id: str) -> StoredRecord | None:
    """The whole record with this message id, if any."""
    row = _by_id(connections, "records", RECORD_COLUMNS, message_id)
    return None if row is None else record(row)


def get_rejection(connections: Connections, message_id: str) -> StoredRejection | None:
    """The whole rejected message with this message id, if any."""
    row = _by_id(connections, "rejected", REJECTION_COLUMNS, message_id)
    return None if row is None else rejection(row)


def _by_id(
    connections: Connections, table: str, columns: str, message_id: str
) -> tuple[Any, ...] | None:
    """The row of this message id in ``table``: ``columns``, then the whole body."""
    with connections.reading() as conn:
        row: tuple[Any, ...] | None = conn.execute(
            f"SELECT {columns}, {WHOLE_BODY} FROM {table}"  # noqa: S608 - constant columns
            " WHERE message_id = ?",  # and table, all ours
            (storable_text(message_id),),
        ).fetchone()
    return row


def list_records(
    connections: Connections,
    where: RecordFilter,
    *,
    after: str | None,
    limit: int,
    newest_first: bool = False,
) -> Slice[StoredRecord]:
    """One index range scan: ``seq`` past the cursor (below it, newest first), within the time
    filter's bounds."""
    conditions, params = _past_cursor(after, newest_first=newest_first)
    if where.client_id is not None:
        conditions.append("client_id = ?")
        params.append(storable_text(where.client_id))
    if where.command is not None:
        conditions.append("command = ?")
        params.append(storable_text(where.command))
    with connections.reading() as conn:
        bounds = _seq_bounds(conn, "records", where)
        if bounds is None:
            return Slice([], more=False)
        if bounds[0] is not None:
            conditions.append("seq >= ?")
            params.append(bounds[0])
        if bounds[1] is not None:
            conditions.append("seq < ?")
            params.append(bounds[1])
        rows = _page_rows(
            conn,
            "records",
            RECORD_COLUMNS,
            conditions,
            params,
            limit=limit,
            newest_first=newest_first,
        )
    items = [record(row, listed=True) for row in rows[:limit]]
    return Slice(items, more=len(rows) > limit)


def list_rejections(
    connections: Connections, *, after: str | None, limit: int, newest_first: bool = False
) -> Slice[StoredRejection]:
    """Rejected messages in stored order (or its reverse) after the cursor: one range scan."""
    conditions, params = _past_cursor(after, newest_first=newest_first)
    with connections.reading() as conn:
        rows = _page_rows(
            conn,
            "rejected",
            REJECTION_COLUMNS,
            conditions,
            params,
            limit=limit,
            newest_first=newest_first,
        )
    items = [rejection(row, listed=True) for row in rows[:limit]]
    return Slice(items, more=len(rows) > limit)


def _past_cursor(after: str | None, *, newest_first: bool) -> tuple[list[str], list[Any]]:
    """The condition that starts a page past the cursor: ``seq`` above it, or below it newest
    first (from the top when there is no cursor)."""
    if not newest_first:
        return ["seq > ?"], [seq_after(after)]
    if after is None:
        return [], []
    return ["seq < ?"], [seq_after(after)]


def _page_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: str,
    conditions: list[str],
    params: list[Any],
    *,
    limit: int,
    newest_first: bool,
) -> list[tuple[Any, ...]]:
    """Up to ``limit + 1`` rows of ``table`` meeting every condition, in ``seq`` order (or its
    reverse): the extra row says whether more follow."""
    where_sql = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    order = "DESC" if newest_first else "ASC"
    rows: list[tuple[Any, ...]] = conn.execute(
        f"SELECT {columns}, {BODY_PREVIEW} FROM {table}"  # noqa: S608 - only placeholders
        f"{where_sql} ORDER BY seq {order} LIMIT ?",  # and our constants vary
        [*params, limit + 1],
    ).fetchall()
    return rows


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
