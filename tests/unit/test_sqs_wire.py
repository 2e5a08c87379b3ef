"""The SQS API ↔ Lambda event translation: the partial batch response rules Lambda applies,
ReceiveMessage results turned into Lambda SQS records, and queue attributes read as QueueInfo."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from triggersqs.errors import InvalidBatchResponseError
from triggersqs.local.sqs_wire import (
    QueueInfo,
    failed_message_ids,
    lambda_event,
    payload_bytes,
)

URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
ARN = "arn:aws:sqs:eu-west-1:123456789012:orders"
QUEUE = QueueInfo(url=URL, arn=ARN, visibility_timeout=30, fifo=False)
IDS = ["id-1", "id-2", "id-3"]


def received(body: str = '{"command": "SetStatus"}', **extra: Any) -> dict[str, Any]:
    """One message as boto3's ReceiveMessage returns it (all attribute names requested)."""
    message: dict[str, Any] = {
        "MessageId": "5fea7756-0ea4-451a-a703-a558b933e274",
        "ReceiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "MD5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "Body": body,
        "Attributes": {
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "SentTimestamp": "1545082649183",
            "ApproximateReceiveCount": "1",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
    }
    message.update(extra)
    return message


# -- failed_message_ids ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        None,
        {},
        {"batchItemFailures": []},
        {"batchItemFailures": None},
        {"somethingElse": [{"itemIdentifier": "id-1"}]},
    ],
    ids=["none", "empty-object", "empty-list", "null-list", "no-key"],
)
def test_a_response_without_failures_means_every_record_succeeded(response: object) -> None:
    # GIVEN a response Lambda reads as complete success
    # WHEN the failed ids are read
    failed = failed_message_ids(response, IDS)
    # THEN none failed
    assert failed == set()


def test_listed_identifiers_are_the_failed_records() -> None:
    # GIVEN a response listing two of three records, one of them twice
    response = {
        "batchItemFailures": [
            {"itemIdentifier": "id-3"},
            {"itemIdentifier": "id-1"},
            {"itemIdentifier": "id-3"},
        ]
    }
    # WHEN the failed ids are read
    failed = failed_message_ids(response, IDS)
    # THEN exactly those two failed
    assert failed == {"id-1", "id-3"}


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemIdentifier": 7}]},
        {"batchItemFailures": [{"itemId": "id-1"}]},
        {"batchItemFailures": [{}]},
        {"batchItemFailures": ["id-1"]},
        {"batchItemFailures": [{"itemIdentifier": "id-1"}, {"itemIdentifier": "ghost"}]},
        {"batchItemFailures": "id-1"},
        {"batchItemFailures": {"itemIdentifier": "id-1"}},
        "ok",
        ["id-1"],
        42,
        True,
    ],
    ids=[
        "id-not-in-batch",
        "empty-id",
        "null-id",
        "number-id",
        "bad-key-name",
        "missing-id",
        "bare-string-item",
        "one-good-one-unknown",
        "failures-a-string",
        "failures-an-object",
        "response-a-string",
        "response-a-list",
        "response-a-number",
        "response-a-bool",
    ],
)
def test_an_invalid_response_fails_the_whole_batch(response: object) -> None:
    # GIVEN a response Lambda treats as a complete failure
    # WHEN the failed ids are read
    # THEN the response is refused, so the caller fails every record
    with pytest.raises(InvalidBatchResponseError):
        failed_message_ids(response, IDS)


def test_the_error_names_the_unknown_identifier() -> None:
    # GIVEN a response naming a message that was not in the batch
    response = {"batchItemFailures": [{"itemIdentifier": "ghost-id"}]}
    # WHEN the failed ids are read
    with pytest.raises(InvalidBatchResponseError) as caught:
        failed_message_ids(response, IDS)
    # THEN the error says which identifier and why
    assert "ghost-id" in str(caught.value)
    assert "not in the batch" in str(caught.value)


# -- lambda_event ------------------------------------------------------------------------------


def test_a_received_message_becomes_a_lambda_sqs_record_with_every_field() -> None:
    # GIVEN a message as ReceiveMessage returns it
    message = received()
    # WHEN it is turned into a Lambda event
    event = lambda_event([message], QUEUE)
    # THEN the record has exactly Lambda's fields, with the queue's ARN and region
    assert event == {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message["Attributes"],
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": ARN,
                "awsRegion": "eu-west-1",
            }
        ]
    }


