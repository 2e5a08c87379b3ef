"""The SQLite store on a real file: shared by processes, WAL and synchronous applied, and a locked
or read-only database reported as unavailable, never as stored."""

from __future__ import annotations

import ctypes
import json
import os
import random
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.factories import envelope, new_record
from triggersqs.core.batch import BatchPolicy, BatchProcessor
from triggersqs.core.outcomes import Outcome
from triggersqs.core.ports import RecordFilter, SaveStatus
from triggersqs.core.records import Envelope, NewRecord
from triggersqs.errors import StorageUnavailableError
from triggersqs.storage.sqlite import SqliteStore

# Runs in another process: save one record, or read one, through the store; print the outcome.
_OTHER_PROCESS = """
import json, sys
from triggersqs.errors import StorageUnavailableError
from triggersqs.core.records import Envelope, NewRecord
from triggersqs.storage.sqlite import SqliteStore

path, action, message_id = sys.argv[1:4]
store = SqliteStore(path, busy_timeout_ms=2000)
try:
    if action == "save":
        item = NewRecord(Envelope(message_id, "arn:aws:sqs:us-east-1:123456789012:q",
                                  '{"command": "FromOther", "client_id": "p2"}', None, 1),
                         "FromOther", "p2")
        print(json.dumps([status.value for status in store.save([item])]))
    else:
        record = store.get_record(message_id)
        print(json.dumps(None if record is None else [record.command, record.client_id]))
except StorageUnavailableError as exc:
    print(json.dumps({"unavailable": str(exc)}))
finally:
    store.close()
"""

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _drop_file_permission_override() -> None:
    """In the child: give up root's power to ignore file modes (kept across exec no more)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def other_process(
    path: Path, action: str, message_id: str, *, obey_file_modes: bool = False
) -> Any:
    """Run the store in another Python process; what it printed, decoded.

    ``obey_file_modes``: when the tests run as root, drop the capability that lets root write
    to read-only files, so a read-only database is read-only for the child too.
    """
    preexec = _drop_file_permission_override if obey_file_modes and os.geteuid() == 0 else None
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, str(path), action, message_id],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=preexec,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def record(command: str = "SetStatus", message_id: str | None = None) -> NewRecord:
    item = envelope(json.dumps({"command": command, "client_id": "p1"}), message_id=message_id)
    return NewRecord(item, command, "p1")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "shared.db"


@pytest.fixture
def store(path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(path, busy_timeout_ms=50)
    yield opened
    opened.close()


# -- two processes, one file -----------------------------------------------------------------------


def test_a_record_written_by_another_process_is_read_here(path: Path, store: SqliteStore) -> None:
    # GIVEN a store open in this process
    store.check()

    # WHEN another process writes a record to the same file
    assert other_process(path, "save", "from-other") == ["stored"]

    # THEN this process reads it
    got = store.get_record("from-other")
    assert got is not None
    assert (got.command, got.client_id) == ("FromOther", "p2")


def test_a_record_written_here_is_read_by_another_process(path: Path, store: SqliteStore) -> None:
    store.save([record("WrittenHere", message_id="from-here")])

    assert other_process(path, "get", "from-here") == ["WrittenHere", "p1"]


def test_a_message_stored_by_one_process_is_a_duplicate_for_another(
    path: Path, store: SqliteStore
) -> None:
    # GIVEN a message id stored by this process (as one Lambda instance)
    store.save([record(message_id="shared-id")])

    # WHEN another process (another instance) gets the same message
    statuses = other_process(path, "save", "shared-id")

    # THEN it is a duplicate there, and the file still holds one record
    assert statuses == ["duplicate"]
    assert len(store.list_records(RecordFilter(), after=None, limit=10).items) == 1


# -- pragmas and schema ----------------------------------------------------------------------------


def test_the_schema_is_created_on_first_use_in_wal_mode(path: Path) -> None:
    # GIVEN no database file
    store = SqliteStore(path)
    assert not path.exists()

    # WHEN the store is first used
    try:
        assert store.save([record()]) == [SaveStatus.STORED]
    finally:
        store.close()

    # THEN the file exists, holds the tables, and is in WAL mode for every later connection
    with sqlite3.connect(path) as check:
        tables = {row[0] for row in check.execute("SELECT name FROM sqlite_master")}
        assert {"records", "rejected"} <= tables
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    check.close()


@pytest.mark.parametrize(("setting", "level"), [("full", 2), ("normal", 1)])
def test_the_synchronous_setting_is_applied_to_the_stores_connection(
    path: Path, setting: Any, level: int
) -> None:
    store = SqliteStore(path, synchronous=setting)
    try:
        store.check()
        # synchronous is per connection: only the store's own connection can show it.
        with store._connections.reading() as connection:
            assert connection.execute("PRAGMA synchronous").fetchone() == (level,)
            assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        store.close()


# -- a locked database -----------------------------------------------------------------------------


@pytest.fixture
def locker(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection to the same file, outside any transaction until told."""
    connection = sqlite3.connect(path, isolation_level=None)
    yield connection
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.close()


