"""What became of a batch: one outcome per record, and the partial batch response Lambda reads.

Each record ends in exactly one outcome (DESIGN.md): stored, duplicate, rejected or failed. Failed
records (and rejected ones under the ``retry`` policy) are the only ones returned to the queue.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, TypedDict


class BatchItemFailure(TypedDict):
    """One record Lambda must return to the queue."""

    itemIdentifier: str


class BatchResponse(TypedDict):
    """The partial batch response of an SQS invocation (``ReportBatchItemFailures``)."""

    batchItemFailures: list[BatchItemFailure]


class Outcome(StrEnum):
    """Where a record ended."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    FAILED = "failed"


class RecordResult(NamedTuple):
    """The outcome of one record, why, and whether SQS may delete it (an immutable value, built
    per record, as records.Envelope)."""

    message_id: str
    outcome: Outcome
    reason: str | None = None
    acknowledged: bool = True


@dataclass(frozen=True, slots=True)
class BatchReport:
    """The outcome of every record of a batch, in the batch's order."""

    results: list[RecordResult]
    duration_ms: float = 0.0
    counts: Counter[Outcome] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", Counter(result.outcome for result in self.results))

    @property
    def failed_ids(self) -> list[str]:
        """Message ids SQS must make visible again: each once, in batch order."""
        ids = dict.fromkeys(r.message_id for r in self.results if not r.acknowledged)
        return list(ids)

    @property
    def all_failed(self) -> bool:
        """True when nothing in a non-empty batch was acknowledged."""
        return bool(self.results) and not any(r.acknowledged for r in self.results)

    def response(self) -> BatchResponse:
        """The Lambda partial batch response; an empty list means every record succeeded."""
        failures: list[BatchItemFailure] = [{"itemIdentifier": mid} for mid in self.failed_ids]
        return {"batchItemFailures": failures}
