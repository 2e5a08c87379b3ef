"""The stores the contract suite runs against. Each param builds a fresh, empty store.

Adding an adapter means adding a param here: every test in this folder then runs against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from triggersqs.records import now_us
from triggersqs.storage.memory import MemoryStore
from triggersqs.storage.port import MessageStore
from triggersqs.storage.sqlite import SqliteStore

Clock = Callable[[], int]
StoreFactory = Callable[..., MessageStore]

STORES = ["memory", "sqlite"]


@pytest.fixture(params=STORES)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory of empty stores of one kind: ``make_store(clock=...)``."""
    made: list[MessageStore] = []
    counter = iter(range(1_000_000))

    def make(clock: Clock = now_us) -> MessageStore:
        store: MessageStore
        if request.param == "memory":
            store = MemoryStore(clock=clock)
        elif request.param == "sqlite":
            store = SqliteStore(tmp_path / f"store{next(counter)}.db", clock=clock)
        else:
            raise AssertionError(request.param)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> MessageStore:
    """An empty store with the real clock."""
    return make_store()
