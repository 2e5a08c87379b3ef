"""The stores the contract suite runs against. Each param builds a fresh, empty store.

Adding an adapter means adding a param here: every test in this folder then runs against it.
The DynamoDB params run against real servers on loopback (DynamoDB Local, moto's server), started
once per session; each store gets a table of its own, deleted afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.servers import dynamodb_client
from triggersqs.core.ports import MessageStore
from triggersqs.core.records import now_us
from triggersqs.storage.memory import MemoryStore
from triggersqs.storage.sqlite import SqliteStore

Clock = Callable[[], int]
StoreFactory = Callable[..., MessageStore]

DYNAMODB_SERVERS = {"dynamodb-local": "dynamodb_local_endpoint", "moto-dynamodb": "moto_endpoint"}
"""The DynamoDB params, each with the session fixture giving its server's endpoint."""

STORES = ["memory", "sqlite", *DYNAMODB_SERVERS]

EMULATOR_FAULTS = {
    ("moto-dynamodb", "test_concurrent_writers_store_each_message_once"): (
        "moto's server checks a put's condition and stores the item without a lock, so two"
        " racing conditional puts of one key can both succeed (about 1 in 5,000 racing puts,"
        " with plain boto3 calls); DynamoDB does not. DynamoDB Local runs this test, and"
        " tests/integration/test_dynamodb_store.py races three processes on it."
    ),
}
"""Contract tests an emulator cannot pass through no fault of the store: skipped, with why."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the tests :data:`EMULATOR_FAULTS` names, on the emulator it names."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or not isinstance(item, pytest.Function):
            continue
        reason = EMULATOR_FAULTS.get((callspec.params.get("make_store"), item.originalname))
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(params=STORES)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """A factory of empty stores of one kind: ``make_store(clock=...)``."""
    made: list[MessageStore] = []
    counter = iter(range(1_000_000))
    cleanups: list[Callable[[], object]] = []

    def make(clock: Clock = now_us) -> MessageStore:
        store: MessageStore
        if request.param == "memory":
            store = MemoryStore(clock=clock)
        elif request.param == "sqlite":
            store = SqliteStore(tmp_path / f"store{next(counter)}.db", clock=clock)
        elif request.param in DYNAMODB_SERVERS:
            from triggersqs.storage.dynamodb import DynamoDbStore, create_table

            endpoint: str = request.getfixturevalue(DYNAMODB_SERVERS[request.param])
            admin = dynamodb_client(endpoint)
            table = f"contract-{uuid.uuid4().hex[:12]}"
            create_table(admin, table)
            cleanups.append(partial(admin.delete_table, TableName=table))
            cleanups.append(admin.close)
            store = DynamoDbStore(dynamodb_client(endpoint), table, clock=clock)
        else:
            raise AssertionError(request.param)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()
    for cleanup in cleanups:
        cleanup()


@pytest.fixture
def store(make_store: StoreFactory) -> MessageStore:
    """An empty store with the real clock."""
    return make_store()
