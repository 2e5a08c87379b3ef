"""The move tasks of the embedded SQS server's redrive (local/moto_redrive.py): a task's state,
the thread that moves its messages, and moto's queues found by ARN."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

from triggersqs.local.moto_dedup import redriving

NO_SOURCE: Final = "CouldNotDetermineMessageSource"
NO_DESTINATION: Final = "DestinationQueueDoesNotExist"
DEAD_LETTER_SOURCE: Final = "_triggersqs_dead_letter_source"
"""Set on moto's Message by moto_redrive.py: the ARN of the queue it was dead-lettered from."""

tasks_lock = threading.Lock()
"""Guards every task's status and counts."""


@dataclass
class MoveTask:
    """One message move task and its progress."""

    source_arn: str
    destination_arn: str | None
    rate: int | None
    to_move: int
    task_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    status: str = "RUNNING"
    moved: int = 0
    failure: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def handle(self) -> str:
        """The TaskHandle: the task and its source, as AWS encodes them."""
        text = json.dumps({"taskId": self.task_id, "sourceArn": self.source_arn})
        return base64.b64encode(text.encode()).decode()

    def entry(self) -> dict[str, Any]:
        """The task as ListMessageMoveTasks lists it (optional members only when they apply)."""
        entry: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == "RUNNING":
            entry["TaskHandle"] = self.handle
        if self.destination_arn is not None:
            entry["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            entry["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure is not None:
            entry["FailureReason"] = self.failure
        return entry


# -- moving ----------------------------------------------------------------------------------------


def run_task(task: MoveTask, source: Any) -> None:  # noqa: ANN401 - moto's Queue
    pause = 0.0 if task.rate is None else 1.0 / task.rate
    while task.moved < task.to_move and not task.cancel.wait(pause if task.moved else 0):
        taken = _take_oldest(source, task)
        if taken is None:
            break  # fewer visible messages than at the start (received meanwhile): done
        if isinstance(taken, str):
            _finish(task, "FAILED", taken)
            return
        message, destination = taken
        try:
            _send_copy(message, destination)
        except Exception as exc:  # noqa: BLE001 - any refusal fails the task, the message stays
            with source._messages_lock:
                source._messages.insert(0, message)
            _finish(task, "FAILED", f"{type(exc).__name__}: {exc}")
            return
        with tasks_lock:
            task.moved += 1
    _finish(task, "CANCELLED" if task.cancel.is_set() else "COMPLETED")


def _finish(task: MoveTask, status: str, failure: str | None = None) -> None:
    with tasks_lock:
        task.status, task.failure = status, failure


def _take_oldest(source: Any, task: MoveTask) -> tuple[Any, Any] | str | None:  # noqa: ANN401
    """The oldest visible message, taken off the DLQ, and the queue it goes to; a failure
    reason (the message stays); None when no visible message is left."""
    with source._messages_lock:
        for message in source._messages:
            if not message.visible or message.delayed:
                continue
            arn = task.destination_arn or getattr(message, DEAD_LETTER_SOURCE, None)
            if arn is None:
                return NO_SOURCE
            destination = queue_of(arn)
            if destination is None:
                return NO_DESTINATION
            source._messages.remove(message)
            source.pending_messages.discard(message)
            return message, destination
    return None


def _send_copy(message: Any, destination: Any) -> None:  # noqa: ANN401 - moto's models
    """``message`` as a new message on ``destination`` (outside the DLQ's lock: a receive on
    the source queue holds the source's lock while it dead-letters into the DLQ)."""
    from moto.sqs.models import sqs_backends

    fifo = destination.fifo_queue
    content_based = destination.attributes.get("ContentBasedDeduplication") == "true"
    with redriving():  # a move, not a producer's send: never dropped as a duplicate
        sqs_backends[destination.account_id][destination.region].send_message(
            destination.name,
            message.body,
            message_attributes=message.message_attributes,
            deduplication_id=(message.deduplication_id or message.id)
            if fifo and not content_based
            else None,
            group_id=message.group_id if fifo else None,
            system_attributes=message.system_attributes,
        )


# -- queues by ARN ---------------------------------------------------------------------------------


def queue_of(arn: str) -> Any:  # noqa: ANN401 - moto's Queue, or None
    from moto.sqs.models import sqs_backends

    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        return None
    _arn, _partition, _service, region, account, name = parts
    return sqs_backends[account][region].queues.get(name)


def existing_queue(arn: str, parameter: str) -> Any:  # noqa: ANN401 - moto's Queue
    if len(arn.split(":")) != 6 or not arn.startswith("arn:"):
        raise sqs_error(
            "InvalidParameterValue",
            f"You must use this format to specify the {parameter}:"
            " arn:<partition>:<service>:<region>:<account-id>:<resource-id>",
        )
    queue = queue_of(arn)
    if queue is None:
        raise sqs_error(
            "ResourceNotFoundException",
            f"The resource that you specified for the {parameter} parameter doesn't exist.",
        )
    return queue


def is_dead_letter_queue(queue: Any) -> bool:  # noqa: ANN401 - moto's Queue
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[queue.account_id][queue.region]
    return any(
        (other.redrive_policy or {}).get("deadLetterTargetArn") == queue.queue_arn
        for other in list(backend.queues.values())
    )


def sqs_error(code: str, message: str) -> Exception:
    from moto.sqs.exceptions import SQSException

    return SQSException(code, message)
