"""The DynamoDB store's pages against DynamoDB Local: every index projects what a listing shows, so
a page of commands is read from the indexes alone, with no read of the main items; records whose
bodies are too long for the index, and tables whose indexes carry keys only (made before), are
read from their main items; and the projection costs no write unit more.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.factories import body, new_record
from tests.support.servers import dynamodb_client, fresh_table
from triggersqs.core.ports import RecordFilter, SaveStatus
from triggersqs.core.records import NewRecord
from triggersqs.storage.dynamodb import DynamoDbStore
from triggersqs.storage.dynamodb.provisioning import enable_time_to_live
from triggersqs.storage.dynamodb.schema import LISTED_BODY, TABLE_DEFINITION, keys_only_indexes
from triggersqs.storage.retention import Retention

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

START_US = 1_764_000_000_000_000


@pytest.fixture
def table(dynamodb_local_endpoint: str) -> Iterator[str]:
    """A fresh table as create-table makes it: the indexes carry listings."""
    with fresh_table(dynamodb_local_endpoint, "listing") as name:
        yield name


@pytest.fixture
def keys_only_table(admin: DynamoDBClient) -> Iterator[str]:
    """A fresh table whose indexes carry keys only, as tables made before the projection."""
    name = f"keys-only-{uuid.uuid4().hex[:12]}"
    definition = {**TABLE_DEFINITION, "GlobalSecondaryIndexes": keys_only_indexes()}
    admin.create_table(TableName=name, **definition)
    admin.get_waiter("table_exists").wait(TableName=name)
    enable_time_to_live(admin, name)
    yield name
    admin.delete_table(TableName=name)


def counted_store(endpoint: str, table: str, **options: Any) -> tuple[DynamoDbStore, list[str]]:
    """A store on ``table`` and the list of the operations its client sends."""
    client = dynamodb_client(endpoint)
    calls: list[str] = []
    client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    return DynamoDbStore(client, table, **options), calls


def clock() -> Any:
    """A wall clock a millisecond further at each reading, the same in every store made."""
    ticks = itertools.count()
    return lambda: START_US + next(ticks) * 1_000


def listed(store: DynamoDbStore, where: RecordFilter, limit: int) -> list[Any]:
    """Every record matching ``where``, page by page, as the API gets them."""
    found: list[Any] = []
    after = None
    while True:
        page = store.list_records(where, after=after, limit=limit)
        found.extend(page.items)
        if not page.more:
            return found
        after = page.items[-1].cursor


def test_a_page_of_commands_is_read_from_the_indexes_alone(
    dynamodb_local_endpoint: str, table: str
) -> None:
    # GIVEN 120 commands, as producers send them
    store, calls = counted_store(dynamodb_local_endpoint, table)
    store.save([new_record(client_id="alice") for _ in range(120)])
    calls.clear()

    # WHEN a page of 100 is read, unfiltered, by client and by command
    pages = [
        store.list_records(where, after=None, limit=100)
        for where in (
            RecordFilter(),
            RecordFilter(client_id="alice"),
            RecordFilter(command="SetStatus"),
        )
    ]

    # THEN each page came from its index's queries alone: no read of the main items, no scan
    assert [(len(page.items), page.more) for page in pages] == [(100, True)] * 3
    assert set(calls) == {"Query"}
    assert calls.count("Query") <= 3 * 2 * 16  # one query per shard, a few more where needed
    assert all(record.body == body(client_id="alice") for record in pages[0].items)
    store.close()


def test_records_whose_bodies_are_too_long_for_the_index_come_from_their_main_items(
    dynamodb_local_endpoint: str, table: str
) -> None:
    # GIVEN commands between records whose bodies are too long to be copied to the index
    store, calls = counted_store(dynamodb_local_endpoint, table)
    long_body = body(padding="é" * 3000)  # 6 KB: past the listing preview too
    items = [
        new_record(body_text=long_body) if n % 3 == 0 else new_record(client_id=f"c{n}")
        for n in range(30)
    ]
    assert store.save(items) == [SaveStatus.STORED] * 30
    calls.clear()

    # WHEN they are listed, a page of 7 at a time
    records = listed(store, RecordFilter(), 7)

    # THEN every record is there in stored order, each long body as its preview, the main items
    # read once per page that holds a long one
    assert [r.message_id for r in records] == [item.envelope.message_id for item in items]
    long_ones = [r for n, r in enumerate(records) if n % 3 == 0]
    assert all(r.body == long_body.encode()[:4096].decode("utf-8", "ignore") for r in long_ones)
    assert all(r.body_bytes == len(long_body.encode()) for r in long_ones)
    assert all(r.body == body(client_id=f"c{n}") for n, r in enumerate(records) if n % 3)
    assert calls.count("BatchGetItem") == 4  # pages of 7: 4 hold a long one, the last (2) none
    store.close()


def test_a_table_whose_indexes_carry_keys_only_lists_the_same_records(
    dynamodb_local_endpoint: str, table: str, keys_only_table: str
) -> None:
    # GIVEN the same records, at the same times, in a table made now and one made before
    items = [
        new_record("Delete" if n % 4 == 0 else "SetStatus", "alice" if n % 2 else "bob")
        for n in range(40)
    ] + [new_record(body_text=body(padding="x" * 2000))]
    stores = {}
    calls = {}
    for name in (table, keys_only_table):
        stores[name], calls[name] = counted_store(dynamodb_local_endpoint, name, clock=clock())
        stores[name].save(items)
        calls[name].clear()

    # WHEN both are listed with every filter and page size
    for where, limit in (
        (RecordFilter(), 9),
        (RecordFilter(client_id="alice"), 4),
        (RecordFilter(command="Delete"), 3),
        (RecordFilter(client_id="bob", command="SetStatus"), 100),
    ):
        now, before = (listed(stores[name], where, limit) for name in (table, keys_only_table))

        # THEN they list the same records, cursors included
        assert now == before, where
        assert now
    # AND the table made before reads the main items of every page, the new one hardly ever
    assert calls[keys_only_table].count("BatchGetItem") > calls[table].count("BatchGetItem")
    for store in stores.values():
        store.close()


def test_copying_short_bodies_to_the_indexes_costs_no_write_unit(
    dynamodb_local_endpoint: str, table: str, keys_only_table: str
) -> None:
    # GIVEN records of every body size up to past where a body stops being copied to the index
    sizes = range(40, 1200, 23)
    consumed: dict[str, list[float]] = {table: [], keys_only_table: []}
    copied: list[bool] = []
    for name in (table, keys_only_table):
        client = dynamodb_client(dynamodb_local_endpoint)

        def ask(params: dict[str, Any], **_: object) -> None:
            params["ReturnConsumedCapacity"] = "INDEXES"

        def count(parsed: dict[str, Any], into: list[float] = consumed[name], **_: object) -> None:
            into.append(parsed["ConsumedCapacity"]["CapacityUnits"])

        client.meta.events.register("provide-client-params.dynamodb.PutItem", ask)
        client.meta.events.register("after-call.dynamodb.PutItem", count)
        client.meta.events.register(
            "provide-client-params.dynamodb.PutItem",
            lambda params, into=copied, **_: into.append(LISTED_BODY in params["Item"]),
        )
        store = DynamoDbStore(client, name, retention=Retention(30), max_workers=1)
        for size in sizes:
            text = body(padding="x" * size)
            store.save([NewRecord(new_record(body_text=text).envelope, "SetStatus", "c1")])
        store.close()

    # THEN the short ones were copied to the index, the long ones not, and each record cost the
    # same write units (table and indexes) as in a table whose indexes carry keys only
    copies = copied[: len(sizes)]
    assert copies[0]
    assert not copies[-1]
    assert consumed[table] == consumed[keys_only_table]
    assert consumed[table][0] == 4  # a command: the item and one unit per index
