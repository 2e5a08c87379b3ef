"""A DynamoDB that answers slowly (a delaying relay in front of DynamoDB Local) must not make a
batch overrun its Lambda time budget: every store call, its retries and its backoff included,
ends before the deadline, and a record whose write could not finish in time fails alone.

The batch's wall time is measured on the real clock against the context's remaining time; the
runtime is built as the Lambda entry point builds it (settings and the environment's endpoint).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from tests.support.factories import body, sqs_event, sqs_record
from tests.support.servers import Relay, dynamodb_client, s3_client, use_local_aws
from triggersqs.bootstrap import Runtime, build_runtime
from triggersqs.errors import BatchFailedError
from triggersqs.local.context import LocalContext
from triggersqs.settings import Settings
from triggersqs.storage.dynamodb import create_table

MARGIN_S = 1.0
"""The default TRIGGERSQS_TIME_MARGIN_MS: the deadline is this much before the context's end."""
SLACK_S = 0.3
"""What a batch may take past its deadline: thread hand-offs and the answer, never a store call."""
LARGE = body(padding="x" * 40_000)
"""A body over 16 KiB: without a bucket, a transaction of the main item and a body part."""


@pytest.fixture
def table(dynamodb_local_endpoint: str) -> Iterator[str]:
    admin = dynamodb_client(dynamodb_local_endpoint)
    name = f"slow-{uuid.uuid4().hex[:12]}"
    create_table(admin, name)
    yield name
    admin.delete_table(TableName=name)
    admin.close()


@pytest.fixture
def relay(dynamodb_local_endpoint: str) -> Iterator[Relay]:
    made = Relay(dynamodb_local_endpoint)
    yield made
    made.stop()


def deployed_runtime(monkeypatch: pytest.MonkeyPatch, endpoint: str, table: str) -> Runtime:
    """The runtime as lambda_handler builds it, its DynamoDB endpoint ``endpoint``."""
    use_local_aws(monkeypatch, dynamodb=endpoint)
    return build_runtime(Settings.build(store="dynamodb", dynamodb_table=table))


def stored_count(endpoint: str, table: str) -> int:
    """Main items in the table (a test may scan; the store never does)."""
    admin = dynamodb_client(endpoint)
    answer = admin.scan(
        TableName=table,
        Select="COUNT",
        FilterExpression="sk = :m",
        ExpressionAttributeValues={":m": {"S": "#"}},
    )
    admin.close()
    return answer["Count"]


def test_a_batch_against_a_store_slower_than_its_timeouts_ends_within_the_time_left(
    monkeypatch: pytest.MonkeyPatch, relay: Relay, table: str, dynamodb_local_endpoint: str
) -> None:
    # GIVEN a DynamoDB whose every answer takes 5 s, and a batch (one large body among them)
    runtime = deployed_runtime(monkeypatch, relay.endpoint, table)
    records = [sqs_record() for _ in range(5)] + [sqs_record(LARGE)]
    relay.delay = 5.0

    # WHEN the batch is handled with 4 s left in the invocation
    context = LocalContext.with_timeout(4.0)
    remaining = context.get_remaining_time_in_millis() / 1000
    started = time.monotonic()
    with pytest.raises(BatchFailedError) as failed:
        runtime(sqs_event(*records), context)
    elapsed = time.monotonic() - started

    # THEN it ends before its deadline, every record failed (none reported stored)
    assert elapsed < remaining - MARGIN_S + SLACK_S, f"{elapsed:.2f} s of {remaining:.2f} s"
    assert "all 6 records failed" in str(failed.value)

    # AND once DynamoDB answers again, the redelivery stores each message exactly once (a write
    # that landed after its record was given up on is found, and acknowledged as a duplicate)
    relay.delay = 0.0
    again = runtime(sqs_event(*records), LocalContext.with_timeout(30.0))
    assert again == {"batchItemFailures": []}
    assert stored_count(dynamodb_local_endpoint, table) == len(records)
    runtime.close()


def test_an_ordered_batch_on_a_slow_store_fails_only_what_could_not_finish_in_time(
    monkeypatch: pytest.MonkeyPatch, relay: Relay, table: str, dynamodb_local_endpoint: str
) -> None:
    # GIVEN a DynamoDB answering each request in 0.3 s, and a FIFO batch of 8 (written in order)
    runtime = deployed_runtime(monkeypatch, relay.endpoint, table)
    fifo = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"
    records = [sqs_record(queue_arn=fifo, group="g") for _ in range(8)]
    relay.delay = 0.3

    # WHEN the batch is handled with 2.5 s left
    context = LocalContext.with_timeout(2.5)
    remaining = context.get_remaining_time_in_millis() / 1000
    started = time.monotonic()
    response = runtime(sqs_event(*records), context)
    elapsed = time.monotonic() - started

    # THEN it ends before its deadline, the first records are stored, and the rest are returned
    # to the queue, in order, without any write started that could not finish in time
    assert elapsed < remaining - MARGIN_S + SLACK_S, f"{elapsed:.2f} s of {remaining:.2f} s"
    failed = [failure["itemIdentifier"] for failure in response["batchItemFailures"]]
    kept = len(records) - len(failed)
    assert 1 <= kept < len(records)
    assert failed == [record["messageId"] for record in records[kept:]]
    assert stored_count(dynamodb_local_endpoint, table) == kept
    runtime.close()


def test_a_batch_whose_large_bodies_meet_a_slow_s3_ends_within_the_time_left(
    monkeypatch: pytest.MonkeyPatch, table: str, dynamodb_local_endpoint: str, moto_endpoint: str
) -> None:
    # GIVEN large bodies going to an S3 whose every answer takes 5 s, small ones beside them
    s3 = s3_client(moto_endpoint)
    bucket = f"slow-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    slow_s3 = Relay(moto_endpoint, delay=5.0)
    use_local_aws(monkeypatch, dynamodb=dynamodb_local_endpoint, s3=slow_s3.endpoint)
    runtime = build_runtime(
        Settings.build(store="dynamodb", dynamodb_table=table, body_bucket=bucket)
    )
    small = [sqs_record() for _ in range(3)]
    large = [sqs_record(LARGE) for _ in range(2)]

    # WHEN the batch is handled with 4 s left
    context = LocalContext.with_timeout(4.0)
    remaining = context.get_remaining_time_in_millis() / 1000
    started = time.monotonic()
    response = runtime(sqs_event(*small, *large), context)
    elapsed = time.monotonic() - started

    # THEN it ends before its deadline: the small records are stored, each large one fails
    # alone (its item is never written without its object)
    assert elapsed < remaining - MARGIN_S + SLACK_S, f"{elapsed:.2f} s of {remaining:.2f} s"
    failed = sorted(failure["itemIdentifier"] for failure in response["batchItemFailures"])
    assert failed == sorted(record["messageId"] for record in large)
    assert stored_count(dynamodb_local_endpoint, table) == len(small)
    runtime.close()
    slow_s3.stop()
    s3.close()
