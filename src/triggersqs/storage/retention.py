"""How long stored and rejected messages are kept (TRIGGERSQS_RETENTION_DAYS), for every store
that deletes them: the expiry each item carries, and when the SQLite store prunes.

An item's expiry is fixed when it is written (``stored_at`` + the retention then in force), as
DynamoDB's time to live needs it; changing the setting changes what is written afterwards.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

TTL_ATTRIBUTE: Final = "expires_at"
"""The attribute (DynamoDB) and column (SQLite) holding an item's expiry, in epoch seconds."""

SECONDS_PER_DAY: Final = 86_400


@dataclass(frozen=True, slots=True)
class Retention:
    """Keep items ``days`` days after they are stored; 0 keeps them forever."""

    days: int = 0

    def expires_at(self, stored_at_us: int) -> int | None:
        """The epoch second after which an item stored at ``stored_at_us`` may be deleted."""
        if not self.days:
            return None
        return stored_at_us // 1_000_000 + self.days * SECONDS_PER_DAY


KEEP_FOREVER: Final = Retention()
"""No expiry: what a store keeps unless told otherwise."""

PRUNE_EVERY_SAVES: Final = 64
PRUNE_EVERY_US: Final = 60_000_000
PRUNE_MIN_ROWS: Final = 500


class PruneSchedule:
    """When a store that deletes its own expired items (SQLite) does so, and how many at most.

    A prune is due on the first save, then after every :data:`PRUNE_EVERY_SAVES` saves or a
    minute of the store's clock, whichever comes first; it looks at no more than twice the rows
    saved since the last one (at least :data:`PRUNE_MIN_ROWS`). So pruning keeps ahead of
    writing, yet one save never pays for a whole backlog. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._saves = 0
        self._rows = 0
        self._last_us: int | None = None

    def due(self, now_us: int, rows: int) -> int:
        """Count a save of ``rows``; the rows to look at now when a prune is due, else 0."""
        with self._lock:
            self._saves += 1
            self._rows += rows
            last = self._last_us
            if last is not None and (
                self._saves < PRUNE_EVERY_SAVES and now_us - last < PRUNE_EVERY_US
            ):
                return 0
            budget = max(PRUNE_MIN_ROWS, 2 * self._rows)
            self._saves = self._rows = 0
            self._last_us = now_us
            return budget
