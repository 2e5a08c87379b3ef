"""DLQ redrive on the embedded SQS server (local/moto_redrive.py): StartMessageMoveTask,
ListMessageMoveTasks and CancelMessageMoveTask with AWS's semantics, the DeadLetterQueueSourceArn
of a dead-lettered message, and AWS-style errors (local/moto_errors.py) where moto has no
answer, checked with boto3 (the AWS CLI and the JavaScript SDK: test_sqs_redrive_clients.py)."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.support.sqs import counts, create_queue, send_bodies
from tests.support.waiting import wait_for
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def dead_letter(
    sqs: SQSClient, *, fifo: bool = False, sources: int = 1
) -> tuple[QueueInfo, list[QueueInfo]]:
    """A DLQ and ``sources`` queues sending to it after one receive."""
    dedup = "true" if fifo else "false"
    dlq = (
        create_queue(sqs, fifo=fifo, ContentBasedDeduplication=dedup) if fifo else create_queue(sqs)
    )
    queues = [
        create_queue(
            sqs, fifo=fifo, dead_letters=dlq, max_receive_count=1, ContentBasedDeduplication=dedup
        )
        if fifo
        else create_queue(sqs, dead_letters=dlq, max_receive_count=1)
        for _ in range(sources)
    ]
    return dlq, queues


def into_dlq(
    sqs: SQSClient, queue: QueueInfo, bodies: list[str], group: str | None = None
) -> list[str]:
    """Send ``bodies`` to ``queue`` and receive until the redrive policy moved them all."""
    if group is None:
        ids = send_bodies(sqs, queue.url, bodies)
    else:
        ids = [
            sqs.send_message(QueueUrl=queue.url, MessageBody=text, MessageGroupId=group)[
                "MessageId"
            ]
            for text in bodies
        ]
    for _ in range(len(bodies) + 2):
        sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return ids


def bodies_in(sqs: SQSClient, url: str) -> list[str]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return sorted(m["Body"] for m in got.get("Messages", []))


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def latest_task(sqs: SQSClient, dlq: QueueInfo) -> dict[str, Any]:
    return dict(sqs.list_message_move_tasks(SourceArn=dlq.arn)["Results"][0])


def finished(sqs: SQSClient, dlq: QueueInfo) -> bool:
    return bool(latest_task(sqs, dlq)["Status"] != "RUNNING")


# -- the dead-letter source ------------------------------------------------------------------------


def test_a_dead_lettered_message_keeps_its_id_and_names_the_queue_it_came_from(
    sqs: SQSClient,
) -> None:
    # GIVEN a queue whose messages go to a DLQ after one receive
    dlq, (queue,) = dead_letter(sqs)

    # WHEN a message is received until SQS moves it to the DLQ
    [message_id] = into_dlq(sqs, queue, ["lost"])

    # THEN it is in the DLQ under its own id, naming its source queue as AWS does
    [dead] = sqs.receive_message(
        QueueUrl=dlq.url, MessageSystemAttributeNames=["DeadLetterQueueSourceArn"]
    )["Messages"]
    assert dead["MessageId"] == message_id
    assert dead["Attributes"] == {"DeadLetterQueueSourceArn": queue.arn}
    # AND a message sent to a queue directly names no such source
    send_bodies(sqs, queue.url, ["fresh"])
    [fresh] = sqs.receive_message(QueueUrl=queue.url, MessageSystemAttributeNames=["All"])[
        "Messages"
    ]
    assert "DeadLetterQueueSourceArn" not in fresh["Attributes"]


# -- StartMessageMoveTask --------------------------------------------------------------------------


def test_a_redrive_moves_each_message_back_to_its_own_source_queue_as_a_new_message(
    sqs: SQSClient,
) -> None:
    # GIVEN one DLQ holding messages from two queues
    dlq, (first, second) = dead_letter(sqs, sources=2)
    old_ids = into_dlq(sqs, first, ["a1", "a2"]) + into_dlq(sqs, second, ["b1"])

    # WHEN a move task starts without a destination
    handle = sqs.start_message_move_task(SourceArn=dlq.arn)["TaskHandle"]

    # THEN each message goes back to the queue it came from, as a new message, and the DLQ empties
    wait_for(lambda: finished(sqs, dlq), 10, "the move task to finish", 0.05)
    assert bodies_in(sqs, first.url) == ["a1", "a2"]
    back = sqs.receive_message(
        QueueUrl=second.url, MessageSystemAttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    assert [m["Body"] for m in back] == ["b1"]
    assert back[0]["MessageId"] not in old_ids
    assert back[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    assert counts(sqs, dlq.url).visible == 0
    # AND the task says what it did; its handle names the task and the source
    task = latest_task(sqs, dlq)
    assert task["Status"] == "COMPLETED"
    assert (
        task["ApproximateNumberOfMessagesMoved"],
        task["ApproximateNumberOfMessagesToMove"],
    ) == (3, 3)
    assert task["SourceArn"] == dlq.arn
    assert isinstance(task["StartedTimestamp"], int)
    assert not {
        "TaskHandle",
        "DestinationArn",
        "MaxNumberOfMessagesPerSecond",
        "FailureReason",
    } & set(task)
    assert json.loads(base64.b64decode(handle))["sourceArn"] == dlq.arn


def test_a_redrive_to_a_destination_moves_everything_there_keeping_attributes(
    sqs: SQSClient,
) -> None:
    dlq, (queue,) = dead_letter(sqs)
    sqs.send_message(
        QueueUrl=queue.url,
        MessageBody="with attributes",
        MessageAttributes={"trace": {"DataType": "String", "StringValue": "t-1"}},
    )
    into_dlq(sqs, queue, [])
    for _ in range(3):
        sqs.receive_message(QueueUrl=queue.url, VisibilityTimeout=0)
    destination = create_queue(sqs)

    sqs.start_message_move_task(SourceArn=dlq.arn, DestinationArn=destination.arn)

    wait_for(lambda: finished(sqs, dlq), 10, "the move task to finish", 0.05)
    [moved] = sqs.receive_message(QueueUrl=destination.url, MessageAttributeNames=["All"])[
        "Messages"
    ]
    assert moved["Body"] == "with attributes"
    assert moved["MessageAttributes"]["trace"]["StringValue"] == "t-1"
    assert bodies_in(sqs, queue.url) == []
    assert latest_task(sqs, dlq)["DestinationArn"] == destination.arn


def test_a_fifo_redrive_keeps_the_message_group(sqs: SQSClient) -> None:
    # GIVEN two messages of one group in a FIFO DLQ, in the order SQS moved them there
    dlq, (queue,) = dead_letter(sqs, fifo=True)
    into_dlq(sqs, queue, ["first", "second"], group="g-1")
    dead = sqs.receive_message(QueueUrl=dlq.url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    in_dlq = [m["Body"] for m in dead["Messages"]]
    assert sorted(in_dlq) == ["first", "second"]

    # WHEN they are redriven
    sqs.start_message_move_task(SourceArn=dlq.arn)

    # THEN they are back in their queue, in the DLQ's order, in their group
    wait_for(lambda: finished(sqs, dlq), 10, "the move task to finish", 0.05)
    back = sqs.receive_message(
        QueueUrl=queue.url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["MessageGroupId"]
    )["Messages"]
    assert [m["Body"] for m in back] == in_dlq
    assert {m["Attributes"]["MessageGroupId"] for m in back} == {"g-1"}


def test_the_rate_limit_paces_the_moves_and_a_task_can_be_cancelled_midway(
    sqs: SQSClient,
) -> None:
    # GIVEN ten dead-lettered messages
    dlq, (queue,) = dead_letter(sqs)
    into_dlq(sqs, queue, [f"m{n}" for n in range(10)])

    # WHEN they are moved at one message per second
    handle = sqs.start_message_move_task(SourceArn=dlq.arn, MaxNumberOfMessagesPerSecond=1)[
        "TaskHandle"
    ]

    # THEN the task runs, listed with its handle and rate, and a second one is refused
    task = latest_task(sqs, dlq)
    assert (task["Status"], task["TaskHandle"], task["MaxNumberOfMessagesPerSecond"]) == (
        "RUNNING",
        handle,
        1,
    )
    assert task["ApproximateNumberOfMessagesToMove"] == 10
    with pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn=dlq.arn)
    assert error_of(caught) == (
        "InvalidParameterValue",
        "There is already a task running. Only one active task is allowed for a source queue"
        " arn at a given time.",
    )
    # AND WHEN it is cancelled, it stops with what it moved so far, the rest left in the DLQ
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert moved < 10
    wait_for(
        lambda: latest_task(sqs, dlq)["Status"] == "CANCELLED", 10, "the task to be cancelled", 0.05
    )
    done = latest_task(sqs, dlq)
    assert done["ApproximateNumberOfMessagesMoved"] < 10
    assert counts(sqs, dlq.url).visible == 10 - int(done["ApproximateNumberOfMessagesMoved"])
    # AND a task no longer running cannot be cancelled
    with pytest.raises(ClientError) as caught:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert error_of(caught) == ("ResourceNotFoundException", "Task does not exist.")


def test_a_message_whose_source_is_unknown_fails_the_task_and_stays(sqs: SQSClient) -> None:
    dlq, _ = dead_letter(sqs)
    send_bodies(sqs, dlq.url, ["sent straight to the DLQ"])

    sqs.start_message_move_task(SourceArn=dlq.arn)

    wait_for(lambda: finished(sqs, dlq), 10, "the move task to finish", 0.05)
    task = latest_task(sqs, dlq)
    assert (task["Status"], task["FailureReason"]) == ("FAILED", "CouldNotDetermineMessageSource")
    assert bodies_in(sqs, dlq.url) == ["sent straight to the DLQ"]


def test_listing_gives_the_latest_task_first_and_up_to_max_results(sqs: SQSClient) -> None:
    dlq, (queue,) = dead_letter(sqs)
    assert sqs.list_message_move_tasks(SourceArn=dlq.arn)["Results"] == []
    for rate in (1, 2, 3):
        into_dlq(sqs, queue, [f"r{rate}"])
        sqs.start_message_move_task(SourceArn=dlq.arn, MaxNumberOfMessagesPerSecond=500 - rate)
        wait_for(lambda: finished(sqs, dlq), 10, "the move task to finish", 0.05)

    rates = [
        r["MaxNumberOfMessagesPerSecond"]
        for r in sqs.list_message_move_tasks(SourceArn=dlq.arn, MaxResults=10)["Results"]
    ]

    assert rates == [497, 498, 499]
    assert len(sqs.list_message_move_tasks(SourceArn=dlq.arn)["Results"]) == 1


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            lambda sqs, dlq, queue: sqs.start_message_move_task(SourceArn=queue.arn),
            ("InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue."),
        ),
        (
            lambda sqs, dlq, queue: sqs.start_message_move_task(SourceArn=dlq.arn + "-gone"),
            (
                "ResourceNotFoundException",
                "The resource that you specified for the SourceArn parameter doesn't exist.",
            ),
        ),
        (
            lambda sqs, dlq, queue: sqs.start_message_move_task(
                SourceArn=dlq.arn, DestinationArn=dlq.arn + "-gone"
            ),
            (
                "ResourceNotFoundException",
                "The resource that you specified for the DestinationArn parameter doesn't exist.",
            ),
        ),
        (
            lambda sqs, dlq, queue: sqs.start_message_move_task(
                SourceArn=dlq.arn, MaxNumberOfMessagesPerSecond=501
            ),
            (
                "InvalidParameterValue",
                "Value 501 for parameter MaxNumberOfMessagesPerSecond is invalid."
                " Reason: Must be between 1 and 500.",
            ),
        ),
        (
            lambda sqs, dlq, queue: sqs.list_message_move_tasks(SourceArn=dlq.arn, MaxResults=11),
            (
                "InvalidParameterValue",
                "Value 11 for parameter MaxResults is invalid. Reason: Must be between 1 and 10.",
            ),
        ),
        (
            lambda sqs, dlq, queue: sqs.cancel_message_move_task(TaskHandle="not-a-handle"),
            ("InvalidParameterValue", "Value for parameter TaskHandle is invalid."),
        ),
    ],
    ids=["not-a-dlq", "no-source", "no-destination", "rate", "max-results", "bad-handle"],
)
def test_requests_aws_refuses_are_refused_with_its_error_codes(
    sqs: SQSClient, call: object, expected: tuple[str, str]
) -> None:
    dlq, (queue,) = dead_letter(sqs)
    with pytest.raises(ClientError) as caught:
        call(sqs, dlq, queue)  # type: ignore[operator]
    assert error_of(caught) == expected
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_destination_of_another_queue_type_is_refused(sqs: SQSClient) -> None:
    dlq, _ = dead_letter(sqs)
    fifo = create_queue(sqs, fifo=True)
    with pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn=dlq.arn, DestinationArn=fifo.arn)
    assert error_of(caught)[0] == "InvalidParameterValue"


# -- what the server does not implement ------------------------------------------------------------


def test_an_operation_the_server_does_not_implement_is_an_aws_json_error_not_a_500_page(
    endpoint: str, capfd: pytest.CaptureFixture[str]
) -> None:
    # WHEN a client calls an SQS operation this server has no answer for, in the JSON protocol
    answer = httpx.post(
        endpoint,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AmazonSQS.StartQueueTeleport",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request,"
            " SignedHeaders=host, Signature=0",
        },
        content=b"{}",
    )

    # THEN it answers as AWS would: a 400 in the protocol's error shape, naming the operation
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/x-amz-json-1.0")
    error = answer.json()
    assert error["__type"].endswith("UnsupportedOperation")
    assert "StartQueueTeleport" in error["message"]
    assert answer.headers["x-amzn-query-error"].startswith(
        "AWS.SimpleQueueService.UnsupportedOperation"
    )
    # AND nothing printed a traceback
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err


def test_the_query_protocol_gets_its_xml_error_shape(endpoint: str) -> None:
    answer = httpx.post(
        endpoint,
        data={"Action": "StartQueueTeleport", "Version": "2012-11-05"},
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request,"
            " SignedHeaders=host, Signature=0"
        },
    )
    assert answer.status_code == 400
    assert "<Code>AWS.SimpleQueueService.UnsupportedOperation</Code>" in answer.text or (
        "<Code>UnsupportedOperation</Code>" in answer.text
    )
    assert "<html" not in answer.text.lower()
