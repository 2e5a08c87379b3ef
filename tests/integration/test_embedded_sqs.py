"""The embedded SQS server's speed-ups (local/embedded_sqs.py, tune_moto) change no behaviour:
message counts, delays, content-based deduplication, visibility timeouts, timestamps and queue
re-creation behave as on a stock moto server, which runs as a subprocess where the in-process
patches cannot reach it."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from tests.support import servers
from tests.support.sqs import (
    Counts,
    counts,
    create_queue,
    send_bodies,
    sqs_client,
    sqs_server,
    unique_name,
)
from tests.support.waiting import wait_for
from triggersqs.local.embedded_sqs import tune_moto

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@pytest.fixture(scope="module", params=["tuned", "stock"])
def sqs(request: pytest.FixtureRequest) -> Iterator[SQSClient]:
    """A client of the embedded (tuned, in-process) server, or of a stock moto subprocess."""
    server = sqs_server() if request.param == "tuned" else servers.moto_server()
    with server as endpoint:
        client = sqs_client(endpoint)
        yield client
        client.close()


def test_counts_follow_sends_receives_deletes_and_releases(sqs: SQSClient) -> None:
    # GIVEN five messages, two of them delayed by 60 s
    queue = create_queue(sqs)
    send_bodies(sqs, queue.url, [f"m{n}" for n in range(3)])
    for n in range(2):
        sqs.send_message(QueueUrl=queue.url, MessageBody=f"later{n}", DelaySeconds=60)
    assert counts(sqs, queue.url) == Counts(visible=3, not_visible=0, delayed=2)
    # WHEN two are received
    received = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=2)["Messages"]
    # THEN they are counted in flight
    assert len(received) == 2
    assert counts(sqs, queue.url) == Counts(visible=1, not_visible=2, delayed=2)
    # AND WHEN one is deleted and the other made visible again
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=received[0]["ReceiptHandle"])
    sqs.change_message_visibility(
        QueueUrl=queue.url, ReceiptHandle=received[1]["ReceiptHandle"], VisibilityTimeout=0
    )
    # THEN the counts follow
    assert counts(sqs, queue.url) == Counts(visible=2, not_visible=0, delayed=2)


def test_a_queue_level_delay_counts_new_messages_as_delayed(sqs: SQSClient) -> None:
    # GIVEN a queue that delays every message by 60 s
    queue = create_queue(sqs, DelaySeconds="60")
    # WHEN three messages are sent
    send_bodies(sqs, queue.url, ["a", "b", "c"])
    # THEN they are delayed, not visible, and a receive gets none of them
    assert counts(sqs, queue.url) == Counts(visible=0, not_visible=0, delayed=3)
    assert "Messages" not in sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10)


def test_the_counts_of_all_attributes_are_the_true_counts(sqs: SQSClient) -> None:
    # GIVEN a queue with two visible messages and one in flight
    queue = create_queue(sqs)
    send_bodies(sqs, queue.url, ["a", "b", "c"])
    sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=1)
    # WHEN every attribute is asked for at once
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    # THEN the counts are among them, and true
    assert attributes["ApproximateNumberOfMessages"] == "2"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "0"


def test_content_based_deduplication_still_deduplicates(sqs: SQSClient) -> None:
    # GIVEN a FIFO queue with content-based deduplication
    queue = create_queue(sqs, fifo=True, ContentBasedDeduplication="true")
    # WHEN one body is sent twice and another once, without deduplication ids
    for text in ["same", "same", "other"]:
        sqs.send_message(QueueUrl=queue.url, MessageBody=text, MessageGroupId="g")
    # THEN the repeated body was kept once
    assert counts(sqs, queue.url) == Counts(visible=2, not_visible=0, delayed=0)
    received = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10)["Messages"]
    assert [message["Body"] for message in received] == ["same", "other"]


def test_a_fifo_queue_without_content_based_deduplication_needs_a_deduplication_id(
    sqs: SQSClient,
) -> None:
    # GIVEN a FIFO queue without content-based deduplication
    queue = create_queue(sqs, fifo=True)
    # WHEN a message is sent without a deduplication id
    # THEN it is refused
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=queue.url, MessageBody="x", MessageGroupId="g")
    assert "InvalidParameterValue" in str(caught.value.response["Error"]["Code"])
    assert counts(sqs, queue.url).visible == 0


def test_recreating_a_queue_with_messages_and_the_same_attributes_returns_it(
    sqs: SQSClient,
) -> None:
    # GIVEN a queue holding messages
    name = unique_name()
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    send_bodies(sqs, url, ["a", "b"])
    # WHEN it is created again with the same attributes
    again = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    # THEN the same queue comes back, messages and all; different attributes are refused
    assert again == url
    assert counts(sqs, url).visible == 2
    with pytest.raises(ClientError):
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "46"})


def test_sent_timestamps_read_the_real_clock(sqs: SQSClient) -> None:
    # GIVEN the time before and after a send
    queue = create_queue(sqs)
    before_ms = int(time.time() * 1000)
    send_bodies(sqs, queue.url, ["a"])
    after_ms = int(time.time() * 1000) + 1
    # WHEN the message is received with its system attributes
    [message] = sqs.receive_message(QueueUrl=queue.url, MessageSystemAttributeNames=["All"])[
        "Messages"
    ]
    # THEN its timestamps fall between (the server shares this machine's clock)
    sent = int(message["Attributes"]["SentTimestamp"])
    first_receive = int(message["Attributes"]["ApproximateFirstReceiveTimestamp"])
    assert before_ms - 5 <= sent <= first_receive <= int(time.time() * 1000) + 5
    assert sent <= after_ms + 5


def test_visibility_timeouts_and_delays_still_expire(sqs: SQSClient) -> None:
    # GIVEN a message received with a 1 s visibility timeout, and one sent with a 1 s delay
    queue = create_queue(sqs)
    send_bodies(sqs, queue.url, ["received"])
    sqs.receive_message(QueueUrl=queue.url, VisibilityTimeout=1)
    sqs.send_message(QueueUrl=queue.url, MessageBody="delayed", DelaySeconds=1)
    assert counts(sqs, queue.url) == Counts(visible=0, not_visible=1, delayed=1)
    # WHEN a little over a second passes (polled, bounded)
    wait_for(lambda: counts(sqs, queue.url).visible == 2, 10, "both messages visible", 0.05)
    # THEN both are visible: the first comes back with its receive count raised
    assert counts(sqs, queue.url) == Counts(visible=2, not_visible=0, delayed=0)
    received = sqs.receive_message(
        QueueUrl=queue.url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )["Messages"]
    receive_counts = {m["Body"]: m["Attributes"]["ApproximateReceiveCount"] for m in received}
    assert receive_counts == {"received": "2", "delayed": "1"}


def test_tune_moto_is_idempotent_on_the_installed_moto() -> None:
    # GIVEN moto, tuned
    from moto.sqs import models, responses

    assert tune_moto()
    patched = (
        models.Queue.approximate_number_of_messages,
        models.Queue.approximate_number_of_messages_not_visible,
        models.Queue.approximate_number_of_messages_delayed,
        vars(models)["unix_time"],
        vars(models)["unix_time_millis"],
        responses.SQSResponse.get_queue_attributes,
    )
    # WHEN it is tuned twice more
    first, second = tune_moto(), tune_moto()
    # THEN it says so, and nothing was wrapped again
    assert (first, second) == (True, True)
    assert patched == (
        models.Queue.approximate_number_of_messages,
        models.Queue.approximate_number_of_messages_not_visible,
        models.Queue.approximate_number_of_messages_delayed,
        vars(models)["unix_time"],
        vars(models)["unix_time_millis"],
        responses.SQSResponse.get_queue_attributes,
    )


def test_the_tuned_clock_still_converts_given_datetimes() -> None:
    # GIVEN the tuned moto
    from moto.sqs import models

    assert tune_moto()
    # WHEN its clock functions are given a moment
    moment = datetime(2020, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    # THEN they convert it, as before; without one they read the current time
    unix_time, unix_time_millis = vars(models)["unix_time"], vars(models)["unix_time_millis"]
    assert unix_time(moment) == 1_577_836_800.0
    assert unix_time_millis(moment) == 1_577_836_800_000.0
    assert abs(unix_time() - time.time()) < 5


@pytest.mark.slow
def test_concurrent_sends_receives_and_deletes_lose_no_message() -> None:
    # GIVEN the embedded server, and thread switches forced far more often than usual, so that
    # moto's unlocked DeleteMessage would drop messages appended meanwhile (it did: ~2 % here)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with sqs_server() as endpoint:
            url = create_queue(sqs_client(endpoint)).url
            sent_all = threading.Event()
            received: list[str] = []

            def produce(name: str) -> None:
                client = sqs_client(endpoint)
                send_bodies(client, url, [f"{name}-{n}" for n in range(400)])

            def consume() -> None:
                client = sqs_client(endpoint)
                while True:
                    messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
                        "Messages", []
                    )
                    if not messages:
                        if sent_all.is_set():
                            return
                        continue
                    client.delete_message_batch(
                        QueueUrl=url,
                        Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                            for i, m in enumerate(messages)
                        ],
                    )
                    received.extend(m["Body"] for m in messages)

            producers = [threading.Thread(target=produce, args=(f"p{k}",)) for k in range(4)]
            consumers = [threading.Thread(target=consume) for _ in range(4)]
            # WHEN four producers and four consumers run at once
            for thread in producers + consumers:
                thread.start()
            for thread in producers:
                thread.join()
            sent_all.set()
            for thread in consumers:
                thread.join()
    finally:
        sys.setswitchinterval(interval)

    # THEN every message sent was received
    assert len(set(received)) == 1600


@pytest.fixture(scope="module")
def tuned() -> Iterator[SQSClient]:
    """A client of the embedded (tuned) server alone."""
    with sqs_server() as endpoint:
        client = sqs_client(endpoint)
        yield client
        client.close()


@pytest.mark.parametrize("by", ["content", "id"])
def test_a_fifo_duplicate_sent_after_the_first_was_deleted_is_not_delivered_again(
    tuned: SQSClient, by: str
) -> None:
    # GIVEN a FIFO queue, and a message received and deleted, as a poller does at once
    queue = create_queue(tuned, fifo=True, ContentBasedDeduplication=str(by == "content").lower())
    extra: dict[str, str] = {} if by == "content" else {"MessageDeduplicationId": "order-7"}
    tuned.send_message(QueueUrl=queue.url, MessageBody="same", MessageGroupId="g", **extra)  # type: ignore[arg-type]
    [first] = tuned.receive_message(QueueUrl=queue.url)["Messages"]
    tuned.delete_message(QueueUrl=queue.url, ReceiptHandle=first["ReceiptHandle"])
    # WHEN the same message is sent again within SQS's five-minute deduplication interval
    again = tuned.send_message(QueueUrl=queue.url, MessageBody="same", MessageGroupId="g", **extra)  # type: ignore[arg-type]
    # THEN the send is accepted, and nothing is delivered (stock moto delivers it again)
    assert again["MessageId"]
    assert counts(tuned, queue.url) == Counts(visible=0, not_visible=0, delayed=0)
    # ... while another body (another id) still goes through
    other = {} if by == "content" else {"MessageDeduplicationId": "order-8"}
    tuned.send_message(QueueUrl=queue.url, MessageBody="other", MessageGroupId="g", **other)  # type: ignore[arg-type]
    assert counts(tuned, queue.url).visible == 1


def test_a_long_poll_gets_a_fifo_groups_next_message_once_its_first_is_deleted(
    tuned: SQSClient,
) -> None:
    # GIVEN a FIFO queue with two messages of one group, the first of them received (in flight)
    queue = create_queue(tuned, fifo=True, ContentBasedDeduplication="true")
    for body in ("first", "second"):
        tuned.send_message(QueueUrl=queue.url, MessageBody=body, MessageGroupId="g")
    [first] = tuned.receive_message(QueueUrl=queue.url)["Messages"]
    got: list[list[str]] = []

    def long_poll() -> None:
        client = sqs_client(tuned.meta.endpoint_url)
        answer = client.receive_message(QueueUrl=queue.url, WaitTimeSeconds=10)
        got.append([message["Body"] for message in answer.get("Messages", [])])

    # WHEN another consumer long-polls while the group is in flight, and the first is then deleted
    poller = threading.Thread(target=long_poll)
    poller.start()
    time.sleep(0.5)  # the poll is waiting: its group is held by the first message
    tuned.delete_message(QueueUrl=queue.url, ReceiptHandle=first["ReceiptHandle"])
    poller.join(timeout=30)

    # THEN that same long poll receives the second message (moto's poll kept the group it saw
    # held at its start, and answered nothing when its 10 s were up, spinning meanwhile)
    assert got == [["second"]]
