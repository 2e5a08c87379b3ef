"""SQS event recognition and parsing: real AWS shapes in, envelopes out; odd metadata tolerated."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.events import HTTP_KINDS, NEITHER_SQS_NOR_HTTP, http_event, load_event, sqs_event
from triggersqs.aws_lambda.sqs import is_sqs_event, parse_sqs_event
from triggersqs.core.batch import BatchPolicy, BatchProcessor
from triggersqs.core.outcomes import Outcome
from triggersqs.core.records import Envelope
from triggersqs.errors import UnsupportedEventError
from triggersqs.storage.memory import MemoryStore


def only_record(event: dict[str, Any]) -> Envelope:
    [envelope] = parse_sqs_event(event)
    return envelope


@pytest.mark.parametrize("name", ["sqs_standard", "sqs_fifo", "sqs_dlq_trigger"])
def test_real_sqs_events_are_recognised(name: str) -> None:
    assert is_sqs_event(load_event(name))


@pytest.mark.parametrize("name", [*NEITHER_SQS_NOR_HTTP, *HTTP_KINDS])
def test_other_events_are_not_taken_for_sqs(name: str) -> None:
    assert not is_sqs_event(load_event(name))


def test_a_cloudfront_event_with_records_is_not_taken_for_sqs() -> None:
    # GIVEN a Lambda@Edge event, which also carries "Records"
    event = load_event("cloudfront_viewer_request")
    assert event["Records"]

    # THEN it is recognised by eventSource, not by having records
    assert not is_sqs_event(event)
    with pytest.raises(UnsupportedEventError):
        parse_sqs_event(event)


@pytest.mark.parametrize(
    "event",
    [
        {"Records": []},
        {"Records": "aws:sqs"},
        {"Records": [None]},
        {"Records": [{"eventSource": "aws:sns"}]},
        {"Records": [{"eventSource": "aws:sqs"}, {"eventSource": "aws:s3"}]},
    ],
    ids=["no-records", "records-not-a-list", "record-not-an-object", "other-source", "mixed"],
)
def test_an_event_unless_every_record_is_from_sqs_is_not_an_sqs_event(
    event: dict[str, Any],
) -> None:
    assert not is_sqs_event(event)


def test_the_records_of_the_real_standard_event_are_parsed_in_order() -> None:
    # GIVEN the real two-record event from AWS
    event = load_event("sqs_standard")

    # WHEN parsed
    envelopes = parse_sqs_event(event)

    # THEN each record keeps its id, queue, body and SQS metadata, in order
    assert envelopes == [
        Envelope(
            message_id="059f36b4-87a3-44ab-83d2-661975830a7d",
            queue_arn="arn:aws:sqs:us-east-2:123456789012:my-queue",
            body="Test message.",
            sent_at_ms=1545082649183,
            receive_count=1,
        ),
        Envelope(
            message_id="2e1424d4-f796-459a-8184-9c92662be6da",
            queue_arn="arn:aws:sqs:us-east-2:123456789012:my-queue",
            body='{"message": "foo1"}',
            sent_at_ms=1545082650636,
            receive_count=1,
        ),
    ]


def test_a_fifo_record_keeps_its_message_group() -> None:
    envelope = only_record(load_event("sqs_fifo"))

    assert envelope.queue_arn.endswith(".fifo")
    assert envelope.message_group_id == "powertools-test"


def test_a_record_redriven_from_a_dead_letter_queue_is_parsed() -> None:
    envelope = only_record(load_event("sqs_dlq_trigger"))

    assert (envelope.body, envelope.receive_count) == ("hello world", 2)


def test_records_built_from_the_real_event_carry_their_bodies() -> None:
    event = sqs_event('{"command": "a", "client_id": "b"}', "second", message_ids=["m1", "m2"])

    assert [(e.message_id, e.body) for e in parse_sqs_event(event)] == [
        ("m1", '{"command": "a", "client_id": "b"}'),
        ("m2", "second"),
    ]


# -- odd metadata ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attributes",
    [None, "text", [], {}],
    ids=["null", "string", "list", "empty"],
)
def test_missing_or_odd_attributes_leave_the_metadata_unknown(attributes: object) -> None:
    event = sqs_event("body", message_ids=["m1"])
    event["Records"][0]["attributes"] = attributes

    envelope = only_record(event)

    assert (envelope.sent_at_ms, envelope.receive_count, envelope.message_group_id) == (
        None,
        0,
        None,
    )
    assert envelope.defect is None


@pytest.mark.parametrize("value", ["", "soon", "-5", "1.5", "١٢٣", 1545082649183, None])
def test_a_sent_timestamp_that_is_not_a_decimal_string_is_treated_as_absent(value: object) -> None:
    event = sqs_event("body", message_ids=["m1"])
    event["Records"][0]["attributes"]["SentTimestamp"] = value
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = value

    envelope = only_record(event)

    assert (envelope.sent_at_ms, envelope.receive_count) == (None, 0)


def test_a_record_without_a_queue_arn_is_still_parsed() -> None:
    event = sqs_event("body", message_ids=["m1"])
    del event["Records"][0]["eventSourceARN"]

    assert only_record(event).queue_arn == ""


def test_a_non_string_message_group_is_ignored() -> None:
    event = sqs_event("body", fifo=True, message_ids=["m1"])
    event["Records"][0]["attributes"]["MessageGroupId"] = 7

    assert only_record(event).message_group_id is None


def deeply_nested(depth: int) -> list[object]:
    """``[[[...]]]`` ``depth`` levels deep, built without recursion."""
    nested: list[object] = []
    for _ in range(depth - 1):
        nested = [nested]
    return nested


@pytest.mark.parametrize(
    "body",
    [None, 12, True, {"command": "a", "client_id": "b"}, ["x"], deeply_nested(100_000)],
    ids=["null", "number", "bool", "object", "list", "nested-100000"],
)
def test_a_record_whose_body_is_not_a_string_is_marked_defective(body: object) -> None:
    # GIVEN a record whose body is not a string (no real SQS record has one)
    event = sqs_event("placeholder", message_ids=["m1"])
    event["Records"][0]["body"] = body

    # WHEN parsed
    envelope = only_record(event)

    # THEN it still gets an envelope, with the defect to reject it for, and a string body
    assert envelope.defect == "body must be a string"
    assert isinstance(envelope.body, str)


def test_a_non_string_body_is_not_walked_only_a_plain_value_is_kept_as_json() -> None:
    event = sqs_event("a", "b", "c", message_ids=["m1", "m2", "m3"])
    for record, body in zip(event["Records"], [12, None, {"a": [1]}], strict=True):
        record["body"] = body

    assert [e.body for e in parse_sqs_event(event)] == ["12", "null", ""]


def test_a_body_nested_100000_deep_is_rejected_and_the_rest_of_the_batch_is_unaffected() -> None:
    # GIVEN a batch whose middle record's body is a list nested 100,000 deep
    valid = '{"command": "a", "client_id": "b"}'
    event = sqs_event(valid, "x", valid, message_ids=["ok-1", "deep", "ok-2"])
    event["Records"][1]["body"] = deeply_nested(100_000)
    store = MemoryStore()

    # WHEN it is parsed and processed
    report = BatchProcessor(store, BatchPolicy()).process(parse_sqs_event(event))

    # THEN that record alone is rejected, and kept with its reason
    assert [(r.outcome, r.reason) for r in report.results] == [
        (Outcome.STORED, None),
        (Outcome.REJECTED, "body must be a string"),
        (Outcome.STORED, None),
    ]
    rejection = store.get_rejection("deep")
    assert rejection is not None
    assert rejection.reason == "body must be a string"


def test_a_record_without_a_body_is_marked_defective() -> None:
    event = sqs_event("placeholder", message_ids=["m1"])
    del event["Records"][0]["body"]

    assert only_record(event).defect == "body must be a string"


@pytest.mark.parametrize(
    "message_id", [None, "", 42, ["m1"]], ids=["missing", "empty", "int", "list"]
)
def test_a_record_without_a_usable_message_id_makes_the_event_unsupported(
    message_id: object,
) -> None:
    # GIVEN a batch whose second record has no usable id (it could not be reported back to SQS)
    event = sqs_event("first", "second", message_ids=["m1", "m2"])
    if message_id is None:
        del event["Records"][1]["messageId"]
    else:
        event["Records"][1]["messageId"] = message_id

    # WHEN parsed THEN the whole event is refused, naming the record
    with pytest.raises(UnsupportedEventError, match="SQS record 1 has no messageId"):
        parse_sqs_event(event)


def test_an_http_event_is_refused_by_the_sqs_parser() -> None:
    with pytest.raises(UnsupportedEventError, match="not an SQS event"):
        parse_sqs_event(http_event("function_url"))
