"""How the SQLite store deletes what its retention let expire: a bounded delete, oldest first,
inside a save's own transaction now and then (storage/retention.py says when).

Why inside a save: the commit's sync is paid anyway, so a prune costs no extra sync, and only
processes that write prune (``serve`` never writes). Why no index on ``expires_at``: it would cost
every insert; instead a prune walks the rows in stored order from where the last one stopped,
deleting those whose time has come. Rows that never expire (written with retention 0) are walked
past once; a row not yet expired stops the walk, so a lowered retention takes effect once the
rows stored before it expire. The newest row of each table is never deleted: ``seq`` is the
rowid, and SQLite would hand an emptied table's numbers out again, behind readers' cursors.
"""

from __future__ import annotations

import sqlite3
from typing import Final

from triggersqs.storage.retention import PruneSchedule

_TABLES: Final = ("records", "rejected")
_WINDOW: Final = (
    "SELECT max(seq), min(CASE WHEN expires_at > ? THEN seq END), sum(expires_at <= ?)"
    " FROM (SELECT seq, expires_at FROM {table} WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?)"
)
"""A prune's window summed up: its last ``seq``, its first row not yet expired, how many have."""


class Pruner:
    """Where the last prune of each table stopped, and when the next one is due."""

    def __init__(self) -> None:
        self._schedule = PruneSchedule()
        self._after = dict.fromkeys(_TABLES, 0)
        """Per table: every row up to this ``seq`` is deleted or never expires."""

    def prune_if_due(self, conn: sqlite3.Connection, now_us: int, rows: int) -> int:
        """Count a save of ``rows``; when a prune is due, delete expired rows. How many."""
        budget = self._schedule.due(now_us, rows)
        if not budget:
            return 0
        return sum(self._prune(conn, table, now_us // 1_000_000, budget) for table in _TABLES)

    def _prune(self, conn: sqlite3.Connection, table: str, now_s: int, budget: int) -> int:
        """Walk up to ``budget`` rows of ``table`` after the last stop; delete the expired."""
        # ``table`` is one of _TABLES: constant SQL identifiers. The window is summed up in SQL
        # (its last row, its first row not yet expired, whether any expired): fetching its rows
        # into Python cost a microsecond or so each (docs/benchmarks.md, "What was optimised").
        start = self._after[table]
        newest = conn.execute(f"SELECT max(seq) FROM {table}").fetchone()[0]  # noqa: S608
        if newest is None:
            return 0
        last, stop, expired = conn.execute(
            _WINDOW.format(table=table), (now_s, now_s, start, newest, budget)
        ).fetchone()
        if last is None:
            return 0
        # Walked: every row before the first one not yet expired (rows that never expire too).
        walked = last if stop is None else self._before(conn, table, start, stop)
        if walked is not None:
            self._after[table] = walked
        if not expired:
            return 0
        before = conn.total_changes
        conn.execute(
            f"DELETE FROM {table} WHERE seq > ? AND seq <= ? AND expires_at <= ?",  # noqa: S608
            (start, last, now_s),
        )
        return conn.total_changes - before

    @staticmethod
    def _before(conn: sqlite3.Connection, table: str, start: int, stop: int) -> int | None:
        """The ``seq`` of the row before ``stop`` and after ``start``, if any."""
        row = conn.execute(
            f"SELECT max(seq) FROM {table} WHERE seq > ? AND seq < ?",  # noqa: S608
            (start, stop),
        ).fetchone()
        return None if row[0] is None else int(row[0])
