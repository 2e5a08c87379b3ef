"""The SQLite store's connections: one per thread, set up once, and every sqlite3 error
translated into the port's storage errors."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from triggersqs.errors import StorageError, StorageUnavailableError
from triggersqs.storage.sqlite.schema import connect, set_up


class Connections:
    """Each thread gets its own connection; all connections of all processes share the file."""

    def __init__(self, path: str, *, synchronous: str, busy_timeout_ms: int) -> None:
        self._path = path
        self._synchronous = synchronous
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._setup_lock = threading.Lock()
        self._schema_ready = False

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection inside ``BEGIN IMMEDIATE``: committed, or rolled back."""
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

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, for reads outside any explicit transaction."""
        try:
            yield self._connection()
        except sqlite3.Error as exc:
            raise _translate(exc) from exc

    def close(self) -> None:
        """Close every connection opened here, in any thread."""
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        conn = connect(self._path, busy_timeout_ms=self._busy_timeout_ms)
        try:
            # One thread at a time: switching a new file to WAL while another connection of
            # this process begins a transaction can fail at once with "database is locked"
            # (SQLite skips the busy handler where waiting could deadlock).
            with self._setup_lock:
                set_up(conn, synchronous=self._synchronous, create_schema=not self._schema_ready)
                self._schema_ready = True
        except BaseException:
            conn.close()
            raise
        with self._lock:
            self._connections.append(conn)
        self._local.conn = conn
        return conn

    def _forget_connection(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        conn.close()


def _translate(exc: sqlite3.Error) -> StorageError:
    # OperationalError covers "database is locked", "unable to open", "readonly", "disk I/O error":
    # conditions that may clear, so the records go back to the queue and are retried.
    if isinstance(exc, sqlite3.OperationalError):
        return StorageUnavailableError(f"SQLite: {exc}")
    return StorageError(f"SQLite: {exc}")


def _read_only(exc: sqlite3.Error) -> bool:
    # The primary result code, without the extended part (SQLITE_READONLY_DBMOVED...).
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY
