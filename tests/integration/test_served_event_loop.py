"""The API as ``serve`` and ``dev`` build it keeps its event loop free: store queries run in a
bounded pool of threads, so a slow query never holds ``/healthcheck`` or other requests
(issue 11; the figure under load is in benchmarks/served.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.factories import new_record
from tests.support.serving import uvicorn_in_thread
from triggersqs.core.ports import RecordFilter, Slice
from triggersqs.local.server import SERVED_THREADS, served_app
from triggersqs.settings import Settings
from triggersqs.storage.memory import MemoryStore


class HeldStore(MemoryStore):
    """A memory store whose listings wait until released, counting those waiting at once."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.waiting = 0
        self.most_waiting = 0

    def list_records(
        self, where: RecordFilter, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[Any]:
        with self._lock:
            self.waiting += 1
            self.most_waiting = max(self.most_waiting, self.waiting)
        try:
            self.release.wait(30)
            return super().list_records(where, after=after, limit=limit, newest_first=newest_first)
        finally:
            with self._lock:
                self.waiting -= 1


@pytest.fixture
def held() -> Iterator[tuple[HeldStore, str]]:
    store = HeldStore()
    store.save([new_record()])
    with uvicorn_in_thread(served_app(Settings.build(store="sqlite"), store)) as url:
        yield store, url
        store.release.set()


def test_healthcheck_answers_while_a_store_query_is_still_running(
    held: tuple[HeldStore, str],
) -> None:
    store, url = held
    with ThreadPoolExecutor(1) as pool:
        # GIVEN a /records request whose store query has not finished
        pending = pool.submit(httpx.get, f"{url}/records", timeout=30)
        while store.waiting == 0:
            threading.Event().wait(0.01)

        # WHEN /healthcheck is asked meanwhile, THEN it answers at once
        assert httpx.get(f"{url}/healthcheck", timeout=5).status_code == 200

        store.release.set()
        assert pending.result().status_code == 200


def test_store_queries_run_at_most_the_pool_size_at_once(held: tuple[HeldStore, str]) -> None:
    store, url = held
    extra = 3
    with ThreadPoolExecutor(SERVED_THREADS + extra) as pool:
        # GIVEN more concurrent /records requests than the pool has threads
        pending = [
            pool.submit(httpx.get, f"{url}/records", timeout=30)
            for _ in range(SERVED_THREADS + extra)
        ]
        while store.waiting < SERVED_THREADS:
            threading.Event().wait(0.01)
        threading.Event().wait(0.3)

        # THEN only the pool's threads query the store; the others wait their turn
        assert store.most_waiting == SERVED_THREADS
        assert httpx.get(f"{url}/healthcheck", timeout=5).status_code == 200
        store.release.set()
        assert [p.result().status_code for p in pending] == [200] * len(pending)
