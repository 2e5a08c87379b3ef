"""What the console shows of SQS: the queue's and the DLQ's counts (GetQueueAttributes), the
messages waiting in the DLQ (local/dlq.py's peek), and one redrive at a time in a thread
(local/dlq_redrive.py, the redrive ``triggersqs dlq redrive`` runs)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Final

from triggersqs.errors import RedriveBusyError, TriggerSqsError
from triggersqs.local.dlq import Message, peek
from triggersqs.local.dlq_redrive import RedriveProgress, redrive
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger("triggersqs.console")

QUEUE_COUNTS: Final = {
    "visible": "ApproximateNumberOfMessages",
    "in_flight": "ApproximateNumberOfMessagesNotVisible",
    "delayed": "ApproximateNumberOfMessagesDelayed",
}
MAX_PEEK: Final = 10


class QueueWatch:
    """The queue and its DLQ as the console sees them; ``client`` makes an SQS client."""

    def __init__(self, client: Callable[[], SQSClient], queue: QueueInfo, dlq: QueueInfo) -> None:
        self._client = client
        self._sqs = client()
        self.queue = queue
        self.dlq = dlq
        self._lock = threading.Lock()
        self._progress: RedriveProgress | None = None
        self._error: str | None = None
        self._thread: threading.Thread | None = None

    def counts(self) -> dict[str, Any]:
        """The queue's visible, in-flight and delayed counts, and the DLQ's."""
        return {"queue": self._counts(self.queue), "dlq": self._counts(self.dlq)}

    def _counts(self, queue: QueueInfo) -> dict[str, Any]:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=queue.url,
            AttributeNames=list(QUEUE_COUNTS.values()),  # type: ignore[arg-type]
        )["Attributes"]
        counts: dict[str, Any] = {
            name: int(attributes.get(attribute, "0"))  # type: ignore[call-overload]
            for name, attribute in QUEUE_COUNTS.items()
        }
        return {"name": queue.url.rpartition("/")[2], "url": queue.url, **counts}

    def dead_letters(self, limit: int = MAX_PEEK) -> list[dict[str, Any]]:
        """Up to ``limit`` messages waiting in the DLQ, left there."""
        if self.redriving():
            raise RedriveBusyError("a redrive is running: the DLQ is listed again once it ends")
        return [_dead_letter(message) for message in peek(self._sqs, self.dlq, limit)]

    def redriving(self) -> bool:
        """Whether a redrive is running now."""
        return self._thread is not None and self._thread.is_alive()

    def start_redrive(self) -> dict[str, Any]:
        """Start redriving the DLQ to its source queue, in a thread; its first progress."""
        with self._lock:
            if self.redriving():
                raise RedriveBusyError("a redrive is running already")
            self._progress = None
            self._error = None
            self._thread = threading.Thread(target=self._redrive, name="console-redrive")
            self._thread.start()
        return self.redrive_state() or {}

    def redrive_state(self) -> dict[str, Any] | None:
        """The latest redrive's progress, or None before the first."""
        with self._lock:
            if self._thread is None:
                return None
            progress = self._progress
            state = {"running": self._thread.is_alive(), "error": self._error}
        if progress is None:
            return {**state, "method": None, "status": "STARTING", "moved": 0, "to_move": None}
        return {**asdict(progress), **state, "left": dict(progress.left)}

    def _redrive(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        def update(progress: RedriveProgress) -> None:
            with self._lock:
                self._progress = progress

        try:
            done = redrive(self._client(), self.dlq, report=update)
        except (TriggerSqsError, ClientError, BotoCoreError) as exc:
            logger.warning("console redrive failed", extra={"error": str(exc)})
            with self._lock:
                self._error = str(exc)
            return
        update(done)
        if done.status != "COMPLETED":
            with self._lock:
                self._error = done.failure or f"the redrive ended {done.status}"


def _dead_letter(message: Message) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    sent = attributes.get("SentTimestamp", "")
    return {
        "message_id": message["MessageId"],
        "receive_count": int(attributes.get("ApproximateReceiveCount", "0")),
        "sent_at_ms": int(sent) if sent.isdigit() else None,
        "source": attributes.get("DeadLetterQueueSourceArn", "").rpartition(":")[2] or None,
        "body": message["Body"],
    }
