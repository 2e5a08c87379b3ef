"""The poller: Lambda's SQS event source mapping, reproduced for ``worker`` and ``dev``.

It long-polls a queue, builds the exact Lambda SQS event, calls the same handler Lambda calls,
and deletes only what the handler did not report failed. Messages stay invisible while they are
in hand (a batching window, a long handler) because a keeper extends their visibility; failed
ones are simply let go and reappear after the visibility timeout, so the queue's redrive policy
moves them to the DLQ after ``maxReceiveCount`` receives, exactly as with Lambda.

Delivery is at least once: a message is deleted only after the handler acknowledged it, so a
crash at any moment (``kill -9`` included) loses nothing, and the store's idempotency by message
id makes the redelivery a duplicate instead of a second record.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from triggersqs.errors import ConfigurationError, InvalidBatchResponseError
from triggersqs.local.context import LocalContext
from triggersqs.local.sqs_client import MAX_ENTRIES, chunks
from triggersqs.local.sqs_wire import QueueInfo, failed_message_ids, lambda_event, payload_bytes
from triggersqs.local.visibility import VisibilityKeeper

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger("triggersqs.poller")

Handler = Callable[[dict[str, Any], LocalContext], object]
Message = Mapping[str, Any]

MAX_BATCH_SIZE = 10_000  # Lambda's limit for standard queues
MAX_FIFO_BATCH_SIZE = 10
MAX_WINDOW_SECONDS = 300.0
MAX_WAIT_SECONDS = 20
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit
_IDLE_PAUSE = 0.1  # between empty short polls, so a poller without long polling does not spin
_ERROR_PAUSE = 1.0  # after SQS refused a receive


@dataclass(frozen=True, slots=True)
class PollerSettings:
    """How batches are formed, with Lambda's limits."""

    batch_size: int = 10
    batching_window: float = 0.0
    """Seconds to keep gathering after the first message, until ``batch_size`` is reached."""
    wait_time: int = MAX_WAIT_SECONDS
    """Long-poll seconds of each ReceiveMessage (0..20); shorter stops faster on a signal."""

    def check(self, queue: QueueInfo) -> None:
        """Refuse what Lambda's event source mapping would refuse for this queue."""
        limit = MAX_FIFO_BATCH_SIZE if queue.fifo else MAX_BATCH_SIZE
        if not 1 <= self.batch_size <= limit:
            kind = "a FIFO" if queue.fifo else "a standard"
            raise ConfigurationError(f"batch size must be 1..{limit} for {kind} queue")
        if not 0 <= self.batching_window <= MAX_WINDOW_SECONDS:
            raise ConfigurationError(f"batching window must be 0..{MAX_WINDOW_SECONDS:.0f} seconds")
        if queue.fifo and self.batching_window:
            raise ConfigurationError("FIFO queues do not support a batching window")
        if self.batch_size > MAX_ENTRIES and self.batching_window < 1:
            raise ConfigurationError("a batch size above 10 needs a batching window of 1 s or more")
        if not 0 <= self.wait_time <= MAX_WAIT_SECONDS:
            raise ConfigurationError(f"wait time must be 0..{MAX_WAIT_SECONDS} seconds")


class PollerEvents(Protocol):
    """What a poller reports besides batches (``worker --metrics-port``)."""

    def receive_failed(self) -> None:
        """A ReceiveMessage call failed."""
        ...

    def delete_failed(self, count: int) -> None:
        """``count`` acknowledged messages could not be deleted (they will come back)."""
        ...


