"""The poller against a real SQS-compatible server (the embedded, tuned moto): the Lambda event it
builds, the time budget, what it deletes for each kind of handler response, batching windows and
the payload limit, the visibility keeper, shutdown, FIFO order and redrive with the real handler,
and competing pollers.

The poller runs on a fake clock whose sleep only moves the clock, and with ``wait_time=0``, so
nothing here waits on real time except the tests marked slow and the competing pollers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.clock import FakeClock
from tests.support.fakes import RecordingHandler, fail_ids
from tests.support.sqs import Counts, counts, create_queue, send_bodies, sqs_client
from tests.support.waiting import wait_for
from triggersqs.bootstrap import Runtime, build_runtime
from triggersqs.core.ports import RecordFilter
from triggersqs.errors import ConfigurationError
from triggersqs.local.poller import MAX_PAYLOAD_BYTES, Poller, PollerSettings
from triggersqs.local.sqs_wire import QueueInfo
from triggersqs.settings import Settings
from triggersqs.storage.memory import MemoryStore

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

LAMBDA_RECORD_KEYS = {
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
}
SYSTEM_ATTRIBUTES = {
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
}


def valid(n: int = 0, client: str = "c79da7ce8e5e") -> str:
    return json.dumps({"command": "SetStatus", "client_id": client, "n": n})


@pytest.fixture
def clock() -> FakeClock[float]:
    return FakeClock(1000.0)


def poller(
    sqs: SQSClient,
    queue: QueueInfo,
    handler: RecordingHandler | Runtime,
    clock: FakeClock[float],
    *,
    batch_size: int = 10,
    window: float = 0.0,
    stop: threading.Event | None = None,
) -> Poller:
    """A poller on the fake clock that never long-polls."""
    return Poller(
        sqs,
        queue,
        handler,
        PollerSettings(batch_size=batch_size, batching_window=window, wait_time=0),
        stop=stop,
        clock=clock,
        sleep=clock.sleep,
    )


def event_bytes(event: dict[str, Any]) -> int:
    """The invocation payload's size: the event as compact UTF-8 JSON."""
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode())


# -- the event ---------------------------------------------------------------------------------