def test_a_database_locked_by_another_connection_is_unavailable(
    store: SqliteStore, locker: sqlite3.Connection
) -> None:
    store.check()
    locker.execute("BEGIN EXCLUSIVE")

    with pytest.raises(StorageUnavailableError, match="locked"):
        store.save([record()])


def test_a_database_locked_before_the_store_first_opens_it_is_unavailable(
    path: Path, locker: sqlite3.Connection
) -> None:
    # GIVEN the file is locked before the store has created its schema
    locker.execute("BEGIN EXCLUSIVE")
    store = SqliteStore(path, busy_timeout_ms=50)

    # THEN both writing and the health check report the store unavailable
    try:
        with pytest.raises(StorageUnavailableError):
            store.save([record()])
        with pytest.raises(StorageUnavailableError):
            store.check()
    finally:
        store.close()


def test_a_locked_database_fails_the_batch_and_a_retry_after_release_stores_it_once(
    store: SqliteStore, locker: sqlite3.Connection
) -> None:
    # GIVEN a batch of valid and invalid messages, and a database another connection holds
    store.check()
    processor = BatchProcessor(store, BatchPolicy())
    batch: list[Envelope] = [envelope(), envelope("not json"), envelope(), envelope()]
    locker.execute("BEGIN EXCLUSIVE")

    # WHEN the batch is processed
    report = processor.process(batch)

    # THEN every record failed and is returned to the queue; nothing reads as stored
    assert [r.outcome for r in report.results] == [Outcome.FAILED] * 4
    assert all("database is locked" in (r.reason or "") for r in report.results)
    assert [f["itemIdentifier"] for f in report.response()["batchItemFailures"]] == [
        e.message_id for e in batch
    ]
    for item in batch:
        assert store.get_record(item.message_id) is None
        assert store.get_rejection(item.message_id) is None

    # WHEN the lock is released and SQS delivers the batch again (twice)
    locker.execute("ROLLBACK")
    retry = processor.process(batch)
    again = processor.process(batch)

    # THEN it is stored exactly once
    assert [r.outcome for r in retry.results] == [
        Outcome.STORED,
        Outcome.REJECTED,
        Outcome.STORED,
        Outcome.STORED,
    ]
    assert retry.response() == {"batchItemFailures": []}
    assert [r.outcome for r in again.results] == [Outcome.DUPLICATE] * 4
    listed = store.list_records(RecordFilter(), after=None, limit=10).items
    assert [r.message_id for r in listed] == [
        batch[0].message_id,
        batch[2].message_id,
        batch[3].message_id,
    ]


# -- one transaction per batch ---------------------------------------------------------------------


def test_a_write_failing_midway_rolls_the_whole_batch_back_and_fails_every_record(
    path: Path, store: SqliteStore
) -> None:
    # GIVEN a database that refuses one rejected body (a trigger added by another connection);
    # the store inserts the batch's records before its rejections
    store.check()
    with sqlite3.connect(path) as admin:
        admin.execute(
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON rejected WHEN NEW.body = 'poison'"
            " BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
        )
    admin.close()
    batch = [envelope(), envelope("poison"), envelope()]

    # WHEN the batch is processed
    report = BatchProcessor(store, BatchPolicy()).process(batch)

    # THEN every record failed, and the records written before the failure were rolled back
    assert [r.outcome for r in report.results] == [Outcome.FAILED] * 3
    assert all("poison refused" in (r.reason or "") for r in report.results)
    assert store.list_records(RecordFilter(), after=None, limit=10).items == []
    assert store.list_rejections(after=None, limit=10).items == []


