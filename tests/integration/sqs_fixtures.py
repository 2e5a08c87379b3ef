"""Helpers for tests against the embedded SQS-compatible server: clients, queues with unique
names (never purged), true message counts, a fake clock, and a recording Lambda handler."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from triggersqs.local.context import LocalContext
from triggersqs.local.embedded_sqs import embedded_sqs
from triggersqs.local.sqs_client import open_queue
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

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


def wait_for(condition: Callable[[], bool], *, timeout: float = 10.0, every: float = 0.05) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes (a bound, not an assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


class FakeClock:
    """A monotonic clock that only moves when told to; its ``sleep`` moves it, never waits."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        with self._lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        """Record the pause and move the clock forward by it, at once."""
        self.slept.append(seconds)
        self.advance(seconds)


class RecordingHandler:
    """A Lambda handler that records what it was given, then answers as told.

    ``response``: what it returns (or a function of the event computing it); ``error``: raised
    instead; ``during``: called with the event and context first (to move a clock, set a stop).
    """

    def __init__(
        self,
        response: object = None,
        *,
        error: Exception | None = None,
        during: Callable[[dict[str, Any], LocalContext], object] | None = None,
    ) -> None:
        self.response = response
        self.error = error
        self.during = during
        self.events: list[dict[str, Any]] = []
        self.contexts: list[LocalContext] = []
        self.remaining_ms: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: LocalContext) -> object:
        with self._lock:
            self.events.append(event)
            self.contexts.append(context)
            self.remaining_ms.append(context.get_remaining_time_in_millis())
        if self.during is not None:
            self.during(event, context)
        if self.error is not None:
            raise self.error
        if callable(self.response):
            return self.response(event)
        return self.response

    @property
    def message_ids(self) -> list[str]:
        """Every message id handed over, in order, across all invocations."""
        return [record["messageId"] for event in self.events for record in event["Records"]]

    def batches(self) -> list[list[str]]:
        """The message ids of each invocation."""
        return [[record["messageId"] for record in event["Records"]] for event in self.events]


def fail_ids(*message_ids: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A response function reporting ``message_ids`` failed when they are in the batch."""

    def respond(event: Mapping[str, Any]) -> dict[str, Any]:
        in_batch = [r["messageId"] for r in event["Records"] if r["messageId"] in message_ids]
        return {"batchItemFailures": [{"itemIdentifier": mid} for mid in in_batch]}

    return respond
