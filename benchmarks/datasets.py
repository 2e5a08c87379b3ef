"""Stores holding N records, made fast: a SQLite file in triggersqs's schema, and a tutorial log.

The SQLite rows are written straight into the schema :class:`SqliteStore` creates (one
``executemany`` per chunk, the file unsynced while filling), with the values ``save`` would
write for the same messages; the log holds the lines the tutorial's handler appends for them.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from benchmarks.common import QUEUE_ARN, chunks, message_body
from triggersqs.storage.sqlite import SqliteStore

SENT_AT_MS = 1_764_000_000_000
_CHUNK = 100_000


def message_id(n: int) -> str:
    """The n-th message id, shaped like SQS's (a UUID)."""
    return f"059f36b4-87a3-44ab-83d2-{n:012d}"


def fill_sqlite(path: Path, count: int) -> float:
    """A SQLite store of ``count`` records at ``path``; seconds it took."""
    started = time.perf_counter()
    store = SqliteStore(path)
    store.check()  # creates the schema
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        stored_at = SENT_AT_MS * 1000
        for part in chunks(count, _CHUNK):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO records (message_id, queue_arn, sent_at, stored_at, receive_count,"
                " command, client_id, message_group_id, body, body_bytes)"
                " VALUES (?, ?, ?, ?, 1, 'SetStatus', ?, NULL, ?, ?)",
                (
                    (
                        message_id(n),
                        QUEUE_ARN,
                        SENT_AT_MS + n,
                        stored_at + 5000 + n,
                        f"client-{n:08d}",
                        body,
                        len(body),
                    )
                    for n in part
                    for body in (message_body(n),)
                ),
            )
            conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return time.perf_counter() - started


def fill_log(path: Path, count: int) -> float:
    """The tutorial's log with ``count`` lines at ``path``; seconds it took."""
    started = time.perf_counter()
    with path.open("w") as log:
        for part in chunks(count, _CHUNK):
            log.writelines(
                f"{{'command': 'SetStatus', 'client_id': 'client-{n:08d}'}}\n" for n in part
            )
    return time.perf_counter() - started


class Datasets:
    """Stores of each size, made on first use in ``workdir`` and kept for the whole run."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.fill_seconds: dict[str, float] = {}

    def sqlite(self, count: int) -> Path:
        """A SQLite file holding ``count`` records."""
        path = self.workdir / f"records-{count}.db"
        if not path.exists():
            self.fill_seconds[f"sqlite {count}"] = fill_sqlite(path, count)
        return path

    def log(self, count: int) -> Path:
        """A tutorial log holding ``count`` lines."""
        path = self.workdir / f"log-{count}.txt"
        if not path.exists():
            self.fill_seconds[f"log {count}"] = fill_log(path, count)
        return path
