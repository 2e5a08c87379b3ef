"""The stores the contract suite runs against. Each param builds a fresh, empty store; the
``down_store`` params build stores that cannot be reached.

Adding an adapter means adding a param here: every test in this folder then runs against it.
The DynamoDB params run against real servers on loopback (DynamoDB Local, moto's server), started
once per session; each store gets a table of its own, deleted afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.factories import new_record
from tests.support.servers import Relay, dynamodb_client, free_port, fresh_table
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
    tables = ExitStack()  # DynamoDB tables, deleted once the stores are closed

    def make(clock: Clock = now_us) -> MessageStore:
        store: MessageStore
        if request.param == "memory":
            store = MemoryStore(clock=clock)
        elif request.param == "sqlite":
            store = SqliteStore(tmp_path / f"store{next(counter)}.db", clock=clock)
        elif request.param in DYNAMODB_SERVERS:
            from triggersqs.storage.dynamodb import DynamoDbStore

            endpoint: str = request.getfixturevalue(DYNAMODB_SERVERS[request.param])
            table = tables.enter_context(fresh_table(endpoint, "contract"))
            store = DynamoDbStore(dynamodb_client(endpoint), table, clock=clock)
        else:
            raise AssertionError(request.param)
        made.append(store)
        return store

    with tables:
        yield make
        for store in made:
            store.close()


@pytest.fixture
def store(make_store: StoreFactory) -> MessageStore:
    """An empty store with the real clock."""
    return make_store()


DOWN = ["memory", "sqlite", *DYNAMODB_SERVERS, "dynamodb-nowhere"]
"""The ``down_store`` params: each adapter in an outage, DynamoDB also never reachable at all."""


@pytest.fixture(params=DOWN)
def down_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MessageStore]:
    """A store that cannot be reached, of each kind:

    - memory: a store holding a record, put into its simulated outage (``MemoryStore.go_down``);
    - sqlite: a store whose path is a directory, which SQLite cannot open;
    - dynamodb-local, moto-dynamodb: a store that wrote through a relay to the server, which
      is then stopped (the server runs on for the other tests);
    - dynamodb-nowhere: a store whose endpoint is a port nobody listens on.

    DynamoDB clients try once: the outage, not botocore's retries, is under test.
    """
    tables = ExitStack()
    store: MessageStore
    if request.param == "memory":
        memory = MemoryStore()
        memory.save([new_record()])
        memory.go_down()
        store = memory
    elif request.param == "sqlite":
        store = SqliteStore(tmp_path, busy_timeout_ms=50)
    elif request.param in DYNAMODB_SERVERS:
        from triggersqs.storage.dynamodb import DynamoDbStore

        endpoint: str = request.getfixturevalue(DYNAMODB_SERVERS[request.param])
        table = tables.enter_context(fresh_table(endpoint, "down"))
        relay = Relay(endpoint)
        store = DynamoDbStore(dynamodb_client(relay.endpoint, attempts=1), table)
        store.save([new_record()])
        relay.stop()
    elif request.param == "dynamodb-nowhere":
        from triggersqs.storage.dynamodb import DynamoDbStore

        nowhere = f"http://127.0.0.1:{free_port()}"
        store = DynamoDbStore(dynamodb_client(nowhere, attempts=1), "nowhere")
    else:
        raise AssertionError(request.param)
    with tables:
        yield store
        store.close()