# -- a read-only database --------------------------------------------------------------------------


def test_a_read_only_database_file_is_unavailable(path: Path) -> None:
    # GIVEN a database file with its schema, made read-only
    store = SqliteStore(path)
    store.save([record(message_id="before")])
    store.close()
    path.chmod(0o444)
    assert not Path(f"{path}-wal").exists()

    # WHEN a process that obeys file modes writes to it
    answer = other_process(path, "save", "after", obey_file_modes=True)

    # THEN the store reports itself unavailable, and nothing was written
    assert "unavailable" in answer
    assert "readonly" in answer["unavailable"] or "read-only" in answer["unavailable"]
    path.chmod(0o644)
    reader = SqliteStore(path)
    try:
        assert reader.get_record("after") is None
        assert reader.get_record("before") is not None
    finally:
        reader.close()


def test_a_database_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    # A directory where the file should be: SQLite cannot open it.
    store = SqliteStore(tmp_path)
    try:
        with pytest.raises(StorageUnavailableError, match="unable to open"):
            store.save([record()])
        with pytest.raises(StorageUnavailableError):
            store.check()
    finally:
        store.close()


def test_time_filters_find_the_same_records_as_a_full_scan(tmp_path: Path) -> None:
    # GIVEN 60 batches stored at irregular times (some sharing a time, the clock once going back)
    rng = random.Random(7)
    now = [1_764_000_000_000_000]
    store = SqliteStore(tmp_path / "times.db", clock=lambda: now[0])
    for batch in range(60):
        now[0] += rng.choice([0, 1, 250, 10_000, 3_000_000, -5_000_000])
        store.save([new_record(client_id=f"b{batch}") for _ in range(rng.randint(1, 4))])
    everything = []
    after = None
    while True:
        page = store.list_records(RecordFilter(), after=after, limit=50)
        everything += page.items
        if not page.more:
            break
        after = page.items[-1].cursor
    stamps = sorted({r.stored_at for r in everything})
    edges = [*stamps, stamps[0] - timedelta(seconds=1), stamps[-1] + timedelta(microseconds=1)]
    edges += [moment + timedelta(microseconds=1) for moment in stamps]

    # WHEN any since/until pair is asked for, THEN the answer is what a full scan finds
    for _ in range(200):
        since, until = rng.choice([None, *edges]), rng.choice([None, *edges])
        expected = [
            r.message_id
            for r in everything
            if (since is None or r.stored_at >= since) and (until is None or r.stored_at < until)
        ]
        where = RecordFilter(since=since, until=until)
        got = [r.message_id for r in store.list_records(where, after=None, limit=1000).items]
        assert got == expected, (since, until)
    store.close()


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o277], ids=["022", "000", "277"])
def test_the_database_and_its_wal_and_shm_files_are_created_readable_by_their_owner_only(
    tmp_path: Path, umask: int
) -> None:
    # GIVEN a process umask that would leave new files readable by others (or unwritable)
    previous = os.umask(umask)
    try:
        # WHEN a store creates its file and writes (which creates the -wal and -shm files)
        store = SqliteStore(tmp_path / "private.db")
        store.save([new_record()])
        modes = {
            path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.glob("private.db*")
        }
        store.close()
    finally:
        os.umask(previous)

    # THEN all three are 0600: records are readable by their owner only
    assert modes == {"private.db": 0o600, "private.db-wal": 0o600, "private.db-shm": 0o600}


def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    first = SqliteStore(path)
    first.save([new_record()])
    first.close()
    path.chmod(0o640)

    store = SqliteStore(path)
    store.save([new_record()])
    store.close()

    assert stat.S_IMODE(path.stat().st_mode) == 0o640
