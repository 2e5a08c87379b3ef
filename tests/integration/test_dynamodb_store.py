"""The DynamoDB store against real servers on loopback: DynamoDB Local (AWS's strict emulator), and
small stand-in endpoints that throttle, never answer, or are not there at all.

The contract suite (tests/contract) covers what every store does; this covers what only this one
can get wrong: writers in several processes, body parts, error translation, the table's schema,
how a page is read, and keeping boto3 off the paths that do not use it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.factories import body, envelope, new_record, new_rejection
from tests.support.servers import dynamodb_client, free_port, fresh_table, use_local_aws
from triggersqs.bootstrap import build_store
from triggersqs.core.batch import BatchPolicy, BatchProcessor
from triggersqs.core.outcomes import Outcome
from triggersqs.core.ports import RecordFilter, SaveStatus
from triggersqs.core.records import PREVIEW_BYTES, Incoming, NewRecord, utf8_size
from triggersqs.errors import StorageError, StorageUnavailableError
from triggersqs.settings import Settings
from triggersqs.storage.dynamodb import DynamoDbStore, create_table
from triggersqs.storage.dynamodb.items import MAIN_BODY_BYTES, PART_BODY_BYTES
from triggersqs.storage.dynamodb.schema import SHARDS, TABLE_DEFINITION, shard_of

if TYPE_CHECKING:
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TableDescriptionTypeDef

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def table(dynamodb_local_endpoint: str) -> Iterator[str]:
    """A fresh table on DynamoDB Local, deleted afterwards."""
    with fresh_table(dynamodb_local_endpoint, "it") as name:
        yield name


@pytest.fixture
def store(dynamodb_local_endpoint: str, table: str) -> Iterator[DynamoDbStore]:
    """A store on a fresh DynamoDB Local table."""
    made = DynamoDbStore(dynamodb_client(dynamodb_local_endpoint), table)
    yield made
    made.close()


def walk(store: DynamoDbStore, where: RecordFilter, page: int) -> list[str]:
    """The message ids of every record matching ``where``, page by page."""
    found: list[str] = []
    after = None
    while True:
        chunk = store.list_records(where, after=after, limit=page)
        found.extend(record.message_id for record in chunk.items)
        if not chunk.more:
            return found
        after = chunk.items[-1].cursor


# -- many writers --------------------------------------------------------------------------------


def _write_in_another_process(
    endpoint: str,
    table: str,
    items: list[Incoming],
    start: Barrier,
    results: Queue[list[str]],
) -> None:
    """A writer process: one store of its own, the same batch as every other writer."""
    store = DynamoDbStore(dynamodb_client(endpoint), table)
    start.wait(timeout=60)
    try:
        results.put([status.value for status in store.save(items)])
    finally:
        store.close()


def test_processes_writing_the_same_messages_at_once_store_each_once(
    dynamodb_local_endpoint: str, table: str, store: DynamoDbStore
) -> None:
    # GIVEN three processes holding the same 40 messages, four with bodies large enough for parts
    items: list[Incoming] = [new_record(client_id=f"c{i}") for i in range(36)]
    items += [new_record(body_text=body(padding="p" * 40_000, n=i)) for i in range(4)]
    context = multiprocessing.get_context("spawn")  # no fork: the parent runs botocore threads
    start = context.Barrier(3)
    results: Queue[list[str]] = context.Queue()
    writers = [
        context.Process(
            target=_write_in_another_process,
            args=(dynamodb_local_endpoint, table, items, start, results),
        )
        for _ in range(3)
    ]

    # WHEN they all save them at once
    for writer in writers:
        writer.start()
    outcomes = [results.get(timeout=120) for _ in writers]
    for writer in writers:
        writer.join(30)

    # THEN each message was stored by exactly one of them, and reported a duplicate to the others
    for index in range(len(items)):
        column = sorted(statuses[index] for statuses in outcomes)
        assert column == ["duplicate", "duplicate", "stored"], index
    listed = walk(store, RecordFilter(), page=25)
    assert sorted(listed) == sorted(item.envelope.message_id for item in items)
    for item in items[-4:]:
        got = store.get_record(item.envelope.message_id)
        assert got is not None
        assert got.body == item.envelope.body


# -- bodies larger than one item -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        pytest.param("a" * MAIN_BODY_BYTES, 0, id="fills-the-main-item"),
        pytest.param("a" * (MAIN_BODY_BYTES + 1), 1, id="one-byte-over-the-main-item"),
        pytest.param("a" + "é" * MAIN_BODY_BYTES, 1, id="two-byte-characters-across-the-cut"),
        pytest.param("ab" + "😀" * (PART_BODY_BYTES // 2), 2, id="four-byte-characters"),
        pytest.param("x" * 1_048_576, 3, id="one-mebibyte"),
    ],
)
def test_large_bodies_are_split_into_parts_and_read_back_whole(
    store: DynamoDbStore, admin: DynamoDBClient, table: str, text: str, parts: int
) -> None:
    item = new_record(body_text=text)
    message_id = item.envelope.message_id

    assert store.save([item]) == [SaveStatus.STORED]

    stored = admin.query(
        TableName=table,
        KeyConditionExpression="pk = :id",
        ExpressionAttributeValues={":id": {"S": message_id}},
        ProjectionExpression="sk",
    )["Items"]
    assert len(stored) == 1 + parts
    got = store.get_record(message_id)
    assert got is not None
    assert got.body == item.envelope.body
    assert got.body_bytes == utf8_size(item.envelope.body)
    (listed,) = store.list_records(RecordFilter(), after=None, limit=5).items
    assert listed.body == got.body.encode()[:PREVIEW_BYTES].decode("utf-8", "ignore")


def test_a_large_message_written_twice_is_a_duplicate_the_second_time(
    store: DynamoDbStore,
) -> None:
    item = new_record(body_text=body(padding="z" * 100_000))
    same_id_small = new_rejection(message_id=item.envelope.message_id)

    assert store.save([item]) == [SaveStatus.STORED]
    assert store.save([item]) == [SaveStatus.DUPLICATE]
    assert store.save([same_id_small]) == [SaveStatus.DUPLICATE]
    got = store.get_record(item.envelope.message_id)
    assert got is not None
    assert got.body == item.envelope.body


# -- reading pages -------------------------------------------------------------------------------


def test_pages_of_any_size_merge_every_shard_in_stored_order(store: DynamoDbStore) -> None:
    # GIVEN 100 records in 5 batches: two clients, one command in five a Delete
    items = [
        new_record("Delete" if i % 5 == 0 else "SetStatus", "alice" if i % 2 else "bob")
        for i in range(100)
    ]
    for start in range(0, len(items), 20):
        assert store.save(items[start : start + 20]) == [SaveStatus.STORED] * 20
    ids = [item.envelope.message_id for item in items]
    assert len({shard_of(message_id) for message_id in ids}) == SHARDS

    def expected(keep: Callable[[NewRecord], bool]) -> list[str]:
        return [item.envelope.message_id for item in items if keep(item)]

    # THEN every page size and filter walks the same order the records were saved in
    for page in (9, 100, 1000):
        assert walk(store, RecordFilter(), page) == ids
    assert walk(store, RecordFilter(client_id="alice"), 9) == expected(
        lambda r: r.client_id == "alice"
    )
    assert walk(store, RecordFilter(command="Delete"), 7) == expected(
        lambda r: r.command == "Delete"
    )
    # a filter that drops most of what the index returns still fills each page
    assert walk(store, RecordFilter(client_id="bob", command="Delete"), 4) == expected(
        lambda r: (r.client_id, r.command) == ("bob", "Delete")
    )


# -- failures ------------------------------------------------------------------------------------


_THROTTLED = {
    "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
    "message": "The level of configured provisioned throughput for the table was exceeded.",
}


class _ScriptedDynamoDb(ThreadingHTTPServer):
    """A stand-in DynamoDB endpoint: PutItem succeeds, except for message ids it must throttle."""

    def __init__(self, throttled: set[str]) -> None:
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)
        self.throttled = throttled
        self.seen: list[str] = []

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ScriptedHandler(BaseHTTPRequestHandler):
    server: _ScriptedDynamoDb

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        message_id = request.get("Item", {}).get("pk", {}).get("S", "")
        self.server.seen.append(message_id)
        status, answer = 200, {}
        if message_id in self.server.throttled:
            status, answer = 400, _THROTTLED
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def scripted() -> Iterator[Callable[..., tuple[_ScriptedDynamoDb, DynamoDbStore]]]:
    """``scripted(*throttled_ids)``: a stand-in endpoint and a store using it (one attempt)."""
    made: list[tuple[_ScriptedDynamoDb, DynamoDbStore]] = []

    def make(*throttled: str) -> tuple[_ScriptedDynamoDb, DynamoDbStore]:
        server = _ScriptedDynamoDb(set(throttled))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        store = DynamoDbStore(dynamodb_client(server.endpoint, attempts=1), "scripted")
        made.append((server, store))
        return server, store

    yield make
    for server, store in made:
        store.close()
        server.shutdown()
        server.server_close()


def test_throttled_puts_fail_only_their_own_items(
    scripted: Callable[..., tuple[_ScriptedDynamoDb, DynamoDbStore]],
) -> None:
    items = [new_record() for _ in range(4)]
    _, store = scripted(items[1].envelope.message_id, items[3].envelope.message_id)

    statuses = store.save(items)

    assert statuses == [SaveStatus.STORED, SaveStatus.FAILED, SaveStatus.STORED, SaveStatus.FAILED]


def test_a_batch_throttled_entirely_raises_storage_unavailable(
    scripted: Callable[..., tuple[_ScriptedDynamoDb, DynamoDbStore]],
) -> None:
    items = [new_record() for _ in range(3)]
    _, store = scripted(*(item.envelope.message_id for item in items))

    with pytest.raises(StorageUnavailableError, match="ProvisionedThroughputExceeded"):
        store.save(items)


def test_an_ordered_batch_stops_writing_at_its_first_failure(
    scripted: Callable[..., tuple[_ScriptedDynamoDb, DynamoDbStore]],
) -> None:
    items = [new_record(), new_record(), new_record()]
    server, store = scripted(items[1].envelope.message_id)

    statuses = store.save(items, ordered=True)

    assert statuses == [SaveStatus.STORED, SaveStatus.FAILED, SaveStatus.FAILED]
    assert server.seen == [items[0].envelope.message_id, items[1].envelope.message_id]


def test_a_server_that_never_answers_is_unavailable_after_the_read_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (the kernel does), never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        client = dynamodb_client(f"http://127.0.0.1:{port}", attempts=1, read_timeout=0.5)
        store = DynamoDbStore(client, "silent")
        started = time.monotonic()

        with pytest.raises(StorageUnavailableError, match="ReadTimeout"):
            store.save([new_record()])

        assert time.monotonic() - started < 5
        store.close()


def test_an_unreachable_endpoint_fails_fast_and_every_record_goes_back_to_the_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the store as deployed (built from settings), its endpoint a port nobody listens on
    use_local_aws(monkeypatch, dynamodb=f"http://127.0.0.1:{free_port()}")
    store = build_store(Settings.build(store="dynamodb", dynamodb_table="triggersqs"))
    batch = [envelope(), envelope(), envelope("not json")]

    # WHEN a write is attempted, then a whole batch is processed
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError, match="EndpointConnectionError"):
        store.save([new_record()])
    elapsed = time.monotonic() - started
    report = BatchProcessor(store, BatchPolicy()).process(batch)

    # THEN the write gave up within the retry budget, and no record was reported stored
    assert elapsed < 5
    assert [result.outcome for result in report.results] == [Outcome.FAILED] * 3
    assert report.failed_ids == [e.message_id for e in batch]
    store.close()


def test_a_missing_table_is_a_storage_error_that_retrying_will_not_cure(
    dynamodb_local_endpoint: str,
) -> None:
    store = DynamoDbStore(dynamodb_client(dynamodb_local_endpoint), "no-such-table")

    with pytest.raises(StorageError, match="ResourceNotFoundException") as raised:
        store.save([new_record()])

    assert not isinstance(raised.value, StorageUnavailableError)
    with pytest.raises(StorageUnavailableError):  # the health check says "not ready" all the same
        store.check()
    store.close()


# -- the table -----------------------------------------------------------------------------------


def as_definition(table: TableDescriptionTypeDef | dict[str, Any]) -> dict[str, Any]:
    """The CreateTable parameters a DescribeTable answer (or a definition) amounts to."""
    billing = table.get("BillingModeSummary", {}).get("BillingMode") or table.get("BillingMode")
    return {
        "AttributeDefinitions": sorted(
            table["AttributeDefinitions"], key=lambda a: a["AttributeName"]
        ),
        "KeySchema": table["KeySchema"],
        "GlobalSecondaryIndexes": sorted(
            (
                {
                    "IndexName": index["IndexName"],
                    "KeySchema": index["KeySchema"],
                    "Projection": index["Projection"],
                }
                for index in table.get("GlobalSecondaryIndexes", [])
            ),
            key=lambda index: index["IndexName"],
        ),
        "BillingMode": billing,
    }


@pytest.mark.parametrize("server", ["dynamodb_local_endpoint", "moto_endpoint"])
def test_create_table_makes_exactly_the_schema_module_table_and_is_idempotent(
    request: pytest.FixtureRequest, server: str
) -> None:
    client = dynamodb_client(request.getfixturevalue(server))
    name = f"schema-{uuid.uuid4().hex[:12]}"

    created = create_table(client, name)
    client.put_item(TableName=name, Item={"pk": {"S": "kept"}, "sk": {"S": "#"}})
    again = create_table(client, name)

    described = client.describe_table(TableName=name)["Table"]
    assert (created, again) == (True, False)
    assert described["TableStatus"] == "ACTIVE"
    assert as_definition(described) == as_definition(TABLE_DEFINITION)
    assert "Item" in client.get_item(TableName=name, Key={"pk": {"S": "kept"}, "sk": {"S": "#"}})
    client.delete_table(TableName=name)
    client.close()


# -- wiring --------------------------------------------------------------------------------------


def test_the_store_built_from_settings_honours_the_endpoint_variable(
    monkeypatch: pytest.MonkeyPatch,
    dynamodb_local_endpoint: str,
    table: str,
    admin: DynamoDBClient,
) -> None:
    use_local_aws(monkeypatch, dynamodb=dynamodb_local_endpoint)
    store = build_store(Settings.build(store="dynamodb", dynamodb_table=table))
    item = new_record()

    assert store.save([item]) == [SaveStatus.STORED]

    key = {"pk": {"S": item.envelope.message_id}, "sk": {"S": "#"}}
    assert "Item" in admin.get_item(TableName=table, Key=key)
    store.close()


_LAMBDA = """
import json, sys
import triggersqs.lambda_handler as entry
from tests.support.factories import sqs_event, sqs_record