def test_the_event_has_lambdas_exact_shape(sqs: SQSClient, clock: FakeClock[float]) -> None:
    # GIVEN a message with string, number and binary attributes on a standard queue
    queue = create_queue(sqs)
    body = '{"command": "SetStatus", "client_id": "c79da7ce8e5e", "note": "ünïcode"}'
    message_id = sqs.send_message(
        QueueUrl=queue.url,
        MessageBody=body,
        MessageAttributes={
            "trace": {"DataType": "String", "StringValue": "abc-123"},
            "priority": {"DataType": "Number", "StringValue": "42"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe\xff"},
        },
    )["MessageId"]
    handler = RecordingHandler()
    # WHEN the poller hands it to the handler
    result = poller(sqs, queue, handler, clock).poll_once()
    # THEN the handler got one event of one record with exactly Lambda's fields and values
    assert result is not None
    assert result.received == 1
    [event] = handler.events
    assert set(event) == {"Records"}
    [record] = event["Records"]
    assert set(record) == LAMBDA_RECORD_KEYS
    assert record["messageId"] == message_id
    assert record["body"] == body
    assert record["md5OfBody"] == hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.arn
    assert record["awsRegion"] == "us-east-1"
    assert isinstance(record["receiptHandle"], str)
    assert record["receiptHandle"]
    # ... every system attribute, each a string, with the first receive counted
    assert set(record["attributes"]) >= SYSTEM_ATTRIBUTES
    assert all(isinstance(value, str) for value in record["attributes"].values())
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["attributes"]["SentTimestamp"].isdigit()
    # ... and the message attributes in Lambda's camelCase shape, binary in base64
    assert record["messageAttributes"] == {
        "trace": {
            "stringValue": "abc-123",
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
    }
    # ... and the event is plain JSON, as Lambda's is
    assert json.loads(json.dumps(event)) == event


def test_a_fifo_event_carries_the_group_and_deduplication_id(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN a message on a FIFO queue
    queue = create_queue(sqs, fifo=True)
    sqs.send_message(
        QueueUrl=queue.url, MessageBody=valid(), MessageGroupId="g-1", MessageDeduplicationId="d-1"
    )
    handler = RecordingHandler()
    # WHEN the poller hands it over
    poller(sqs, queue, handler, clock).poll_once()
    # THEN its record names the FIFO queue and carries the FIFO system attributes
    [record] = handler.events[0]["Records"]
    assert record["eventSourceARN"] == queue.arn
    assert record["eventSourceARN"].endswith(".fifo")
    assert record["attributes"]["MessageGroupId"] == "g-1"
    assert record["attributes"]["MessageDeduplicationId"] == "d-1"


def test_the_time_budget_is_the_visibility_timeout_on_the_injected_clock(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN a queue with a 20 s visibility timeout and a handler that takes 12 s of fake time
    queue = create_queue(sqs, visibility_timeout=20)
    send_bodies(sqs, queue.url, [valid()])
    after: list[int] = []

    def spend(_event: dict[str, Any], context: Any) -> None:
        clock.advance(12)
        after.append(context.get_remaining_time_in_millis())

    handler = RecordingHandler(during=spend)
    # WHEN the poller invokes it
    poller(sqs, queue, handler, clock).poll_once()
    # THEN the budget starts at the visibility timeout and shrinks with the fake clock
    assert handler.remaining_ms == [20_000]
    assert after == [8_000]


def test_a_two_second_visibility_timeout_still_stores_with_the_real_handler(
    sqs: SQSClient,
) -> None:
    # GIVEN a queue with a 2 s visibility timeout, and the real handler over a memory store
    queue = create_queue(sqs, visibility_timeout=2)
    ids = send_bodies(sqs, queue.url, [valid(n) for n in range(5)])
    store = MemoryStore()
    app = build_runtime(Settings.build(store="memory"), store=store)
    # WHEN the poller (on the real clock) hands them over
    result = Poller(sqs, queue, app, PollerSettings(wait_time=0)).poll_once()
    # THEN every message is stored and deleted, within the 2 s budget minus the safety margin
    assert result is not None
    assert (result.received, result.deleted, result.failed) == (5, 5, 0)
    assert all(store.get_record(mid) is not None for mid in ids)
    assert counts(sqs, queue.url) == Counts(0, 0, 0)


# -- what is deleted ---------------------------------------------------------------------------


def test_only_the_messages_the_handler_did_not_list_are_deleted(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN five messages, and a handler that reports two of them failed
    queue = create_queue(sqs)
    ids = send_bodies(sqs, queue.url, [valid(n) for n in range(5)])
    handler = RecordingHandler(fail_ids(ids[1], ids[3]))
    # WHEN the poller hands them over
    result = poller(sqs, queue, handler, clock).poll_once()
    # THEN three are deleted, and the two failed ones stay in flight until their timeout ends
    assert result is not None
    assert (result.received, result.deleted, result.failed) == (5, 3, 2)
    assert result.handler_error is None
    assert counts(sqs, queue.url) == Counts(visible=0, not_visible=2, delayed=0)


def test_failed_messages_come_back_after_their_visibility_timeout(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN a queue whose messages reappear at once, and one message reported failed
    queue = create_queue(sqs, visibility_timeout=0)
    [failing, ok] = send_bodies(sqs, queue.url, [valid(0), valid(1)])
    handler = RecordingHandler(fail_ids(failing))
    the_poller = poller(sqs, queue, handler, clock)
    the_poller.poll_once()
    # WHEN the poller polls again
    the_poller.poll_once()
    # THEN the failed message is delivered again, with its receive count raised; the other not
    assert handler.batches()[1] == [failing]
    assert handler.events[1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert ok not in handler.batches()[1]


@pytest.mark.parametrize(
    "response",
    [
        None,
        {},
        {"batchItemFailures": []},
        {"batchItemFailures": None},
        {"statusCode": 200},
    ],
    ids=["none", "empty-object", "empty-list", "null-list", "no-key"],
)
def test_a_response_without_failures_deletes_the_whole_batch(
    sqs: SQSClient, clock: FakeClock[float], response: object
) -> None:
    # GIVEN four messages, and a handler whose response Lambda reads as complete success
    queue = create_queue(sqs)
    send_bodies(sqs, queue.url, [valid(n) for n in range(4)])
    # WHEN the poller hands them over
    result = poller(sqs, queue, RecordingHandler(response), clock).poll_once()
    # THEN every message is deleted
    assert result is not None
    assert (result.deleted, result.failed) == (4, 0)
    assert counts(sqs, queue.url) == Counts(0, 0, 0)


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"id": "x"}]},
        {"batchItemFailures": "all of them"},
        ["not", "an", "object"],
        "OK",
    ],
    ids=["unknown-id", "empty-id", "missing-item-identifier", "not-a-list", "a-list", "a-string"],
)
def test_an_invalid_response_deletes_nothing(
    sqs: SQSClient, clock: FakeClock[float], response: object
) -> None:
    # GIVEN four messages, and a handler whose response breaks the partial batch contract
    queue = create_queue(sqs)
    send_bodies(sqs, queue.url, [valid(n) for n in range(4)])
    # WHEN the poller hands them over
    result = poller(sqs, queue, RecordingHandler(response), clock).poll_once()
    # THEN the whole batch failed: nothing is deleted, all four stay in flight
    assert result is not None
    assert (result.deleted, result.failed) == (0, 4)
    assert result.handler_error is not None
    assert "invalid batch response" in result.handler_error
    assert counts(sqs, queue.url) == Counts(visible=0, not_visible=4, delayed=0)


def test_an_invalid_response_naming_one_real_failure_still_deletes_nothing(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN three messages, and a response listing one of them and an unknown id
    queue = create_queue(sqs)
    ids = send_bodies(sqs, queue.url, [valid(n) for n in range(3)])
    response = {"batchItemFailures": [{"itemIdentifier": ids[0]}, {"itemIdentifier": "ghost"}]}
    # WHEN the poller hands them over
    result = poller(sqs, queue, RecordingHandler(response), clock).poll_once()
    # THEN the whole batch failed, the valid entry notwithstanding
    assert result is not None
    assert result.deleted == 0
    assert counts(sqs, queue.url).not_visible == 3


def test_a_handler_exception_deletes_nothing(sqs: SQSClient, clock: FakeClock[float]) -> None:
    # GIVEN three messages, and a handler that raises
    queue = create_queue(sqs)
    send_bodies(sqs, queue.url, [valid(n) for n in range(3)])
    handler = RecordingHandler(error=RuntimeError("database on fire"))
    # WHEN the poller hands them over
    result = poller(sqs, queue, handler, clock).poll_once()
    # THEN the batch failed as a whole, the error is reported, and nothing is deleted
    assert result is not None
    assert (result.received, result.deleted, result.failed) == (3, 0, 3)
    assert result.handler_error == "RuntimeError: database on fire"
    assert counts(sqs, queue.url) == Counts(visible=0, not_visible=3, delayed=0)


def test_a_refused_delete_of_one_message_does_not_stop_the_others(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN three received messages, one of which carries a receipt handle SQS will refuse
    queue = create_queue(sqs)
    send_bodies(sqs, queue.url, [valid(n) for n in range(3)])
    messages = [
        dict(message)
        for message in sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        )["Messages"]
    ]
    messages[1]["ReceiptHandle"] = "not-a-receipt-handle"
    # WHEN the poller dispatches them and the handler acknowledges all three
    result = poller(sqs, queue, RecordingHandler(), clock).dispatch(messages)
    # THEN the two others are deleted, and the refused one is reported not deleted
    assert (result.received, result.deleted, result.failed) == (3, 2, 0)
    assert counts(sqs, queue.url) == Counts(visible=0, not_visible=1, delayed=0)


def test_a_failed_receive_pauses_on_the_injected_clock_and_invokes_nothing(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN a poller whose queue was deleted after it started
    queue = create_queue(sqs)
    sqs.delete_queue(QueueUrl=queue.url)
    handler = RecordingHandler()
    # WHEN it polls once
    result = poller(sqs, queue, handler, clock).poll_once()
    # THEN nothing is invoked, and it backed off on its own clock before trying again
    assert result is None
    assert handler.events == []
    assert sum(clock.slept) >= 1


def test_an_empty_queue_invokes_nothing(sqs: SQSClient, clock: FakeClock[float]) -> None:
    # GIVEN an empty queue
    queue = create_queue(sqs)
    handler = RecordingHandler()
    # WHEN the poller polls once without long polling
    result = poller(sqs, queue, handler, clock).poll_once()
    # THEN nothing is invoked, and the poller paused (on its clock) instead of spinning
    assert result is None
    assert handler.events == []
    assert sum(clock.slept) > 0


# -- batching ----------------------------------------------------------------------------------


def test_a_large_batch_gathers_several_receives_and_goes_as_soon_as_it_is_full(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN 25 messages, and a batch size of 20 with a 5 s window
    queue = create_queue(sqs)
    ids = send_bodies(sqs, queue.url, [valid(n) for n in range(25)])
    handler = RecordingHandler()
    the_poller = poller(sqs, queue, handler, clock, batch_size=20, window=5)
    start = clock()
    # WHEN the poller polls once
    result = the_poller.poll_once()
    # THEN one invocation got 20 messages from two receives, before the window ended
    assert result is not None
    assert result.received == 20
    assert len(handler.events[0]["Records"]) == 20
    assert clock() - start < 5
    # AND WHEN it polls again, the last five go when the window ends on the fake clock
    result = the_poller.poll_once()
    assert result is not None
    assert result.received == 5
    assert clock() - start >= 5
    assert sorted(handler.message_ids) == sorted(ids)
    assert counts(sqs, queue.url) == Counts(0, 0, 0)


def test_a_partial_batch_is_dispatched_when_the_window_ends(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN 12 messages, and a batch size of 100 with a 3 s window
    queue = create_queue(sqs)
    send_bodies(sqs, queue.url, [valid(n) for n in range(12)])
    handler = RecordingHandler()
    start = clock()
    # WHEN the poller polls once
    result = poller(sqs, queue, handler, clock, batch_size=100, window=3).poll_once()
    # THEN the 12 go together once the window has passed on the fake clock, not much later
    assert result is not None
    assert result.received == 12
    assert 3 <= clock() - start <= 3.5
    assert len(handler.events) == 1


def test_a_batch_in_the_window_is_dispatched_at_once_when_stop_is_requested(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN three messages, a 60 s window, and a stop requested while the poller waits for more
    queue = create_queue(sqs)
    send_bodies(sqs, queue.url, [valid(n) for n in range(3)])
    handler = RecordingHandler()
    stop = threading.Event()

    def sleep_then_stop(seconds: float) -> None:
        clock.sleep(seconds)
        stop.set()

    the_poller = Poller(
        sqs,
        queue,
        handler,
        PollerSettings(batch_size=50, batching_window=60, wait_time=0),
        stop=stop,
        clock=clock,
        sleep=sleep_then_stop,
    )
    start = clock()
    # WHEN the poller polls once
    result = the_poller.poll_once()
    # THEN the batch in hand is handled at once (not held to the window's end) and deleted
    assert result is not None
    assert (result.received, result.deleted) == (3, 3)
    assert clock() - start < 60
    assert counts(sqs, queue.url) == Counts(0, 0, 0)


# -- the payload limit -------------------------------------------------------------------------


def big_body(n: int, size: int) -> str:
    head = json.dumps({"command": "SetStatus", "client_id": f"client-{n}", "pad": ""})[:-2]
    return head + "x" * (size - len(head) - 2) + '"}'


def test_a_message_beyond_the_payload_limit_is_carried_to_the_next_batch(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN 27 messages of about 250 KB (6.75 MB together), and a batch size of 100
    queue = create_queue(sqs, MaximumMessageSize="1048576")
    ids = send_bodies(sqs, queue.url, [big_body(n, 250_000) for n in range(27)])
    handler = RecordingHandler()
    the_poller = poller(sqs, queue, handler, clock, batch_size=100, window=2)
    # WHEN the poller polls twice
    first = the_poller.poll_once()
    second = the_poller.poll_once()
    # THEN no invocation exceeded 6 MB: the first batch filled up to the limit, the rest waited
    assert first is not None
    assert second is not None
    assert [len(event["Records"]) for event in handler.events] == [first.received, second.received]
    assert first.received + second.received == 27
    assert 20 <= first.received < 27
    assert all(event_bytes(event) <= MAX_PAYLOAD_BYTES for event in handler.events)
    # ... every message was handed over exactly once, and all are deleted
    assert Counter(handler.message_ids) == Counter(ids)
    assert counts(sqs, queue.url) == Counts(0, 0, 0)


def test_no_invocation_exceeds_the_payload_limit_even_from_a_single_receive(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN seven messages of about 1 MB each (SQS's largest), and the default batch size of 10
    queue = create_queue(sqs, MaximumMessageSize="1048576")
    ids = send_bodies(sqs, queue.url, [big_body(n, 1_000_000) for n in range(7)])
    handler = RecordingHandler()
    the_poller = poller(sqs, queue, handler, clock)
    # WHEN the poller polls until everything was handed over
    for _ in range(5):
        if len(handler.message_ids) >= 7:
            break
        the_poller.poll_once()
    # THEN every invocation stayed within 6 MB, and each message went exactly once
    assert all(event_bytes(event) <= MAX_PAYLOAD_BYTES for event in handler.events)
    assert Counter(handler.message_ids) == Counter(ids)


def test_the_payload_limit_counts_the_body_as_the_event_encodes_it(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN 14 messages of 250 KB of quotes, each twice as long once the event escapes it
    queue = create_queue(sqs, MaximumMessageSize="1048576")
    ids = send_bodies(sqs, queue.url, ['"' * 250_000] * 14)
    handler = RecordingHandler()
    the_poller = poller(sqs, queue, handler, clock, batch_size=100, window=1)
    # WHEN the poller polls until everything was handed over
    for _ in range(5):
        if len(handler.message_ids) >= 14:
            break
        the_poller.poll_once()
    # THEN no invocation, as JSON, exceeded 6 MB
    assert all(event_bytes(event) <= MAX_PAYLOAD_BYTES for event in handler.events)
    assert Counter(handler.message_ids) == Counter(ids)


def test_a_carried_fifo_message_never_overtakes_a_failed_one_of_its_group(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN seven messages of about 900 KB in one FIFO group, more than one invocation may carry;
    # the third is invalid, and the real handler returns invalid messages to the queue
    queue = create_queue(sqs, fifo=True, MaximumMessageSize="1048576")
    bodies = [big_body(n, 900_000) for n in range(7)]
    bodies[2] = "not json" + "x" * 900_000
    ids = send_bodies(sqs, queue.url, bodies, group="g")
    store = MemoryStore()
    app = build_runtime(Settings.build(store="memory", invalid_messages="retry"), store=store)
    the_poller = poller(sqs, queue, app, clock)
    # WHEN the poller polls twice
    first = the_poller.poll_once()
    second = the_poller.poll_once()
    # THEN the first invocation stored the two messages before the invalid one and failed the
    # rest of its batch; the message it could not carry was given back instead of handed over
    assert first is not None
    assert first.deleted == 2
    assert second is None
    stored = store.list_records(RecordFilter(), after=None, limit=10).items
    assert [record.message_id for record in stored] == ids[:2]
    left = counts(sqs, queue.url)
    assert left.visible + left.not_visible == 5


def test_a_failure_in_one_fifo_group_holds_back_only_that_group_in_the_batch_and_the_carry(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN seven messages of about 900 KB on a FIFO queue, more than one invocation may carry:
    # a0 and an invalid a1 in group a, then b0..b4 in group b; invalid messages go back to the
    # queue. The first batch carries a0, a1, b0..b3; b4 waits in the poller's carry.
    queue = create_queue(sqs, fifo=True, MaximumMessageSize="1048576")
    a_ids = send_bodies(sqs, queue.url, [big_body(0, 900_000), "not json" + "x" * 900_000], "a")
    b_ids = send_bodies(sqs, queue.url, [big_body(n, 900_000) for n in range(5)], "b")
    store = MemoryStore()
    app = build_runtime(Settings.build(store="memory", invalid_messages="retry"), store=store)
    the_poller = poller(sqs, queue, app, clock)

    # WHEN the poller polls twice
    first = the_poller.poll_once()
    second = the_poller.poll_once()

    # THEN only a1 went back to the queue: every message of group b was stored, the carried b4
    # in the second invocation, after the rest of its group
    assert first is not None
    assert second is not None
    stored = store.list_records(RecordFilter(), after=None, limit=10).items
    assert [record.message_id for record in stored] == [a_ids[0], *b_ids]
    left = counts(sqs, queue.url)
    assert left.visible + left.not_visible == 1


# -- settings ----------------------------------------------------------------------------------


STANDARD = QueueInfo("http://127.0.0.1:1/123456789012/q", "arn:aws:sqs:us-east-1:1:q", 30, False)
FIFO = QueueInfo(
    "http://127.0.0.1:1/123456789012/q.fifo", "arn:aws:sqs:us-east-1:1:q.fifo", 30, True
)


@pytest.mark.parametrize(
    ("settings", "queue", "complaint"),
    [
        (PollerSettings(batch_size=0), STANDARD, "batch size"),
        (PollerSettings(batch_size=10_001, batching_window=1), STANDARD, "batch size"),
        (PollerSettings(batching_window=301), STANDARD, "batching window"),
        (PollerSettings(batching_window=-1), STANDARD, "batching window"),
        (PollerSettings(batch_size=11), FIFO, "batch size"),
        (PollerSettings(batching_window=1), FIFO, "FIFO"),
        (PollerSettings(batching_window=0.5), FIFO, "FIFO"),
        (PollerSettings(batch_size=11, batching_window=0), STANDARD, "window of 1 s"),
        (PollerSettings(batch_size=100, batching_window=0.5), STANDARD, "window of 1 s"),
        (PollerSettings(wait_time=21), STANDARD, "wait time"),
        (PollerSettings(wait_time=-1), STANDARD, "wait time"),
    ],
    ids=[
        "batch-0",
        "batch-10001",
        "window-301",
        "window-negative",
        "fifo-batch-11",
        "fifo-window",
        "fifo-half-second-window",
        "batch-11-without-window",
        "batch-100-short-window",
        "wait-21",
        "wait-negative",
    ],
)
def test_settings_lambda_refuses_are_refused(
    settings: PollerSettings, queue: QueueInfo, complaint: str
) -> None:
    # GIVEN settings Lambda's event source mapping refuses for this queue
    # WHEN they are checked
    # THEN they are refused with a message naming the problem
    with pytest.raises(ConfigurationError, match=complaint):
        settings.check(queue)


@pytest.mark.parametrize(
    ("settings", "queue"),
    [
        (PollerSettings(batch_size=1), STANDARD),
        (PollerSettings(batch_size=10), FIFO),
        (PollerSettings(batch_size=10_000, batching_window=300), STANDARD),
        (PollerSettings(batch_size=11, batching_window=1), STANDARD),
        (PollerSettings(batch_size=10, batching_window=0.5), STANDARD),
        (PollerSettings(wait_time=0), STANDARD),
        (PollerSettings(wait_time=20), FIFO),
    ],
    ids=["batch-1", "fifo-10", "largest", "batch-11-window-1", "short-window", "wait-0", "wait-20"],
)
def test_settings_lambda_accepts_are_accepted(settings: PollerSettings, queue: QueueInfo) -> None:
    # GIVEN settings within Lambda's limits
    # WHEN they are checked
    # THEN nothing is raised
    settings.check(queue)


def test_a_poller_will_not_start_with_settings_lambda_refuses(sqs: SQSClient) -> None:
    # GIVEN a FIFO queue
    queue = create_queue(sqs, fifo=True)
    # WHEN a poller is built for it with a batch of 11
    # THEN it refuses to exist
    with pytest.raises(ConfigurationError):
        Poller(sqs, queue, RecordingHandler(), PollerSettings(batch_size=11))


# -- visibility --------------------------------------------------------------------------------


def test_the_keeper_extends_only_messages_whose_timeout_is_half_gone(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN a queue with a 30 s timeout, and two messages received with a 1 s timeout, held by
    # the keeper: the first since 0 s, the second since 10 s (fake time)
    queue = create_queue(sqs, visibility_timeout=30)
    [first_id, second_id] = send_bodies(sqs, queue.url, [valid(0), valid(1)])
    received = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10, VisibilityTimeout=1)
    handles = {m["MessageId"]: m["ReceiptHandle"] for m in received["Messages"]}
    keeper = poller(sqs, queue, RecordingHandler(), clock).keeper
    keeper.hold([handles[first_id]])
    clock.advance(10)
    keeper.hold([handles[second_id]])
    # WHEN, at 15 s, the keeper extends what is due
    clock.advance(5)
    extended = keeper.extend_due()
    # THEN only the first was extended (to the queue's 30 s): once the second reappears after its
    # 1 s, the first is still in flight
    assert extended == 1
    wait_for(lambda: counts(sqs, queue.url).visible == 1, 10, "the first message visible", 0.05)
    assert counts(sqs, queue.url) == Counts(visible=1, not_visible=1, delayed=0)
    again = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10)["Messages"]
    assert [m["MessageId"] for m in again] == [second_id]
    # AND the extended message is not due again until half of the queue's timeout has passed
    keeper.let_go([handles[second_id]])
    clock.advance(14)
    assert keeper.extend_due() == 0
    clock.advance(1)
    assert keeper.extend_due() == 1


def test_the_keeper_forgets_messages_it_let_go(sqs: SQSClient, clock: FakeClock[float]) -> None:
    # GIVEN a held message
    queue = create_queue(sqs, visibility_timeout=30)
    send_bodies(sqs, queue.url, [valid()])
    [message] = sqs.receive_message(QueueUrl=queue.url)["Messages"]
    keeper = poller(sqs, queue, RecordingHandler(), clock).keeper
    keeper.hold([message["ReceiptHandle"]])
    # WHEN it is let go and its timeout is long half gone
    keeper.let_go([message["ReceiptHandle"]])
    clock.advance(100)
    # THEN it is not extended
    assert keeper.extend_due() == 0


def test_the_keeper_stops_holding_a_message_whose_extension_is_refused(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN a held message that another consumer has since deleted (its handle is now refused)
    queue = create_queue(sqs, visibility_timeout=30)
    send_bodies(sqs, queue.url, [valid()])
    [message] = sqs.receive_message(QueueUrl=queue.url)["Messages"]
    keeper = poller(sqs, queue, RecordingHandler(), clock).keeper
    keeper.hold([message["ReceiptHandle"]])
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
    # WHEN its extension comes due and SQS refuses it
    clock.advance(20)
    assert keeper.extend_due() == 1
    # THEN the keeper lets it go instead of retrying it forever
    clock.advance(20)
    assert keeper.extend_due() == 0


def test_release_makes_messages_visible_at_once(sqs: SQSClient, clock: FakeClock[float]) -> None:
    # GIVEN twelve messages in flight with a 30 s timeout
    queue = create_queue(sqs, visibility_timeout=30)
    send_bodies(sqs, queue.url, [valid(n) for n in range(12)])
    handles = [
        m["ReceiptHandle"]
        for _ in range(2)
        for m in sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert counts(sqs, queue.url) == Counts(visible=0, not_visible=12, delayed=0)
    keeper = poller(sqs, queue, RecordingHandler(), clock).keeper
    keeper.hold(handles)
    # WHEN the keeper releases them
    keeper.release(handles)
    # THEN they are visible again at once, and no longer kept
    assert counts(sqs, queue.url) == Counts(visible=12, not_visible=0, delayed=0)
    clock.advance(100)
    assert keeper.extend_due() == 0


# -- run and stop ------------------------------------------------------------------------------


def test_run_returns_once_stop_is_set_and_releases_carried_messages(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN 27 messages of about 250 KB, more than one invocation may carry, and a handler that
    # requests the stop during the first invocation
    queue = create_queue(sqs, visibility_timeout=30, MaximumMessageSize="1048576")
    ids = send_bodies(sqs, queue.url, [big_body(n, 250_000) for n in range(27)])
    stop = threading.Event()
    handler = RecordingHandler(during=lambda _event, _context: stop.set())
    the_poller = poller(sqs, queue, handler, clock, batch_size=100, window=2, stop=stop)
    # WHEN the poller runs
    runner = threading.Thread(target=the_poller.run)
    runner.start()
    runner.join(30)
    # THEN it returned after finishing the batch in hand, which was deleted ...
    assert not runner.is_alive()
    [handled] = handler.batches()
    assert 0 < len(handled) < 27
    # ... and the messages it had received for the next batch are visible again at once
    left = set(ids) - set(handled)
    assert counts(sqs, queue.url) == Counts(visible=len(left), not_visible=0, delayed=0)


def test_run_returns_at_once_when_stop_is_already_set(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN a queue with a message, and a stop already requested
    queue = create_queue(sqs)
    send_bodies(sqs, queue.url, [valid()])
    stop = threading.Event()
    stop.set()
    handler = RecordingHandler()
    # WHEN the poller runs
    runner = threading.Thread(target=poller(sqs, queue, handler, clock, stop=stop).run)
    runner.start()
    runner.join(10)
    # THEN it returned without receiving anything
    assert not runner.is_alive()
    assert handler.events == []
    assert counts(sqs, queue.url) == Counts(visible=1, not_visible=0, delayed=0)


# -- with the real handler ---------------------------------------------------------------------


def memory_app() -> tuple[Runtime, MemoryStore]:
    store = MemoryStore()
    return build_runtime(Settings.build(store="memory"), store=store), store


def test_a_fifo_groups_messages_are_stored_in_send_order(
    sqs: SQSClient, clock: FakeClock[float]
) -> None:
    # GIVEN 25 messages interleaved over two groups of a FIFO queue, and the real handler
    queue = create_queue(sqs, fifo=True)
    sent: dict[str, list[str]] = {"alpha": [], "beta": []}
    for n in range(25):
        group = "alpha" if n % 3 else "beta"
        sent[group] += send_bodies(sqs, queue.url, [valid(n, client=group)], group=group)
    app, store = memory_app()
    the_poller = poller(sqs, queue, app, clock)
    # WHEN the poller drains the queue
    while the_poller.poll_once() is not None:
        pass
    # THEN each group's records are stored in the order they were sent
    for group, ids in sent.items():
        page = store.list_records(RecordFilter(client_id=group), after=None, limit=100)
        assert [record.message_id for record in page.items] == ids
        assert {record.message_group_id for record in page.items} == {group}
    assert counts(sqs, queue.url) == Counts(0, 0, 0)


@pytest.mark.slow
def test_a_record_that_keeps_failing_ends_in_the_dead_letter_queue(sqs: SQSClient) -> None:
    # GIVEN a queue with a 1 s visibility timeout whose redrive policy moves a message to a DLQ
    # after 2 receives, a message the handler always reports failed, and one it accepts
    dlq = create_queue(sqs)
    queue = create_queue(sqs, visibility_timeout=1, dead_letters=dlq, max_receive_count=2)
    [poison, fine] = send_bodies(sqs, queue.url, [valid(0), valid(1)])
    handler = RecordingHandler(fail_ids(poison))
    the_poller = Poller(sqs, queue, handler, PollerSettings(wait_time=1))  # real clock and sleep

    def poll_then_look() -> bool:
        the_poller.poll_once()
        return counts(sqs, dlq.url).visible == 1

    # WHEN the poller keeps polling until the DLQ holds something (bounded)
    wait_for(poll_then_look, 15, "a message in the dead-letter queue", interval=0)
    # THEN the failing message was handed over exactly twice before it moved, the other once
    assert Counter(handler.message_ids) == Counter({poison: 2, fine: 1})
    [dead] = sqs.receive_message(QueueUrl=dlq.url, MessageSystemAttributeNames=["All"])["Messages"]
    assert dead["MessageId"] == poison
    assert counts(sqs, queue.url) == Counts(0, 0, 0)


@pytest.mark.slow
def test_two_pollers_on_one_queue_store_each_message_exactly_once(endpoint: str) -> None:
    # GIVEN 200 messages, and two pollers with their own clients sharing one real handler/store
    admin = sqs_client(endpoint)
    queue = create_queue(admin, visibility_timeout=30)
    ids = send_bodies(admin, queue.url, [valid(n, client=f"c{n}") for n in range(200)])
    app, store = memory_app()
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def counting_app(event: dict[str, Any], context: Any) -> Any:
        with lock:
            seen.update(record["messageId"] for record in event["Records"])
        return app(event, context)

    stop = threading.Event()
    clients = [sqs_client(endpoint) for _ in range(2)]
    pollers = [
        Poller(client, queue, counting_app, PollerSettings(wait_time=1), stop=stop)
        for client in clients
    ]
    threads = [threading.Thread(target=p.run, name=f"poller-{i}") for i, p in enumerate(pollers)]
    # WHEN both run until every message was stored (bounded), then stop
    for thread in threads:
        thread.start()
    try:
        wait_for(
            lambda: len(store.list_records(RecordFilter(), after=None, limit=1000).items) >= 200,
            30,
            "200 records stored",
            0.05,
        )
        wait_for(lambda: counts(admin, queue.url) == Counts(0, 0, 0), 10, "an empty queue", 0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    # THEN both stopped, each message was handed over and stored exactly once, the queue is empty
    assert not any(thread.is_alive() for thread in threads)
    assert seen == Counter(ids)
    stored = store.list_records(RecordFilter(), after=None, limit=1000).items
    assert sorted(record.message_id for record in stored) == sorted(ids)
    assert counts(admin, queue.url) == Counts(0, 0, 0)
    for client in [admin, *clients]:
        client.close()
