"""What every DynamoDB request of the store goes through: the client, the table's name, the
worker threads that run the requests of one call side by side, and how to wait between tries."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Final, TypeVar

from triggersqs.storage.budget import Budgeted
from triggersqs.storage.retention import KEEP_FOREVER, Retention
from triggersqs.storage.s3_bodies import BodyBucket

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_WORKERS: Final = 16
"""Requests one store runs at once: the writes of a batch, or the shard queries of a page."""


class Table:
    """One table through thread-safe boto3 clients, one per time budget (storage/budget.py);
    the threads start on first need."""

    def __init__(
        self,
        client: DynamoDBClient | Budgeted[DynamoDBClient],
        name: str,
        *,
        max_workers: int,
        sleep: Callable[[float], None],
        retention: Retention = KEEP_FOREVER,
        bodies: BodyBucket | None = None,
    ) -> None:
        self.clients: Budgeted[DynamoDBClient] = Budgeted.of(client)
        """The clients a write picks from by its deadline."""
        self.client = self.clients.default
        """The widest client: for reads, which no deadline bounds."""
        self.name = name
        self.retention = retention
        """How long written items are kept: their time-to-live attribute."""
        self.bodies = bodies
        """Where bodies over its threshold go (S3), if anywhere; else into body parts."""
        self.sleep = sleep
        """Waits between tries (backoff); injected, so tests need not wait."""
        self._max_workers = max_workers
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def parallel(self, work: Callable[[T], R], args: Sequence[T]) -> list[R]:
        """``work`` of each argument, in order; side by side when there are several."""
        if len(args) <= 1:
            return [work(arg) for arg in args]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._max_workers, "triggersqs-dynamodb")
            pool = self._pool
        return list(pool.map(work, args))

    def close(self) -> None:
        """Stop the worker threads and close the client's connections."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        for client in self.clients.clients:
            client.close()
        if self.bodies is not None:
            self.bodies.close()