def test_message_attributes_are_converted_to_lambdas_camel_case_with_base64_binary() -> None:
    # GIVEN string, number, binary and custom-typed message attributes as boto3 returns them
    message = received(
        MessageAttributes={
            "trace": {"StringValue": "abc", "DataType": "String"},
            "priority": {"StringValue": "42", "DataType": "Number"},
            "blob": {"BinaryValue": b"\x00\x01\xfe\xff", "DataType": "Binary"},
            "kind": {"StringValue": "v2", "DataType": "String.version"},
        }
    )
    # WHEN it is turned into a Lambda event
    attributes = lambda_event([message], QUEUE)["Records"][0]["messageAttributes"]
    # THEN each attribute has Lambda's shape: camelCase keys, list values, binary in base64
    assert attributes == {
        "trace": {
            "stringValue": "abc",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "priority": {
            "stringValue": "42",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Number",
        },
        "blob": {
            "binaryValue": base64.b64encode(b"\x00\x01\xfe\xff").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
        "kind": {
            "stringValue": "v2",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String.version",
        },
    }


def test_records_keep_the_order_of_the_received_messages() -> None:
    # GIVEN three messages
    messages = [received(f"body {n}", MessageId=f"id-{n}") for n in range(3)]
    # WHEN they are turned into one event
    records = lambda_event(messages, QUEUE)["Records"]
    # THEN the records follow them one for one
    assert [(r["messageId"], r["body"]) for r in records] == [
        ("id-0", "body 0"),
        ("id-1", "body 1"),
        ("id-2", "body 2"),
    ]


def test_the_event_does_not_share_attribute_dicts_with_the_received_message() -> None:
    # GIVEN a received message
    message = received()
    # WHEN its record's attributes are changed by a handler
    lambda_event([message], QUEUE)["Records"][0]["attributes"]["ApproximateReceiveCount"] = "9"
    # THEN the message the poller still holds is untouched
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"


def test_fifo_system_attributes_pass_through_as_strings() -> None:
    # GIVEN a FIFO message with its group, deduplication id and sequence number
    fifo = QueueInfo(URL + ".fifo", ARN + ".fifo", 30, fifo=True)
    message = received()
    message["Attributes"] |= {
        "MessageGroupId": "group-1",
        "MessageDeduplicationId": "dedup-1",
        "SequenceNumber": "18849496460467696128",
    }
    # WHEN it is turned into a Lambda event
    record = lambda_event([message], fifo)["Records"][0]
    # THEN the attributes are Lambda's, all strings, and the ARN is the FIFO queue's
    assert record["attributes"]["MessageGroupId"] == "group-1"
    assert all(isinstance(value, str) for value in record["attributes"].values())
    assert record["eventSourceARN"] == ARN + ".fifo"


def test_payload_size_counts_the_body_in_utf8_bytes() -> None:
    # GIVEN two bodies of the same length in characters, one of them non-ASCII
    ascii_body, wide_body = "a" * 1000, "é" * 1000
    # WHEN their payload sizes are estimated
    # THEN the wider one counts its UTF-8 bytes, and each is at least its body
    assert payload_bytes(received(ascii_body)) >= 1000
    assert payload_bytes(received(wide_body)) - payload_bytes(received(ascii_body)) >= 1000


def test_payload_size_counts_what_json_escaping_adds_to_the_body() -> None:
    # GIVEN a body of quotes and control characters, which the event's JSON must escape
    body = '"' * 1000 + "\x01" * 1000
    # WHEN its payload size is estimated
    size = payload_bytes(received(body))
    # THEN it counts the escaped form: two bytes per quote, six per control character
    assert size >= 2 * 1000 + 6 * 1000


def test_payload_size_counts_message_attributes() -> None:
    # GIVEN a message with a 100 KB string attribute and a 30 KB binary one (base64 in the event)
    plain = received("{}")
    rich = received(
        "{}",
        MessageAttributes={
            "big": {"StringValue": "s" * 100_000, "DataType": "String"},
            "blob": {"BinaryValue": b"\xff" * 30_000, "DataType": "Binary"},
        },
    )
    # WHEN both are estimated
    # THEN the attributes count, binary ones at their base64 size
    assert payload_bytes(rich) - payload_bytes(plain) >= 100_000 + 40_000


# -- QueueInfo ---------------------------------------------------------------------------------


def test_queue_info_reads_a_standard_queues_attributes() -> None:
    # GIVEN GetQueueAttributes(All) of a standard queue
    attributes = {"QueueArn": ARN, "VisibilityTimeout": "45", "DelaySeconds": "0"}
    # WHEN it is read
    queue = QueueInfo.from_attributes(URL, attributes)
    # THEN it is not FIFO, and its region comes from the ARN
    assert queue == QueueInfo(URL, ARN, 45, fifo=False)
    assert queue.region == "eu-west-1"


def test_queue_info_reads_a_fifo_queue_and_its_region_from_the_arn() -> None:
    # GIVEN a FIFO queue in another partition's region, with the flag spelled as SQS spells it
    arn = "arn:aws-cn:sqs:cn-north-1:123456789012:orders.fifo"
    attributes = {"QueueArn": arn, "VisibilityTimeout": "2", "FifoQueue": "true"}
    # WHEN it is read
    queue = QueueInfo.from_attributes("http://127.0.0.1:9324/123456789012/orders.fifo", attributes)
    # THEN it is FIFO, with its visibility timeout, in the ARN's region (not the URL's)
    assert queue.fifo
    assert queue.visibility_timeout == 2
    assert queue.region == "cn-north-1"


def test_queue_info_defaults_to_sqs_defaults_for_missing_attributes() -> None:
    # GIVEN attributes holding only the ARN
    # WHEN they are read
    queue = QueueInfo.from_attributes(URL, {"QueueArn": ARN})
    # THEN the visibility timeout is SQS's default and the queue is standard
    assert queue.visibility_timeout == 30
    assert not queue.fifo
