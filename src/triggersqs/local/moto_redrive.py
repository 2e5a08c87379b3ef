"""DLQ redrive for the embedded SQS server: moto has no StartMessageMoveTask,
ListMessageMoveTasks or CancelMessageMoveTask, and does not say which queue a dead-lettered
message came from. This module adds both to moto's SQS, with AWS's semantics:

- a message the redrive policy moves to a DLQ keeps its id and carries the system attribute
  ``DeadLetterQueueSourceArn`` (on a FIFO DLQ its deduplication id becomes its message id, as AWS
  does, so two messages with one deduplication id are not merged there);
- a move task takes the DLQ's visible messages oldest first, to ``DestinationArn`` or each to the
  queue it came from, as new messages (new id, receive count 0, same body, attributes and group),
  at ``MaxNumberOfMessagesPerSecond`` (1..500; unset: as fast as it can), on a thread of its own;
- its status is RUNNING, then COMPLETED, CANCELLED (after CancelMessageMoveTask), or FAILED with a
  ``FailureReason`` (``CouldNotDetermineMessageSource`` for a message sent straight to the DLQ,
  which stays there); one running task per source queue; the error codes and messages are AWS's.

tests/integration/test_sqs_redrive.py checks it with boto3, test_sqs_redrive_clients.py with
the AWS CLI and the AWS SDK for JavaScript.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Final

SOURCE_ATTRIBUTE: Final = "DeadLetterQueueSourceArn"
MAX_RATE: Final = 500
MAX_LISTED: Final = 10
_QUEUE_ARN: Final = "_triggersqs_queue_arn"  # set on moto's Message: the queue it is in
_SOURCE: Final = "_triggersqs_dead_letter_source"  # the queue it was dead-lettered from
NO_SOURCE: Final = "CouldNotDetermineMessageSource"
NO_DESTINATION: Final = "DestinationQueueDoesNotExist"

_installed = False
_lock = threading.Lock()
_dead_lettered: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
_tasks: dict[str, list[MoveTask]] = {}  # by source ARN, oldest first


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


def install_redrive() -> None:
    """Patch moto's SQS once (process-wide, as moto's backends are)."""
    global _installed  # noqa: PLW0603 - a process-wide patch, applied once
    from moto.sqs import models, responses

    with _lock:
        if _installed:
            return
        models.Queue.add_message = _tracking_source(models.Queue.add_message)  # type: ignore[method-assign]
        response = responses.SQSResponse
        response.receive_message = _with_source_attribute(response.receive_message)  # type: ignore[method-assign]
        setattr(response, "start_message_move_task", _start)  # noqa: B010 - moto's action names
        setattr(response, "list_message_move_tasks", _list)  # noqa: B010
        setattr(response, "cancel_message_move_task", _cancel)  # noqa: B010
        _installed = True


# -- the dead-letter source ------------------------------------------------------------------------


def _tracking_source(add_message: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(add_message)
    def add(queue: Any, message: Any) -> Any:  # noqa: ANN401 - moto's Queue and Message
        previous = getattr(message, _QUEUE_ARN, None)
        if previous is not None and previous != queue.queue_arn:  # moved by a redrive policy
            setattr(message, _SOURCE, previous)
            _dead_lettered[message.id] = message
            if queue.fifo_queue:
                message.deduplication_id = message.id
        setattr(message, _QUEUE_ARN, queue.queue_arn)
        return add_message(queue, message)

    return add


def _with_source_attribute(receive_message: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(receive_message)
    def receive(response: Any) -> Any:  # noqa: ANN401 - moto's response and ActionResult
        result = receive_message(response)
        asked = set(response._get_param("AttributeNames", []))
        asked |= set(response._get_param("MessageSystemAttributeNames", []))
        if asked & {"All", SOURCE_ATTRIBUTE}:
            for received in result.result.get("Messages", []):
                message = _dead_lettered.get(received["MessageId"])
                source = getattr(message, _SOURCE, None)
                if source is not None:
                    received.setdefault("Attributes", {})[SOURCE_ATTRIBUTE] = source
        return result

    return receive


# -- the operations (methods of moto's SQSResponse) -----------------------------------------------


def _start(response: Any) -> Any:  # noqa: ANN401 - moto's response and ActionResult
    from moto.core.responses import ActionResult

    source_arn = str(response._get_param("SourceArn") or "")
    destination_arn = response._get_param("DestinationArn") or None
    rate = response._get_param("MaxNumberOfMessagesPerSecond")
    rate = None if rate is None else int(rate)
    if rate is not None and not 1 <= rate <= MAX_RATE:
        raise _error(
            "InvalidParameterValue",
            f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid."
            f" Reason: Must be between 1 and {MAX_RATE}.",
        )
    source = _existing(source_arn, "SourceArn")
    if not _is_dead_letter_queue(source):
        raise _error(
            "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue."
        )
    if destination_arn is not None:
        destination = _existing(str(destination_arn), "DestinationArn")
        if destination.fifo_queue != source.fifo_queue:
            raise _error(
                "InvalidParameterValue",
                "The source queue and the destination queue must be of the same type.",
            )
    with _lock:
        history = _tasks.setdefault(source_arn, [])
        if any(task.status in {"RUNNING", "CANCELLING"} for task in history):
            raise _error(
                "InvalidParameterValue",
                "There is already a task running. Only one active task is allowed for a source"
                " queue arn at a given time.",
            )
        visible = sum(1 for m in list(source._messages) if m.visible and not m.delayed)
        task = MoveTask(source_arn, destination_arn, rate, visible)
        history.append(task)
    threading.Thread(target=_run, args=(task, source), name="sqs-move-task", daemon=True).start()
    return ActionResult({"TaskHandle": task.handle})


def _list(response: Any) -> Any:  # noqa: ANN401
    from moto.core.responses import ActionResult

    source_arn = str(response._get_param("SourceArn") or "")
    limit = response._get_param("MaxResults")
    limit = 1 if limit is None else int(limit)
    if not 1 <= limit <= MAX_LISTED:
        raise _error(
            "InvalidParameterValue",
            f"Value {limit} for parameter MaxResults is invalid."
            f" Reason: Must be between 1 and {MAX_LISTED}.",
        )
    _existing(source_arn, "SourceArn")
    with _lock:
        latest = list(reversed(_tasks.get(source_arn, [])))[:limit]
        return ActionResult({"Results": [task.entry() for task in latest]})


def _cancel(response: Any) -> Any:  # noqa: ANN401
    from moto.core.responses import ActionResult

    try:
        decoded = json.loads(
            base64.b64decode(str(response._get_param("TaskHandle")), validate=True)
        )
        task_id, source_arn = str(decoded["taskId"]), str(decoded["sourceArn"])
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise _error(
            "InvalidParameterValue", "Value for parameter TaskHandle is invalid."
        ) from None
    _existing(source_arn, "SourceArn")
    with _lock:
        task = next(
            (
                t
                for t in _tasks.get(source_arn, [])
                if t.task_id == task_id and t.status == "RUNNING"
            ),
            None,
        )
        if task is None:
            raise _error("ResourceNotFoundException", "Task does not exist.")
        task.status = "CANCELLING"
        task.cancel.set()
        return ActionResult({"ApproximateNumberOfMessagesMoved": task.moved})


# -- moving ----------------------------------------------------------------------------------------


def _run(task: MoveTask, source: Any) -> None:  # noqa: ANN401 - moto's Queue
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
        with _lock:
            task.moved += 1
    _finish(task, "CANCELLED" if task.cancel.is_set() else "COMPLETED")


def _finish(task: MoveTask, status: str, failure: str | None = None) -> None:
    with _lock:
        task.status, task.failure = status, failure


def _take_oldest(source: Any, task: MoveTask) -> tuple[Any, Any] | str | None:  # noqa: ANN401
    """The oldest visible message, taken off the DLQ, and the queue it goes to; a failure
    reason (the message stays); None when no visible message is left."""
    with source._messages_lock:
        for message in source._messages:
            if not message.visible or message.delayed:
                continue
            arn = task.destination_arn or getattr(message, _SOURCE, None)
            if arn is None:
                return NO_SOURCE
            destination = _queue_of(arn)
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


def _queue_of(arn: str) -> Any:  # noqa: ANN401 - moto's Queue, or None
    from moto.sqs.models import sqs_backends

    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        return None
    _arn, _partition, _service, region, account, name = parts
    return sqs_backends[account][region].queues.get(name)


def _existing(arn: str, parameter: str) -> Any:  # noqa: ANN401 - moto's Queue
    if len(arn.split(":")) != 6 or not arn.startswith("arn:"):
        raise _error(
            "InvalidParameterValue",
            f"You must use this format to specify the {parameter}:"
            " arn:<partition>:<service>:<region>:<account-id>:<resource-id>",
        )
    queue = _queue_of(arn)
    if queue is None:
        raise _error(
            "ResourceNotFoundException",
            f"The resource that you specified for the {parameter} parameter doesn't exist.",
        )
    return queue


def _is_dead_letter_queue(queue: Any) -> bool:  # noqa: ANN401 - moto's Queue
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[queue.account_id][queue.region]
    return any(
        (other.redrive_policy or {}).get("deadLetterTargetArn") == queue.queue_arn
        for other in list(backend.queues.values())
    )


def _error(code: str, message: str) -> Exception:
    from moto.sqs.exceptions import SQSException

    return SQSException(code, message)
