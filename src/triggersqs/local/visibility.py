"""Keeping received messages invisible while the poller holds them, as Lambda's event source
mapping does: a message in a batching window or a long handler must not reappear to others."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from triggersqs.local.sqs_client import chunks
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger("triggersqs.poller")  # its warnings are the poller's, as before


class VisibilityKeeper:
    """Keeps messages in hand invisible by extending their visibility timeout before it ends."""

    def __init__(self, sqs: SQSClient, queue: QueueInfo, clock: Callable[[], float]) -> None:
        self._sqs = sqs
        self._queue = queue
        self._clock = clock
        self._lock = threading.Lock()
        self._since: dict[str, float] = {}  # receipt handle -> when its timeout last (re)started

    @property
    def held(self) -> int:
        """How many messages are in hand (received, not yet deleted or let go)."""
        return len(self._since)

    @property
    def interval(self) -> float:
        """How often to look for messages due an extension: a third of the timeout."""
        return max(self._queue.visibility_timeout / 3, 0.2)

    def hold(self, handles: Iterable[str]) -> None:
        """Start keeping these messages invisible (their timeout started on receipt)."""
        now = self._clock()
        with self._lock:
            for handle in handles:
                self._since[handle] = now

    def let_go(self, handles: Iterable[str]) -> None:
        """Stop extending; the messages reappear when their current timeout ends."""
        with self._lock:
            for handle in handles:
                self._since.pop(handle, None)

    def extend_due(self) -> int:
        """Extend every held message whose timeout is half gone; returns how many."""
        timeout = self._queue.visibility_timeout
        now = self._clock()
        with self._lock:
            due = [h for h, since in self._since.items() if now - since >= timeout / 2]
        for chunk in chunks(due):
            try:
                response = self._sqs.change_message_visibility_batch(
                    QueueUrl=self._queue.url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": timeout}
                        for i, handle in enumerate(chunk)
                    ],
                )
            except Exception:
                logger.warning("could not extend visibility", exc_info=True)
                continue
            # A refused entry (an expired receipt handle: the message is already visible to
            # others) cannot be kept any longer; stop trying, it will come back as a duplicate.
            refused = {chunk[int(failure["Id"])] for failure in response.get("Failed", [])}
            if refused:
                logger.warning(
                    "visibility extension refused",
                    extra={"messages": len(refused), "error": response["Failed"][0].get("Code")},
                )
            with self._lock:
                for handle in chunk:
                    if handle in refused:
                        self._since.pop(handle, None)
                    elif handle in self._since:
                        self._since[handle] = now
        return len(due)

    def release(self, handles: Sequence[str]) -> None:
        """Make messages visible again at once (on shutdown, for other consumers)."""
        self.let_go(handles)
        for chunk in chunks(list(handles)):
            try:
                self._sqs.change_message_visibility_batch(
                    QueueUrl=self._queue.url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                        for i, handle in enumerate(chunk)
                    ],
                )
            except Exception:
                logger.warning("could not release messages", exc_info=True)
