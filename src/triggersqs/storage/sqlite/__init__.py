"""The SQLite store: the embedded default."""

from triggersqs.storage.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
