"""Large bodies in S3 (a claim check) against moto's S3 server and DynamoDB Local: the object is
written before the item that points to it, a retry overwrites the same object, the API serves
the whole body back, listings never touch S3, and a crash or a failure between the object and
the item loses nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.events import http_event
from tests.support.factories import body, envelope, sqs_event, sqs_record
from tests.support.servers import (
    Relay,
    dynamodb_client,
    local_aws_environment,
    s3_client,
    use_local_aws,
)
from triggersqs.bootstrap import Runtime, build_runtime
from triggersqs.core.ports import RecordFilter, SaveStatus
from triggersqs.core.records import PREVIEW_BYTES, NewRecord, NewRejection
from triggersqs.errors import StorageUnavailableError
from triggersqs.local.context import LocalContext
from triggersqs.settings import Settings
from triggersqs.storage.dynamodb import DynamoDbStore, create_table
from triggersqs.storage.s3_bodies import BodyBucket, key_of

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

ROOT = Path(__file__).resolve().parents[2]
LARGE = body(padding="é" * 30_000)  # ~60 KB of UTF-8, over the 16 KiB threshold
SMALL = body(padding="x" * 1_000)


@dataclass(frozen=True)
class Aws:
    """What a test here works with: moto's S3 and a bucket, DynamoDB Local and a table."""

    s3: S3Client
    bucket: str
    admin: DynamoDBClient
    table: str
    s3_endpoint: str
    dynamodb_endpoint: str

    def object_keys(self) -> list[str]:
        """The keys of the bucket's objects."""
        listed = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return [item["Key"] for item in listed]

    def main_item(self, message_id: str) -> dict[str, Any] | None:
        key = {"pk": {"S": message_id}, "sk": {"S": "#"}}
        found: dict[str, Any] | None = self.admin.get_item(TableName=self.table, Key=key).get(
            "Item"
        )
        return found

    def deployed(self, monkeypatch: pytest.MonkeyPatch) -> Runtime:
        """The runtime as lambda_handler builds it, with the bucket for large bodies."""
        use_local_aws(monkeypatch, dynamodb=self.dynamodb_endpoint, s3=self.s3_endpoint)
        return build_runtime(
            Settings.build(store="dynamodb", dynamodb_table=self.table, body_bucket=self.bucket)
        )


@pytest.fixture
def aws(moto_endpoint: str, dynamodb_local_endpoint: str) -> Iterator[Aws]:
    """A fresh bucket on moto's S3 and a fresh table on DynamoDB Local."""
    s3 = s3_client(moto_endpoint)
    bucket = f"bodies-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    admin = dynamodb_client(dynamodb_local_endpoint)
    table = f"s3-{uuid.uuid4().hex[:12]}"
    create_table(admin, table)
    yield Aws(s3, bucket, admin, table, moto_endpoint, dynamodb_local_endpoint)
    admin.delete_table(TableName=table)
    admin.close()
    s3.close()


def get(runtime: Runtime, path: str) -> tuple[int, Any]:
    response = runtime(http_event("function_url", path), LocalContext.with_timeout(30))
    return response["statusCode"], json.loads(response["body"])


def test_a_large_body_goes_to_s3_and_the_api_serves_it_back_whole(
    monkeypatch: pytest.MonkeyPatch, aws: Aws
) -> None:
    # GIVEN the deployed runtime with a bucket, and a batch with a large and a small command
    runtime = aws.deployed(monkeypatch)
    large, small = sqs_record(LARGE), sqs_record(SMALL)

    # WHEN the batch is handled
    assert runtime(sqs_event(large, small), LocalContext.with_timeout(30)) == {
        "batchItemFailures": []
    }

    # THEN only the large body is in S3, under its message id and its SHA-256, and its item
    # keeps a pointer and the listing's preview, not the body
    data = LARGE.encode()
    assert aws.object_keys() == [key_of(large["messageId"], data)]
    item = aws.main_item(large["messageId"])
    assert item is not None
    assert item["body_object"] == {"S": key_of(large["messageId"], data)}
    assert len(item["body"]["S"].encode()) <= PREVIEW_BYTES
    assert "body_object" not in (aws.main_item(small["messageId"]) or {})

    # AND GET /records/{id} serves the whole body, the listing its preview
    status, record = get(runtime, f"/records/{large['messageId']}")
    assert (status, record["body"], record["body_bytes"]) == (200, LARGE, len(data))
    _, page = get(runtime, "/records")
    listed = {m["message_id"]: m for m in page["messages"].values()}
    assert LARGE.startswith(listed[large["messageId"]]["body"])
    assert listed[small["messageId"]]["body"] == SMALL
    runtime.close()


def test_a_large_rejected_body_goes_to_s3_and_is_served_back_whole(
    monkeypatch: pytest.MonkeyPatch, aws: Aws
) -> None:
    runtime = aws.deployed(monkeypatch)
    invalid = "not json " + "z" * 40_000
    record = sqs_record(invalid)

    runtime(sqs_event(record), LocalContext.with_timeout(30))

    assert aws.object_keys() == [key_of(record["messageId"], invalid.encode())]
    status, rejection = get(runtime, f"/rejected/{record['messageId']}")
    assert (status, rejection["body"]) == (200, invalid)
    runtime.close()


