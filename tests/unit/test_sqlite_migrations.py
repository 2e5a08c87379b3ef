"""SQLite schema versions: every change after the first shape is a numbered step, applied once to
new and old files alike; a file from a newer version is refused, not damaged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from triggersqs.errors import StorageError, StorageUnavailableError
from triggersqs.storage.sqlite import SqliteStore
from triggersqs.storage.sqlite.schema import SCHEMA, migrate

STEPS = (
    "ALTER TABLE records ADD COLUMN note TEXT",
    "CREATE INDEX records_by_note ON records (note, seq)",
)


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    connection.executescript(SCHEMA)
    return connection


def test_a_first_version_file_gets_every_step_once_and_its_version_counts_them(
    conn: sqlite3.Connection,
) -> None:
    # GIVEN a file with the first version's tables WHEN it is migrated twice
    assert migrate(conn, STEPS) == 2
    assert migrate(conn, STEPS) == 2

    # THEN each step ran once (a second ADD COLUMN would have failed) and the version is 2
    assert "note" in columns(conn, "records")
    assert version(conn) == 2


def test_a_file_part_way_gets_only_the_steps_after_its_version(conn: sqlite3.Connection) -> None:
    migrate(conn, STEPS[:1])

    migrate(conn, STEPS)

    assert version(conn) == 2
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'records_by_note'").fetchone()


def test_a_failing_step_leaves_the_file_as_it_was(conn: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, (*STEPS, "ALTER TABLE nowhere ADD COLUMN x TEXT"))

    assert "note" not in columns(conn, "records")
    assert version(conn) == 0


def test_a_file_from_a_newer_version_is_refused_by_the_store(tmp_path: Path) -> None:
    # GIVEN a file a newer triggersqs left at version 99
    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as made:
        made.executescript(SCHEMA)
        made.execute("PRAGMA user_version=99")
    made.close()

    # WHEN this version's store opens it THEN it refuses with a storage error, naming why
    store = SqliteStore(path)
    with pytest.raises(StorageError, match="version 99, made by a newer triggersqs") as refused:
        store.check()
    store.close()
    assert not isinstance(refused.value, StorageUnavailableError)
