"""``triggersqs dlq``'s work on a dead-letter queue: peek at its messages (leaving them there),
redrive them with SQS's own StartMessageMoveTask (falling back to local/dlq_move.py where a
server lacks it), and purge it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from triggersqs.errors import RedriveError
from triggersqs.local.sqs_client import MAX_ENTRIES, chunks
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

PEEK_HOLD_SECONDS: Final = 30
"""How long a peeked message stays invisible if the peek is killed before it gives it back."""
UNSUPPORTED: Final = frozenset(
    {"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "InvalidAction"}
)
Message = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class TaskProgress:
    """What a move task reports."""

    status: str
    moved: int
    to_move: int
    failure: str | None = None


def peek(sqs: SQSClient, dlq: QueueInfo, limit: int) -> list[Message]:
    """Up to ``limit`` messages with every attribute, given back to the DLQ at once (their
    receive counts go up by one: SQS counts every receive)."""
    seen: dict[str, Message] = {}
    try:
        while len(seen) < limit:
            got = sqs.receive_message(
                QueueUrl=dlq.url,
                MaxNumberOfMessages=min(MAX_ENTRIES, limit - len(seen)),
                VisibilityTimeout=PEEK_HOLD_SECONDS,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            fresh = [m for m in got if m["MessageId"] not in seen]
            if not fresh:
                break
            seen.update((m["MessageId"], m) for m in fresh)
    finally:
        release(sqs, dlq.url, [m["ReceiptHandle"] for m in seen.values()])
    return list(seen.values())


def release(sqs: SQSClient, url: str, handles: list[str]) -> None:
    """Make received messages visible again now."""
    for chunk in chunks(handles):
        sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(chunk)
            ],
        )


def purge(sqs: SQSClient, dlq: QueueInfo) -> int:
    """Delete every message of the DLQ; about how many there were."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=dlq.url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    sqs.purge_queue(QueueUrl=dlq.url)
    return int(attributes.get("ApproximateNumberOfMessages", "0"))


def start_move_task(
    sqs: SQSClient, dlq: QueueInfo, destination_arn: str | None, rate: int | None
) -> str | None:
    """Start SQS's move task; its handle, or None when the server has no such operation."""
    from botocore.exceptions import ClientError

    request: dict[str, Any] = {"SourceArn": dlq.arn}
    if destination_arn is not None:
        request["DestinationArn"] = destination_arn
    if rate is not None:
        request["MaxNumberOfMessagesPerSecond"] = rate
    try:
        return sqs.start_message_move_task(**request)["TaskHandle"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        # An older or partial SQS-compatible server: unknown operation, or an HTML 500 page.
        if error.get("Code") in UNSUPPORTED or (status >= 500 and "<" in error.get("Message", "")):
            return None
        raise RedriveError(f"StartMessageMoveTask refused: {error.get('Message', exc)}") from None


def follow_task(
    sqs: SQSClient,
    dlq: QueueInfo,
    handle: str,
    report: Callable[[TaskProgress], None],
    *,
    every: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> TaskProgress:
    """Report the task's progress until it ends; cancel it if interrupted (Ctrl-C)."""
    try:
        while True:
            progress = task_progress(sqs, dlq, handle)
            report(progress)
            if progress.status not in {"RUNNING", "CANCELLING"}:
                return progress
            sleep(every)
    except KeyboardInterrupt:
        sqs.cancel_message_move_task(TaskHandle=handle)
        raise


def task_progress(sqs: SQSClient, dlq: QueueInfo, handle: str) -> TaskProgress:
    """The latest task of the DLQ (the one just started: one runs at a time per queue)."""
    [task] = sqs.list_message_move_tasks(SourceArn=dlq.arn, MaxResults=1)["Results"]
    if task.get("TaskHandle", handle) != handle:
        raise RedriveError("another move task started on this queue meanwhile")
    return TaskProgress(
        task.get("Status", "FAILED"),
        int(task.get("ApproximateNumberOfMessagesMoved", 0)),
        int(task.get("ApproximateNumberOfMessagesToMove", 0)),
        task.get("FailureReason"),
    )
