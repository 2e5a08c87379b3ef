"""How the SQLite store writes a batch: one transaction, the unique index as duplicate check."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from triggersqs.core.clock import Deadline
from triggersqs.core.ports import SaveStatus
from triggersqs.core.records import (
    Incoming,
    NewRecord,
    RejectionStatus,
    storable_text,
    utf8_size,
)
from triggersqs.storage.common import Stamps, decided_before_writing
from triggersqs.storage.retention import KEEP_FOREVER, Retention
from triggersqs.storage.sqlite.connections import Connections
from triggersqs.storage.sqlite.pruning import Pruner

_IN_CHUNK: Final = 500  # message ids per IN (...) lookup, well under SQLite's variable limit

_INSERT: Final = {
    "records": "INSERT OR IGNORE INTO records (message_id, queue_arn, sent_at, stored_at,"
    " receive_count, expires_at, command, client_id, message_group_id, body, body_bytes)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "rejected": "INSERT OR IGNORE INTO rejected (message_id, queue_arn, sent_at, stored_at,"
    " receive_count, expires_at, reason, body, body_bytes, body_sha256, status)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
}


def insert_statement(table: str) -> str:
    """The statement a save inserts the rows of ``table`` ("records", "rejected") with."""
    return _INSERT[table]


def save(
    connections: Connections,
    stamps: Stamps,
    items: Sequence[Incoming],
    deadline: Deadline | None,
    *,
    retention: Retention = KEEP_FOREVER,
    pruner: Pruner | None = None,
) -> list[SaveStatus]:
    """Write the new items in one transaction (all or nothing, so already in order); now and
    then, delete expired rows in the same transaction (pruning.py)."""
    if (decided := decided_before_writing(items, deadline)) is not None:
        return decided
    with connections.transaction() as conn:
        ends = _ends(conn)
        stored_at = stamps.shared(floor=ends.stored_at)
        if pruner is not None:
            pruner.prune_if_due(conn, stored_at, len(items))
        return _write(conn, items, stored_at, retention.expires_at(stored_at), ends)


@dataclass(frozen=True, slots=True)
class _Ends:
    """What a save needs to know of the file, read in one statement once it holds the lock."""

    last_seq: dict[str, int]
    """Per table, its highest ``seq`` (0 when empty): rows a statement adds come after it."""
    stored_at: int
    """The latest ``stored_at`` in the file (0 when empty): no stamp may go below it."""


def _ends(conn: sqlite3.Connection) -> _Ends:
    # One statement instead of one per question: each statement is a visible part of a small
    # batch's cost (docs/benchmarks.md, section 2, has the figures). stored_at follows seq, so each
    # table's last row holds its latest: no index needed. Pruning never deletes a table's newest
    # row (pruning.py), so these hold for the whole transaction.
    row = conn.execute(ENDS_QUERY).fetchone()
    records_seq, records_at, rejected_seq, rejected_at = (value or 0 for value in row)
    return _Ends({"records": records_seq, "rejected": rejected_seq}, max(records_at, rejected_at))


ENDS_QUERY: Final = (
    "SELECT (SELECT seq FROM records ORDER BY seq DESC LIMIT 1),"
    " (SELECT stored_at FROM records ORDER BY seq DESC LIMIT 1),"
    " (SELECT seq FROM rejected ORDER BY seq DESC LIMIT 1),"
    " (SELECT stored_at FROM rejected ORDER BY seq DESC LIMIT 1)"
)
"""The one read of both tables' ends a save makes inside its transaction (benchmarks measure
it too)."""


def _write(
    conn: sqlite3.Connection,
    items: Sequence[Incoming],
    stored_at: int,
    expires_at: int | None,
    ends: _Ends,
) -> list[SaveStatus]:
    """Insert the new items in the open transaction, all at ``stored_at``; one status each."""
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
        common = (
            message_id,
            storable_text(envelope.queue_arn),
            envelope.sent_at_ms,
            stored_at,
            envelope.receive_count,
            expires_at,
        )
        if isinstance(item, NewRecord):
            group = envelope.message_group_id
            body = storable_text(envelope.body)
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
            rejected = (
                *common,
                item.reason,
                item.body,
                item.body_bytes,
                item.body_sha256,
                item.status.value,
            )
            rows["rejected"].append((index, rejected))
    for table, other in (("records", "rejected"), ("rejected", "records")):
        for index in _insert(conn, table, ends.last_seq[table], ends.last_seq[other], rows[table]):
            statuses[index] = SaveStatus.DUPLICATE
    return statuses


def _insert(
    conn: sqlite3.Connection,
    table: str,
    last: int,
    other_last: int,
    rows: list[tuple[int, tuple[Any, ...]]],
) -> list[int]:
    """Insert ``rows`` (item index, values) unless their id is stored; the duplicates' indexes.

    ``last`` is the table's highest ``seq`` before this save; ``other_last`` the other table's
    (0: empty, so no id of this batch can be there: ids within the batch are distinct).
    """
    if not rows:
        return []
    duplicates: list[int] = []
    other = "rejected" if table == "records" else "records"
    if other_last:
        kept = _ids_in(conn, other, [values[0] for _, values in rows])
        if kept:
            duplicates = [index for index, values in rows if values[0] in kept]
            rows = [(index, values) for index, values in rows if values[0] not in kept]
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


def mark_replayed(connections: Connections, message_id: str, replayed_as: str) -> bool:
    """Set the rejection's status to replayed; False when no rejection has this id."""
    with connections.transaction() as conn:
        changed = conn.execute(
            "UPDATE rejected SET status = ?, replayed_as = ? WHERE message_id = ?",
            (RejectionStatus.REPLAYED.value, storable_text(replayed_as), storable_text(message_id)),
        ).rowcount
    return bool(changed)
