"""The SQLite store: the embedded default, one file shared by every process on one machine.

Layout and why:

- ``records`` and ``rejected`` are keyed by ``seq`` (the rowid), which gives the stored order;
  ``message_id`` is UNIQUE in each. A save inserts with ``INSERT OR IGNORE`` inside one
  ``BEGIN IMMEDIATE`` transaction, so the unique index itself is the duplicate check (no lookup
  before each insert), and looks the batch's ids up in the *other* table (skipped while it is
  empty), so a message id is stored once across both kinds and every process (writes.py).
- ``stored_at`` never decreases along ``seq`` (a save takes the maximum of the clock and the
  last value), so a ``since``/``until`` filter turns into a ``seq`` range by a binary search on
  the rowid, with no ``stored_at`` index to update at every insert; every page is then one range
  scan: no page reads the whole file (listing.py).
- WAL lets readers (``serve``) run beside the writer (``worker``); ``synchronous=FULL`` syncs the
  WAL at every commit, so a record reported stored survives a power cut (schema.py).
"""

from triggersqs.storage.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
