"""One redrive of a dead-letter queue, as ``triggersqs dlq redrive`` and the console run it:
SQS's StartMessageMoveTask followed to its end (local/dlq.py) or, with a limit or where the
server lacks the task, the receive-send-delete move of local/dlq_move.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from triggersqs.local.dlq import TaskProgress, follow_task, start_move_task
from triggersqs.local.dlq_move import move_messages
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

TASK: Final = "StartMessageMoveTask"
RECEIVE_SEND_DELETE: Final = "receive-send-delete"
RUNNING: Final = frozenset({"RUNNING", "CANCELLING"})


@dataclass(frozen=True, slots=True)
class RedriveProgress:
    """Where a redrive is: its method, the task's status (``INCOMPLETE`` when the
    receive-send-delete move left messages behind), how many moved, of how many if known."""

    method: str
    status: str
    moved: int
    to_move: int | None = None
    failure: str | None = None
    left: Mapping[str, str] = field(default_factory=dict)
    """Message id -> why it stayed in the DLQ (receive-send-delete only)."""
    fell_back: bool = False
    """A move task was wanted, but the server has no StartMessageMoveTask."""

    @property
    def running(self) -> bool:
        """The redrive has not ended yet."""
        return self.status in RUNNING


def redrive(
    sqs: SQSClient,
    dlq: QueueInfo,
    *,
    destination: QueueInfo | None = None,
    rate: int | None = None,
    limit: int | None = None,
    report: Callable[[RedriveProgress], None] = lambda _progress: None,
) -> RedriveProgress:
    """Move the DLQ's messages back to their source queues (or ``destination``) and return how
    it ended; ``report`` hears each step. ``limit`` (at most that many) needs the fallback."""
    if limit is None:
        handle = start_move_task(sqs, dlq, None if destination is None else destination.arn, rate)
        if handle is not None:
            done = follow_task(sqs, dlq, handle, lambda task: report(_of_task(task)))
            return _of_task(done)
    fell_back = limit is None
    report(RedriveProgress(RECEIVE_SEND_DELETE, "RUNNING", 0, fell_back=fell_back))
    moved = move_messages(
        sqs,
        dlq,
        to_url=None if destination is None else destination.url,
        limit=limit,
        report=lambda n: report(
            RedriveProgress(RECEIVE_SEND_DELETE, "RUNNING", n, fell_back=fell_back)
        ),
    )
    return RedriveProgress(
        RECEIVE_SEND_DELETE,
        "INCOMPLETE" if moved.left else "COMPLETED",
        moved.moved,
        left=dict(moved.left),
        fell_back=fell_back,
    )


def _of_task(task: TaskProgress) -> RedriveProgress:
    return RedriveProgress(TASK, task.status, task.moved, task.to_move, task.failure)