class _NoEvents:
    def receive_failed(self) -> None:
        pass

    def delete_failed(self, count: int) -> None:
        pass


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What became of one batch the poller handed to the handler."""

    received: int
    deleted: int
    failed: int
    handler_error: str | None = None


class Poller:
    """One consumer of one queue: receive, invoke the handler, delete what succeeded."""

    def __init__(
        self,
        sqs: SQSClient,
        queue: QueueInfo,
        handler: Handler,
        settings: PollerSettings | None = None,
        *,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        events: PollerEvents | None = None,
    ) -> None:
        self.settings = settings or PollerSettings()
        self.events = events or _NoEvents()
        self.settings.check(queue)
        self.queue = queue
        self.stop = stop or threading.Event()
        self.keeper = VisibilityKeeper(sqs, queue, clock)
        self._sqs = sqs
        self._handler = handler
        self._clock = clock
        self._sleep = sleep
        self._carry: list[Message] = []  # received beyond the payload limit; first in next batch

    def run(self) -> None:
        """Poll until ``stop`` is set; the batch in hand is finished, leftovers released."""
        keeper = threading.Thread(target=self._keep, name="visibility-keeper", daemon=True)
        keeper.start()
        try:
            while not self.stop.is_set():
                self.poll_once()
        finally:
            self.stop.set()
            keeper.join()
            if self._carry:
                self.keeper.release([m["ReceiptHandle"] for m in self._carry])
                self._carry = []

    def poll_once(self) -> BatchResult | None:
        """Gather one batch and hand it to the handler; None when nothing arrived."""
        batch = self._gather()
        return self.dispatch(batch) if batch else None

    def dispatch(self, batch: Sequence[Message]) -> BatchResult:
        """Invoke the handler on ``batch`` and delete what it acknowledged."""
        ids = [message["MessageId"] for message in batch]
        context = LocalContext(
            deadline=self._clock() + self.queue.visibility_timeout, monotonic=self._clock
        )
        error = None
        try:
            response = self._handler(lambda_event(batch, self.queue), context)
            failed = failed_message_ids(response, ids)
        except InvalidBatchResponseError as exc:
            error = f"invalid batch response: {exc}"
        except Exception as exc:  # noqa: BLE001 - any handler error fails the whole batch, as in AWS
            error = f"{type(exc).__name__}: {exc}"
        if error is not None:
            logger.warning("batch failed as a whole", extra={"records": len(ids), "error": error})
            failed = set(ids)
        done = [message for message in batch if message["MessageId"] not in failed]
        deleted = self._delete(done)
        self.keeper.let_go(message["ReceiptHandle"] for message in batch)
        if failed and self.queue.fifo:
            self._release_groups_of(message for message in batch if message["MessageId"] in failed)
        return BatchResult(len(batch), deleted, len(batch) - len(done), error)

    def _release_groups_of(self, failed: Iterable[Message]) -> None:
        # A carried FIFO message must not overtake a failed one of its group: give it back to the
        # queue, which delivers the group again in order once the failed ones reappear.
        groups = {message.get("Attributes", {}).get("MessageGroupId") for message in failed}
        behind = [m for m in self._carry if m.get("Attributes", {}).get("MessageGroupId") in groups]
        if behind:
            handles = [message["ReceiptHandle"] for message in behind]
            released = set(handles)
            self._carry = [m for m in self._carry if m["ReceiptHandle"] not in released]
            self.keeper.release(handles)

    # -- receiving -------------------------------------------------------------------------------

    def _gather(self) -> list[Message]:
        settings = self.settings
        first, self._carry = self._carry, []
        if not first:
            first = self._receive(min(MAX_ENTRIES, settings.batch_size), settings.wait_time)
            if not first:
                if settings.wait_time == 0:
                    self._sleep(_IDLE_PAUSE)
                return []
        window_ends = self._clock() + settings.batching_window
        batch: list[Message] = []
        size = self._fill(batch, first, 0)
        while len(batch) < settings.batch_size and not self._carry:
            left = window_ends - self._clock()
            if left <= 0 or self.stop.is_set():
                break
            wait = min(settings.wait_time, math.floor(left))
            more = self._receive(min(MAX_ENTRIES, settings.batch_size - len(batch)), wait)
            if not more and wait == 0:
                self._sleep(min(_IDLE_PAUSE, left))
            size = self._fill(batch, more, size)
        return batch

    def _fill(self, batch: list[Message], messages: Sequence[Message], size: int) -> int:
        """Add messages while the payload fits Lambda's limit; carry the rest, in order."""
        for message in messages:
            size += payload_bytes(message)
            fits = not batch or size <= MAX_PAYLOAD_BYTES  # one message always fits
            (batch if fits and not self._carry else self._carry).append(message)
        return size

    def _receive(self, count: int, wait: int) -> list[Message]:
        try:
            response = self._sqs.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=count,
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],  # as Lambda: every attribute
                MessageAttributeNames=["All"],
            )
        except Exception:
            self.events.receive_failed()
            logger.warning("receive failed", exc_info=True)
            self._sleep(_ERROR_PAUSE)
            return []
        messages: list[Message] = list(response.get("Messages", []))
        self.keeper.hold(message["ReceiptHandle"] for message in messages)
        return messages

    # -- acknowledging ---------------------------------------------------------------------------

    def _delete(self, messages: Sequence[Message]) -> int:
        deleted = 0
        for chunk in chunks(list(messages)):
            try:
                response = self._sqs.delete_message_batch(
                    QueueUrl=self.queue.url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                        for i, message in enumerate(chunk)
                    ],
                )
            except Exception:
                self.events.delete_failed(len(chunk))
                logger.warning("delete failed", extra={"records": len(chunk)}, exc_info=True)
                continue
            if response.get("Failed"):
                self.events.delete_failed(len(response["Failed"]))
            for failure in response.get("Failed", []):
                logger.warning(
                    "delete refused",
                    extra={
                        "message_id": chunk[int(failure["Id"])]["MessageId"],
                        "error": failure.get("Code"),
                    },
                )
            deleted += len(response.get("Successful", []))
        return deleted

    def _keep(self) -> None:
        while not self.stop.wait(self.keeper.interval):
            self.keeper.extend_due()
