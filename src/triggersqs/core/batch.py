"""Batch processing: one SQS batch in, one outcome per record and the partial batch response out.

Shared by the Lambda handler and the poller, so both behave the same. Each record ends in exactly
one outcome (see DESIGN.md): stored, duplicate, rejected or failed. Failed records (and rejected
ones under the ``retry`` policy) are the only ones returned to the queue.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from triggersqs.core.clock import Deadline, Monotonic, expired
from triggersqs.core.message import Invalid, parse_body
from triggersqs.core.observe import BatchObserver
from triggersqs.core.outcomes import BatchReport, Outcome, RecordResult
from triggersqs.core.ports import MessageWriter, SaveStatus
from triggersqs.core.records import (
    Envelope,
    Incoming,
    NewRecord,
    NewRejection,
    RejectionStatus,
    is_unicode,
)
from triggersqs.errors import StorageError

logger = logging.getLogger("triggersqs.batch")

FIFO_SUFFIX = ".fifo"


@dataclass(frozen=True, slots=True)
class BatchPolicy:
    """The rules a batch is processed by (built from the settings)."""

    max_body_bytes: int = 1_048_576
    retry_invalid: bool = False
    """Return invalid messages to the queue (to reach the DLQ) instead of keeping them."""
    allowed_queues: frozenset[str] = frozenset()
    """Queue ARNs records may come from; empty accepts any."""
    time_margin_ms: int = 1000
    """Stop and fail the rest of the batch when less than this is left of the time budget."""


_TIME_UP = "the time budget ran out before this record was processed"
# Refused, not escaped: escaping made "\ud800" the surrogate and the literal text "\ud800" one
# id, so the second was dropped as a duplicate of the first. No SQS message id is ever one
# (SQS makes UUIDs); only a hand-made event carries one, and a failure keeps it, in the DLQ.
_ID_NOT_UNICODE = "message id is not valid Unicode (an unpaired surrogate): it cannot be a key"
# AWS documents that one FIFO batch can mix message groups: only the failed record's group waits
# (Powertools' skip_group_on_error), the others move on.
_FIFO_HELD = (
    "an earlier record of its message group failed in this FIFO batch, so this one waits to keep"
    " the group's order"
)


class BatchProcessor:
    """Turns a batch of SQS envelopes into outcomes, with one store write per batch."""

    def __init__(
        self,
        store: MessageWriter,
        policy: BatchPolicy,
        monotonic: Monotonic = time.monotonic,
        observer: BatchObserver | None = None,
    ) -> None:
        self._store = store
        self._policy = policy
        self._monotonic = monotonic
        self._observer = observer

    def process(
        self, envelopes: Sequence[Envelope], remaining_ms: int | None = None
    ) -> BatchReport:
        """Process one batch; ``remaining_ms`` is the time left before the caller is stopped."""
        started = self._monotonic()
        deadline = (
            None
            if remaining_ms is None
            else Deadline(
                started + (remaining_ms - self._policy.time_margin_ms) / 1000, self._monotonic
            )
        )
        fifo = any(envelope.queue_arn.endswith(FIFO_SUFFIX) for envelope in envelopes)
        results: list[RecordResult | None] = [None] * len(envelopes)
        pending: list[tuple[int, Incoming]] = []
        time_up = False  # once set, every later record fails
        held: set[str | None] = set()  # FIFO message groups with a failed record so far
        examine = self._examine

        for index, envelope in enumerate(envelopes):
            # One clock reading per record until the deadline passes (Deadline.expired).
            time_up = time_up or (deadline is not None and deadline.expired())
            if time_up or (fifo and envelope.message_group_id in held):
                reason = _TIME_UP if time_up else _FIFO_HELD
                results[index] = RecordResult(envelope.message_id, Outcome.FAILED, reason, False)
                continue
            result, item = examine(envelope)
            if item is not None:
                pending.append((index, item))
                if fifo and _returned(item):  # goes back to the queue: its group's later ones wait
                    held.add(envelope.message_group_id)
            else:
                results[index] = result
                if fifo and result is not None and not result.acknowledged:
                    held.add(envelope.message_group_id)

        for index, result in self._write(pending, ordered=fifo, deadline=deadline):
            results[index] = result

        final = [result for result in results if result is not None]
        report = BatchReport(final, duration_ms=(self._monotonic() - started) * 1000)
        _log(envelopes, report)
        if self._observer is not None:
            _tell(self._observer, envelopes, report)
        return report

    def _examine(self, envelope: Envelope) -> tuple[RecordResult | None, Incoming | None]:
        """Either a final result (no write needed) or the item to write."""
        policy = self._policy
        if policy.allowed_queues and envelope.queue_arn not in policy.allowed_queues:
            reason = f"queue {envelope.queue_arn or '(none)'} is not in TRIGGERSQS_QUEUE_ARNS"
            return RecordResult(envelope.message_id, Outcome.FAILED, reason, False), None
        if not is_unicode(envelope.message_id):
            return RecordResult(envelope.message_id, Outcome.FAILED, _ID_NOT_UNICODE, False), None
        parsed = (
            Invalid(envelope.defect)
            if envelope.defect is not None
            else parse_body(envelope.body, policy.max_body_bytes)
        )
        if isinstance(parsed, Invalid):
            # Under ``retry`` the reason is kept too, so the message found in the DLQ can be
            # looked up by its id; it still goes back to the queue (see _result).
            status = RejectionStatus.RETURNED_TO_QUEUE if policy.retry_invalid else None
            return None, NewRejection(envelope, parsed.reason, status or RejectionStatus.KEPT)
        return None, NewRecord(envelope, parsed["command"], parsed["client_id"])

    def _write(
        self, pending: list[tuple[int, Incoming]], *, ordered: bool, deadline: Deadline | None
    ) -> list[tuple[int, RecordResult]]:
        if not pending:
            return []
        if expired(deadline):
            return [
                (index, RecordResult(item.envelope.message_id, Outcome.FAILED, _TIME_UP, False))
                for index, item in pending
            ]
        items = [item for _, item in pending]
        try:
            statuses = self._store.save(items, ordered=ordered, deadline=deadline)
        except StorageError as exc:
            reason = f"store error: {exc}"
        except Exception as exc:
            # DESIGN.md: any unexpected error fails the records it touched, never the whole batch.
            logger.exception("unexpected error while writing a batch")
            reason = f"unexpected store error: {type(exc).__name__}"
        else:
            return [
                (index, _result(item, status))
                for (index, item), status in zip(pending, statuses, strict=True)
            ]
        return [(index, _unwritten(item, reason)) for index, item in pending]


def _unwritten(item: Incoming, reason: str) -> RecordResult:
    """The result of an item the store could not take: failed, but a returned rejection is still
    rejected (its reason is known; it goes back to the queue either way)."""
    if isinstance(item, NewRejection) and _returned(item):
        return RecordResult(item.envelope.message_id, Outcome.REJECTED, item.reason, False)
    return RecordResult(item.envelope.message_id, Outcome.FAILED, reason, False)


def _result(item: Incoming, status: SaveStatus) -> RecordResult:
    message_id = item.envelope.message_id
    if status is SaveStatus.STORED and type(item) is NewRecord:  # the common case, first
        return RecordResult(message_id, Outcome.STORED)
    if isinstance(item, NewRejection) and _returned(item):
        # Back it goes whether its reason was kept now, before (a redelivery is a duplicate in
        # the store), or not at all.
        return RecordResult(message_id, Outcome.REJECTED, item.reason, acknowledged=False)
    if status is SaveStatus.DUPLICATE:
        return RecordResult(message_id, Outcome.DUPLICATE, "message id already stored")
    if status is SaveStatus.FAILED:
        reason = (
            "not written: the store refused it, or stopped at an earlier failure or the deadline"
        )
        return RecordResult(message_id, Outcome.FAILED, reason, acknowledged=False)
    if isinstance(item, NewRejection):
        return RecordResult(message_id, Outcome.REJECTED, item.reason)
    return RecordResult(message_id, Outcome.STORED)


def _returned(item: Incoming) -> bool:
    return isinstance(item, NewRejection) and item.status is RejectionStatus.RETURNED_TO_QUEUE


def _tell(observer: BatchObserver, envelopes: Sequence[Envelope], report: BatchReport) -> None:
    # The outcomes are decided and written: a metrics failure must not fail (and so redeliver)
    # a batch that was stored.
    try:
        observer.batch_processed(envelopes, report)
    except Exception:
        logger.exception("a batch observer failed; the batch itself is done")


def _log(envelopes: Sequence[Envelope], report: BatchReport) -> None:
    debug = logger.isEnabledFor(logging.DEBUG)
    # The common batch is all stored: then, below DEBUG, there is no per-record line to write.
    if debug or report.counts[Outcome.STORED] != len(report.results):
        for envelope, result in zip(envelopes, report.results, strict=True):
            if result.outcome is Outcome.STORED and not debug:
                continue
            level = logging.WARNING if not result.acknowledged else logging.INFO
            if result.outcome is Outcome.STORED:
                level = logging.DEBUG
            logger.log(
                level,
                "record %s",
                result.outcome.value,
                extra={
                    "message_id": result.message_id,
                    "outcome": result.outcome.value,
                    "reason": result.reason,
                    "returned_to_queue": not result.acknowledged,
                    "receive_count": envelope.receive_count,
                    "queue_arn": envelope.queue_arn,
                },
            )
    logger.info(
        "batch processed",
        extra={
            "records": len(report.results),
            **{outcome.value: report.counts[outcome] for outcome in Outcome},
            "returned_to_queue": len(report.failed_ids),
            "duration_ms": round(report.duration_ms, 3),
        },
    )