def test_listings_never_read_s3_and_a_single_read_says_when_s3_is_down(aws: Aws) -> None:
    # GIVEN large messages stored, then a reader whose S3 can no longer be reached
    relay = Relay(aws.s3_endpoint)
    store = DynamoDbStore(
        dynamodb_client(aws.dynamodb_endpoint),
        aws.table,
        bodies=BodyBucket(s3_client(relay.endpoint), aws.bucket),
    )
    items = [NewRecord(envelope(LARGE), "SetStatus", f"c{n}") for n in range(3)]
    assert store.save(items) == [SaveStatus.STORED] * 3
    relay.stop()

    # WHEN a page is listed / THEN it shows every preview, without S3
    page = store.list_records(RecordFilter(), after=None, limit=10).items
    assert [r.message_id for r in page] == [i.envelope.message_id for i in items]
    assert all(LARGE.startswith(r.body) and r.body_bytes == len(LARGE.encode()) for r in page)

    # AND one whole message cannot be read without S3: unavailable (503), never a preview
    with pytest.raises(StorageUnavailableError, match="S3 GetObject"):
        store.get_record(items[0].envelope.message_id)
    store.close()


def test_a_failure_between_the_object_and_the_item_loses_nothing(aws: Aws) -> None:
    # GIVEN a store whose DynamoDB goes down once S3 has the object
    relay = Relay(aws.dynamodb_endpoint)
    bodies = BodyBucket(s3_client(aws.s3_endpoint), aws.bucket)
    down = DynamoDbStore(dynamodb_client(relay.endpoint, attempts=1), aws.table, bodies=bodies)
    relay.stop()
    item = NewRejection(envelope(LARGE), "kept for the test")

    # WHEN the message is written: the object lands, the item cannot
    with pytest.raises(StorageUnavailableError):
        down.save([item])
    assert aws.object_keys() == [key_of(item.envelope.message_id, LARGE.encode())]
    assert aws.main_item(item.envelope.message_id) is None

    # THEN SQS's redelivery, once DynamoDB is back, rewrites the same object and stores the item
    up = DynamoDbStore(
        dynamodb_client(aws.dynamodb_endpoint),
        aws.table,
        bodies=BodyBucket(s3_client(aws.s3_endpoint), aws.bucket),
    )
    assert up.save([item]) == [SaveStatus.STORED]
    assert aws.object_keys() == [key_of(item.envelope.message_id, LARGE.encode())]
    stored = up.get_rejection(item.envelope.message_id)
    assert stored is not None
    assert stored.body == LARGE
    # AND a later delivery of the same id with another body leaves the stored body as it was
    forged = NewRejection(envelope(LARGE + " forged", message_id=item.envelope.message_id), "x")
    assert up.save([forged]) == [SaveStatus.DUPLICATE]
    again = up.get_rejection(item.envelope.message_id)
    assert again is not None
    assert again.body == LARGE
    up.close()
    down.close()


_WRITER = """
import sys
from tests.support.factories import body, envelope
from triggersqs.core.records import NewRecord
from triggersqs.bootstrap import build_store
from triggersqs.settings import Settings

table, bucket, message_id = sys.argv[1:]
store = build_store(Settings.build(store="dynamodb", dynamodb_table=table, body_bucket=bucket))
item = NewRecord(envelope(body(padding="é" * 30_000), message_id=message_id), "SetStatus", "c1")
store.save([item])
"""


def test_a_process_killed_between_the_object_and_the_item_loses_nothing(
    monkeypatch: pytest.MonkeyPatch, aws: Aws
) -> None:
    # GIVEN a consumer process whose DynamoDB never answers (it hangs on the item's put)
    message_id = str(uuid.uuid4())
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        hung = f"http://127.0.0.1:{silent.getsockname()[1]}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRIGGERSQS_"))},
            **local_aws_environment(dynamodb=hung, s3=aws.s3_endpoint),
            "PYTHONPATH": str(ROOT),
        }
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, aws.table, aws.bucket, message_id], env=env, cwd=ROOT
        )

        # WHEN it is killed once its object is in S3
        key = key_of(message_id, LARGE.encode())
        deadline = time.monotonic() + 30
        while key not in aws.object_keys():
            assert writer.poll() is None, "the writer ended before writing its object"
            assert time.monotonic() < deadline, "no object written in 30 s"
            time.sleep(0.05)
        writer.send_signal(signal.SIGKILL)
        writer.wait()

    # THEN no item points anywhere, and SQS's redelivery stores the message whole, once
    assert aws.main_item(message_id) is None
    runtime = aws.deployed(monkeypatch)
    redelivered = sqs_record(LARGE, message_id=message_id)
    assert runtime(sqs_event(redelivered), LocalContext.with_timeout(30)) == {
        "batchItemFailures": []
    }
    assert aws.object_keys() == [key]
    status, record = get(runtime, f"/records/{message_id}")
    assert (status, record["body"]) == (200, LARGE)
    runtime.close()


def test_the_lambda_builds_its_s3_clients_at_init(aws: Aws) -> None:
    # GIVEN the Lambda module with a body bucket, imported in a fresh interpreter
    script = (
        "import gc, json\n"
        "from botocore.client import BaseClient\n"
        "import triggersqs.lambda_handler\n"
        "names = [c.meta.service_model.service_name for c in gc.get_objects()"
        " if isinstance(c, BaseClient)]\n"
        "print(json.dumps(sorted(names)))\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TRIGGERSQS_"))},
        **local_aws_environment(dynamodb=aws.dynamodb_endpoint, s3=aws.s3_endpoint),
        "PYTHONPATH": str(ROOT),
        "TRIGGERSQS_STORE": "dynamodb",
        "TRIGGERSQS_DYNAMODB_TABLE": aws.table,
        "TRIGGERSQS_BODY_BUCKET": aws.bucket,
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )

    # WHEN nothing has been invoked yet / THEN the clients exist: one per budget and service
    # (each S3 client also makes one of its own, for S3 Express sessions)
    assert done.returncode == 0, done.stderr.decode()
    made = Counter(json.loads(done.stdout.splitlines()[-1]))
    assert made["dynamodb"] == 3
    assert made["s3"] >= 3
