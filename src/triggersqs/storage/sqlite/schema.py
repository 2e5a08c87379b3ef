"""The SQLite file's tables and indexes, how they change between versions, and how each
connection to it is opened and set up.

``SCHEMA`` is the first version's shape and never changes: every later change is a step appended
to ``MIGRATIONS``, applied in order to new and old files alike, and ``PRAGMA user_version``
counts the steps a file has had.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Final

SCHEMA: Final = """
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


MIGRATIONS: Final[tuple[str, ...]] = (
    # When a row may be deleted (epoch seconds; NULL: never): TRIGGERSQS_RETENTION_DAYS.
    "ALTER TABLE records ADD COLUMN expires_at INTEGER",
    "ALTER TABLE rejected ADD COLUMN expires_at INTEGER",
    # What became of a rejection (core/records.py RejectionStatus), and the id it was replayed as.
    "ALTER TABLE rejected ADD COLUMN status TEXT NOT NULL DEFAULT 'kept'",
    "ALTER TABLE rejected ADD COLUMN replayed_as TEXT",
    # The SHA-256 of a rejected body, kept beside its size when the body is kept only in part.
    "ALTER TABLE rejected ADD COLUMN body_sha256 TEXT",
)
"""Append only: the step at index ``n`` takes a file from version ``n`` to ``n + 1``. Each step is
one SQL statement (``ALTER TABLE ... ADD COLUMN``, ``CREATE INDEX``...)."""


PRIVATE_MODE: Final = 0o600
"""A new file's mode: messages are readable by their owner only. SQLite creates the -wal and -shm
files with the database file's own mode, so they get it too."""


def connect(path: str, *, busy_timeout_ms: int) -> sqlite3.Connection:
    """A new connection to the file (created 0600 if new), not yet set up (see :func:`set_up`)."""
    if path != ":memory:" and not path.startswith("file:"):
        _create_private(path)
    return sqlite3.connect(
        path,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
        check_same_thread=False,  # close() may run on another thread
        cached_statements=256,
    )


def _create_private(path: str) -> None:
    """Create ``path`` empty (an empty file is an empty database) with mode 0600, whatever the
    umask; an existing file keeps the mode its owner gave it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except OSError:
        return  # it exists, or cannot be made: sqlite3.connect then says why, as before
    try:
        with contextlib.suppress(AttributeError):  # no fchmod on Windows before Python 3.13
            os.fchmod(fd, PRIVATE_MODE)  # the umask may have taken bits off
    finally:
        os.close(fd)


def set_up(conn: sqlite3.Connection, *, synchronous: str, create_schema: bool) -> None:
    """WAL, the durability setting and the checkpoint interval; the tables when asked."""
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    # Checkpoint every ~40 MB of WAL, not every 4 MB: a hot page (the end of each index)
    # rewritten by many commits is copied to the file once per checkpoint (docs/benchmarks.md,
    # "What was optimised", has the measured commit times).
    conn.execute("PRAGMA wal_autocheckpoint=10000")
    # 8 MiB of page cache instead of SQLite's 2 MiB: each message id lands on a random page of
    # the unique index, which outgrows 2 MiB at ~40,000 records; a miss reads the page back.
    # (docs/benchmarks.md, "What was optimised", has the measured insert times).
    # Pages are cached only once read, so a small file costs no more memory.
    conn.execute("PRAGMA cache_size=-8192")
    if create_schema:
        conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}COMMIT;")
        migrate(conn, MIGRATIONS)


def migrate(conn: sqlite3.Connection, steps: tuple[str, ...]) -> int:
    """Apply the steps this file has not had, in one transaction; its version afterwards."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read inside the write lock: two processes opening an old file migrate it once.
        version = _known_version(conn, steps)
        for step in steps[version:]:
            conn.execute(step)
        if version < len(steps):
            conn.execute(f"PRAGMA user_version={len(steps)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return len(steps)


def _known_version(conn: sqlite3.Connection, steps: tuple[str, ...]) -> int:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > len(steps):
        # A DatabaseError: the store reports it as a StorageError (connections.py), not as an
        # outage that retrying could end.
        raise sqlite3.DatabaseError(
            f"the file is at version {version}, made by a newer triggersqs; this one knows"
            f" {len(steps)}"
        )
    return version
