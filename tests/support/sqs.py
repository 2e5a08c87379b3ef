"""SQS for tests: the embedded SQS-compatible server, clients, queues (unique names, never
purged; or named, with a dead-letter queue), true message counts, sending and draining."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from triggersqs.local.embedded_sqs import embedded_sqs
from triggersqs.local.sqs_client import open_queue
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

REGION = "us-east-1"
THROWAWAY = "test"


@contextmanager
def sqs_server() -> Iterator[str]:
    """The project's embedded (tuned, in-process) moto server on a free port: its endpoint."""
    with embedded_sqs(0) as endpoint:
        yield endpoint


def sqs_client(endpoint: str) -> SQSClient:
    """A real boto3 SQS client for ``endpoint`` with throwaway credentials."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=THROWAWAY,
        aws_secret_access_key=THROWAWAY,
        config=Config(connect_timeout=2, read_timeout=30, retries={"max_attempts": 1}),
    )


def unique_name(prefix: str = "q") -> str:
    """A queue name no other test uses (the server's state outlives each test)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def create_queue(
    sqs: SQSClient,
    *,
    fifo: bool = False,
    visibility_timeout: int = 30,
    dead_letters: QueueInfo | None = None,
    max_receive_count: int = 3,
    **attributes: str,
) -> QueueInfo:
    """A new queue with a unique name; its attributes as the poller reads them."""
    settings: dict[Any, str] = {"VisibilityTimeout": str(visibility_timeout), **attributes}
    name = unique_name()
    if fifo:
        name += ".fifo"
        settings["FifoQueue"] = "true"
    if dead_letters is not None:
        settings["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dead_letters.arn, "maxReceiveCount": max_receive_count}
        )
    url = sqs.create_queue(QueueName=name, Attributes=settings)["QueueUrl"]
    return open_queue(sqs, url)


class Counts(NamedTuple):
    """The queue's message counts, as GetQueueAttributes reports them."""

    visible: int
    not_visible: int
    delayed: int


def counts(sqs: SQSClient, url: str) -> Counts:
    """The true counts (the embedded server computes them inside GetQueueAttributes)."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return Counts(
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        int(attributes["ApproximateNumberOfMessagesDelayed"]),
    )


def send_bodies(sqs: SQSClient, url: str, bodies: list[str], group: str | None = None) -> list[str]:
    """Send ``bodies`` in order, ten per request (fewer when large: a request holds at most
    1 MiB); their message ids in the same order."""
    ids: list[str] = []
    chunks: list[list[str]] = []
    for text in bodies:
        if (
            not chunks
            or len(chunks[-1]) == 10
            or sum(len(b.encode()) for b in chunks[-1]) + len(text.encode()) > 1_000_000
        ):
            chunks.append([])
        chunks[-1].append(text)
    for chunk in chunks:
        entries: list[Any] = []
        for index, text in enumerate(chunk):
            entry: dict[str, str] = {"Id": str(index), "MessageBody": text}
            if group is not None:
                entry |= {"MessageGroupId": group, "MessageDeduplicationId": uuid.uuid4().hex}
            entries.append(entry)
        response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert not response.get("Failed"), response.get("Failed")
        by_entry = {item["Id"]: item["MessageId"] for item in response["Successful"]}
        ids.extend(by_entry[str(index)] for index in range(len(chunk)))
    return ids


def queue_depth(sqs: SQSClient, url: str) -> int:
    """Visible, in-flight and delayed messages of a queue."""
    return sum(counts(sqs, url))


@dataclass(frozen=True)
class Queue:
    """A queue and its dead-letter queue."""

    url: str
    dlq_url: str


def make_queue(
    sqs: SQSClient,
    name: str,
    *,
    max_receive_count: int,
    visibility_timeout: int,
    fifo: bool = False,
) -> Queue:
    """A queue named ``name`` with a DLQ after ``max_receive_count`` receives."""
    suffix = ".fifo" if fifo else ""
    attributes: dict[QueueAttributeNameType, str] = {"FifoQueue": "true"} if fifo else {}
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq{suffix}", Attributes=attributes)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    url = sqs.create_queue(
        QueueName=f"{name}{suffix}",
        Attributes={
            **attributes,
            "RedrivePolicy": redrive,
            "VisibilityTimeout": str(visibility_timeout),
        },
    )["QueueUrl"]
    return Queue(url, dlq_url)


def drain_bodies(sqs: SQSClient, url: str) -> list[str]:
    """Receive and delete every message of a queue; their bodies."""
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=30
        ).get("Messages", [])
        if not messages:
            return bodies
        bodies.extend(message["Body"] for message in messages)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                for i, message in enumerate(messages)
            ],
        )


def send_paced(sqs: SQSClient, queue_url: str, bodies: list[str], seconds: float) -> None:
    """Send every body, ten per request, spread over about ``seconds`` (never faster)."""
    started = time.monotonic()
    for start in range(0, len(bodies), 10):
        due = started + seconds * start / len(bodies)
        time.sleep(max(0.0, due - time.monotonic()))
        chunk = bodies[start : start + 10]
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": text} for i, text in enumerate(chunk)],
        )
        assert not response.get("Failed"), response.get("Failed")
