"""TRIGGERSQS_RETENTION_DAYS: every stored and rejected item carries its expiry; DynamoDB's time to
live is on for it on a table made by ``create_table`` (DynamoDB Local), and the SQLite store
deletes expired rows itself, a bounded number at a time, from the oldest."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.factories import body, envelope, new_record, new_rejection
from tests.support.servers import dynamodb_client
from triggersqs.core.ports import RecordFilter, SaveStatus
from triggersqs.core.records import NewRecord
from triggersqs.errors import StorageError
from triggersqs.storage.dynamodb import DynamoDbStore, create_table
from triggersqs.storage.dynamodb.schema import TTL_ATTRIBUTE
from triggersqs.storage.retention import PRUNE_EVERY_US, SECONDS_PER_DAY, Retention
from triggersqs.storage.sqlite import SqliteStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

DAY_US = SECONDS_PER_DAY * 1_000_000
START_US = 1_800_000_000 * 1_000_000


class Clock:
    """A wall clock (epoch microseconds) that moves only when told to."""

    def __init__(self) -> None:
        self.now = START_US

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def table(admin: DynamoDBClient) -> Iterator[str]:
    name = f"ttl-{uuid.uuid4().hex[:12]}"
    create_table(admin, name)
    yield name
    admin.delete_table(TableName=name)


# -- DynamoDB ------------------------------------------------------------------------------------


def test_create_table_turns_time_to_live_on_for_expires_at_and_again_is_a_no_op(
    admin: DynamoDBClient, table: str
) -> None:
    # GIVEN a table made by create_table (what `triggersqs create-table` calls)
    # WHEN DynamoDB describes its time to live, after create_table runs again on it
    assert create_table(admin, table) is False
    described = admin.describe_time_to_live(TableName=table)["TimeToLiveDescription"]

    # THEN it is on, for the attribute every item carries
    assert described["TimeToLiveStatus"] == "ENABLED"
    assert described["AttributeName"] == TTL_ATTRIBUTE == "expires_at"


def test_create_table_refuses_a_table_whose_time_to_live_is_on_another_attribute(
    admin: DynamoDBClient, table: str
) -> None:
    other = f"ttl-{uuid.uuid4().hex[:12]}"
    admin.create_table(TableName=other, **_definition())
    admin.update_time_to_live(
        TableName=other, TimeToLiveSpecification={"Enabled": True, "AttributeName": "gone_at"}
    )
    try:
        with pytest.raises(StorageError, match="'gone_at'; triggersqs needs 'expires_at'"):
            create_table(admin, other)
    finally:
        admin.delete_table(TableName=other)


def _definition() -> dict[str, Any]:
    from triggersqs.storage.dynamodb.schema import TABLE_DEFINITION

    return dict(TABLE_DEFINITION)


def all_items(admin: DynamoDBClient, table: str) -> list[dict[str, AttributeValueTypeDef]]:
    """Every item of the table (a test may scan; the store never does)."""
    return list(admin.scan(TableName=table, ConsistentRead=True)["Items"])


def test_every_stored_and_rejected_item_carries_its_expiry_body_parts_included(
    dynamodb_local_endpoint: str, admin: DynamoDBClient, table: str
) -> None:
    # GIVEN a store keeping messages 7 days, on a clock it stamps stored_at with
    clock = Clock()
    store = DynamoDbStore(
        dynamodb_client(dynamodb_local_endpoint), table, clock=clock, retention=Retention(7)
    )
    large = NewRecord(envelope(body(padding="x" * 40_000)), "SetStatus", "c79da7ce8e5e")

    # WHEN a record, a rejection and a record with a body too long for one item are stored
    assert store.save([new_record(), new_rejection(), large]) == [SaveStatus.STORED] * 3

    # THEN every item (main items and body parts) expires 7 days after its message was stored
    items = all_items(admin, table)
    assert len(items) == 4  # three main items and one body part
    stored_at_of = {i["pk"]["S"]: int(i["stored_at"]["N"]) for i in items if i["sk"]["S"] == "#"}
    for item in items:
        expected = stored_at_of[item["pk"]["S"]] // 1_000_000 + 7 * SECONDS_PER_DAY
        assert item[TTL_ATTRIBUTE] == {"N": str(expected)}
    store.close()


def test_with_retention_0_no_item_carries_an_expiry(
    dynamodb_local_endpoint: str, admin: DynamoDBClient, table: str
) -> None:
    store = DynamoDbStore(dynamodb_client(dynamodb_local_endpoint), table, retention=Retention(0))

    store.save([new_record(), new_rejection()])

    assert [TTL_ATTRIBUTE in item for item in all_items(admin, table)] == [False, False]
    store.close()


def test_a_message_time_to_live_has_half_deleted_reads_as_gone_once_expired(
    dynamodb_local_endpoint: str, admin: DynamoDBClient, table: str
) -> None:
    # GIVEN a long message kept 1 day, whose body part time to live deleted before its main item
    # (DynamoDB deletes expired items one by one, in no order)
    clock = Clock()
    store = DynamoDbStore(
        dynamodb_client(dynamodb_local_endpoint), table, clock=clock, retention=Retention(1)
    )
    large = NewRecord(envelope(body(padding="y" * 40_000)), "SetStatus", "c79da7ce8e5e")
    store.save([large])
    message_id = large.envelope.message_id
    admin.delete_item(TableName=table, Key={"pk": {"S": message_id}, "sk": {"S": "body#0001"}})

    # WHEN it is read after its expiry / THEN it is gone, not "being written" forever
    clock.now += 2 * DAY_US
    assert store.get_record(message_id) is None
    store.close()


# -- SQLite --------------------------------------------------------------------------------------


def expiries(path: Path, table: str) -> list[int | None]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute(f"SELECT expires_at FROM {table} ORDER BY seq")]  # noqa: S608


def listed_ids(store: SqliteStore) -> list[str]:
    return [r.message_id for r in store.list_records(RecordFilter(), after=None, limit=100).items]


def test_sqlite_rows_carry_their_expiry_and_a_later_save_deletes_the_expired(
    tmp_path: Path,
) -> None:
    # GIVEN a SQLite store keeping messages 1 day, holding records and a rejection from today
    clock = Clock()
    path = tmp_path / "t.db"
    store = SqliteStore(path, clock=clock, retention=Retention(1))
    old = [new_record() for _ in range(3)]
    store.save([*old, new_rejection()])
    assert expiries(path, "records") == [START_US // 1_000_000 + SECONDS_PER_DAY] * 3

    # WHEN two days later new messages arrive, a minute apart (a prune is then due each time)
    clock.now += 2 * DAY_US
    new = [new_record(), new_record()]
    rejection = new_rejection()
    store.save([new[0], rejection])
    clock.now += PRUNE_EVERY_US
    store.save([new[1]])

    # THEN the expired records and rejection are gone (each table's newest row goes once a
    # newer one is there), the new ones are kept
    assert listed_ids(store) == [item.envelope.message_id for item in new]
    rejections = store.list_rejections(after=None, limit=10).items
    assert [r.message_id for r in rejections] == [rejection.envelope.message_id]
    store.close()


def test_sqlite_keeps_the_newest_row_even_expired_so_cursors_never_go_back(
    tmp_path: Path,
) -> None:
    # GIVEN records long expired, and nothing newer (a quiet system)
    clock = Clock()
    store = SqliteStore(tmp_path / "t.db", clock=clock, retention=Retention(1))
    records = [new_record() for _ in range(3)]
    store.save(records)
    clock.now += 5 * DAY_US

    # WHEN a save (of a rejection: the records table gets nothing newer) triggers a prune
    store.save([new_rejection()])

    # THEN all but the newest row are deleted: its seq stays the highest, so a new row never
    # takes a number a reader's cursor has already passed
    assert listed_ids(store) == [records[-1].envelope.message_id]
    cursor = store.list_records(RecordFilter(), after=None, limit=10).items[-1].cursor
    late = new_record()
    store.save([late])
    after = store.list_records(RecordFilter(), after=cursor, limit=10).items
    assert [r.message_id for r in after] == [late.envelope.message_id]
    store.close()


def test_sqlite_with_retention_0_keeps_everything_and_old_expiring_rows_still_go(
    tmp_path: Path,
) -> None:
    # GIVEN a file with rows written under a 1-day retention, then opened with retention 0
    clock = Clock()
    path = tmp_path / "t.db"
    first = SqliteStore(path, clock=clock, retention=Retention(1))
    expiring = [new_record(), new_record()]
    first.save(expiring)
    first.close()
    forever = SqliteStore(path, clock=clock, retention=Retention(0))
    kept = [new_record(), new_record()]
    forever.save(kept)

    # WHEN years pass and more is saved
    clock.now += 3_650 * DAY_US
    last = new_record()
    forever.save([last])

    # THEN rows written to expire are deleted when their time comes; rows written under 0 stay
    assert expiries(path, "records")[-3:] == [None, None, None]
    assert listed_ids(forever) == [item.envelope.message_id for item in (*kept, last)]
    forever.close()


def test_sqlite_a_row_not_yet_expired_stops_the_walk_but_expired_rows_it_saw_past_it_go(
    tmp_path: Path,
) -> None:
    # GIVEN rows kept 1 day, then rows kept 10 days, then rows kept 1 day again (the retention
    # lowered back), all in one file
    clock = Clock()
    path = tmp_path / "t.db"
    batches = [[new_record() for _ in range(2)] for _ in range(3)]
    for days, batch in zip((1, 10, 1), batches, strict=True):
        store = SqliteStore(path, clock=clock, retention=Retention(days))
        store.save(batch)
        store.close()

    # WHEN 2 days later a save prunes (the first save of a store does)
    clock.now += 2 * DAY_US
    store = SqliteStore(path, clock=clock, retention=Retention(1))
    newest = new_record()
    store.save([newest])
    clock.now += PRUNE_EVERY_US
    store.save([new_record()])

    # THEN every expired row the walk looked at is gone, those behind the 10-day rows included,
    # and the 10-day rows are kept
    kept = {r.message_id for r in store.list_records(RecordFilter(), after=None, limit=100).items}
    assert kept >= {item.envelope.message_id for item in batches[1]}
    assert not kept & {item.envelope.message_id for item in (*batches[0], *batches[2])}
    store.close()
