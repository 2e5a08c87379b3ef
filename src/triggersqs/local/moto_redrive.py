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
import weakref
from collections.abc import Callable
from functools import wraps
from typing import Any, Final

from triggersqs.local.moto_move_task import (
    DEAD_LETTER_SOURCE,
    MoveTask,
    existing_queue,
    is_dead_letter_queue,
    run_task,
    sqs_error,
    tasks_lock,
)

SOURCE_ATTRIBUTE: Final = "DeadLetterQueueSourceArn"
MAX_RATE: Final = 500
MAX_LISTED: Final = 10
_QUEUE_ARN: Final = "_triggersqs_queue_arn"  # set on moto's Message: the queue it is in

_installed = False
_lock = threading.Lock()
_dead_lettered: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
_tasks: dict[str, list[MoveTask]] = {}  # by source ARN, oldest first


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
            setattr(message, DEAD_LETTER_SOURCE, previous)
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
                source = getattr(message, DEAD_LETTER_SOURCE, None)
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
        raise sqs_error(
            "InvalidParameterValue",
            f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid."
            f" Reason: Must be between 1 and {MAX_RATE}.",
        )
    source = existing_queue(source_arn, "SourceArn")
    if not is_dead_letter_queue(source):
        raise sqs_error(
            "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue."
        )
    if destination_arn is not None:
        destination = existing_queue(str(destination_arn), "DestinationArn")
        if destination.fifo_queue != source.fifo_queue:
            raise sqs_error(
                "InvalidParameterValue",
                "The source queue and the destination queue must be of the same type.",
            )
    with tasks_lock:
        history = _tasks.setdefault(source_arn, [])
        if any(task.status in {"RUNNING", "CANCELLING"} for task in history):
            raise sqs_error(
                "InvalidParameterValue",
                "There is already a task running. Only one active task is allowed for a source"
                " queue arn at a given time.",
            )
        visible = sum(1 for m in list(source._messages) if m.visible and not m.delayed)
        task = MoveTask(source_arn, destination_arn, rate, visible)
        history.append(task)
    mover = threading.Thread(target=run_task, args=(task, source), name="sqs-move-task")
    mover.daemon = True  # a task still moving when the server stops ends with it, as moto's state
    mover.start()
    return ActionResult({"TaskHandle": task.handle})


def _list(response: Any) -> Any:  # noqa: ANN401
    from moto.core.responses import ActionResult

    source_arn = str(response._get_param("SourceArn") or "")
    limit = response._get_param("MaxResults")
    limit = 1 if limit is None else int(limit)
    if not 1 <= limit <= MAX_LISTED:
        raise sqs_error(
            "InvalidParameterValue",
            f"Value {limit} for parameter MaxResults is invalid."
            f" Reason: Must be between 1 and {MAX_LISTED}.",
        )
    existing_queue(source_arn, "SourceArn")
    with tasks_lock:
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
        raise sqs_error(
            "InvalidParameterValue", "Value for parameter TaskHandle is invalid."
        ) from None
    existing_queue(source_arn, "SourceArn")
    with tasks_lock:
        task = next(
            (
                t
                for t in _tasks.get(source_arn, [])
                if t.task_id == task_id and t.status == "RUNNING"
            ),
            None,
        )
        if task is None:
            raise sqs_error("ResourceNotFoundException", "Task does not exist.")
        task.status = "CANCELLING"
        task.cancel.set()
        return ActionResult({"ApproximateNumberOfMessagesMoved": task.moved})