imported_at_start = "boto3" in sys.modules
first = entry.handler(sqs_event(sqs_record(), sqs_record("not json")), None)
store = entry.runtime.store
second = entry.handler(sqs_event(sqs_record()), None)
print(json.dumps({
    "boto3_at_start": imported_at_start,
    "boto3_at_end": "boto3" in sys.modules,
    "botocore_at_end": "botocore" in sys.modules,
    "store_built_once": entry.runtime.store is store,
    "responses": [first, second],
}))
"""


def run_lambda(environment: dict[str, str]) -> dict[str, Any]:
    """Cold-start the Lambda module in a fresh interpreter, handle two SQS batches."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "TRIGGERSQS_"))
    }
    env |= {"PYTHONPATH": str(ROOT), **environment}
    done = subprocess.run(
        [sys.executable, "-c", _LAMBDA],
        check=False,
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    answer: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])  # after the logs
    return answer


def test_the_sqlite_lambda_never_imports_boto3(tmp_path: Path) -> None:
    answer = run_lambda(
        {"TRIGGERSQS_STORE": "sqlite", "TRIGGERSQS_SQLITE_PATH": str(tmp_path / "t.db")}
    )

    assert answer["responses"] == [{"batchItemFailures": []}] * 2
    assert (answer["boto3_at_end"], answer["botocore_at_end"]) == (False, False)


def test_the_dynamodb_lambda_builds_its_client_at_init_and_the_store_once(
    dynamodb_local_endpoint: str, table: str, admin: DynamoDBClient
) -> None:
    answer = run_lambda(
        {
            "TRIGGERSQS_STORE": "dynamodb",
            "TRIGGERSQS_DYNAMODB_TABLE": table,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local_endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }
    )

    assert answer["responses"] == [{"batchItemFailures": []}] * 2
    # The client (and its boto3) is built at init, outside the first invocation's time.
    assert (answer["boto3_at_start"], answer["boto3_at_end"]) == (True, True)
    assert answer["store_built_once"] is True
    stored = admin.scan(TableName=table, Select="COUNT")  # a test may scan; the store never does
    assert stored["Count"] == 3
