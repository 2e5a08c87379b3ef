"""CloudWatch metrics from Lambda: one Embedded Metric Format (EMF) line per SQS batch on stdout,
which CloudWatch Logs turns into metrics without an API call.

Written here rather than with Powertools Metrics or ``aws-embedded-metrics``: on this project's
reference machine, importing Powertools Metrics adds about 11 ms to an SQS cold start and
``aws-embedded-metrics`` (asyncio) about 130 ms, against the 10 ms this path may grow; the format
itself is one JSON object (docs/operations.md has the measurement and the metric names).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TextIO

from triggersqs.core.outcomes import BatchReport, Outcome
from triggersqs.core.records import Envelope
from triggersqs.logs import request_id

DIMENSION: Final = "QueueName"
COUNT: Final = "Count"
MILLISECONDS: Final = "Milliseconds"
METRICS: Final[dict[str, str]] = {
    "RecordsStored": COUNT,
    "RecordsDuplicate": COUNT,
    "RecordsRejected": COUNT,
    "RecordsFailed": COUNT,
    "RecordsReturnedToQueue": COUNT,
    "BatchDuration": MILLISECONDS,
    "OldestMessageAge": MILLISECONDS,
    "ColdStart": COUNT,
}
"""Every metric of a batch and its unit (deploy/template.yaml's alarms and dashboard use them)."""
UNKNOWN_QUEUE: Final = "unknown"
_QUEUE_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,80}(\.fifo)?")

_BY_OUTCOME: Final = {
    "RecordsStored": Outcome.STORED,
    "RecordsDuplicate": Outcome.DUPLICATE,
    "RecordsRejected": Outcome.REJECTED,
    "RecordsFailed": Outcome.FAILED,
}


def queue_name(queue_arn: str) -> str:
    """The queue's name: the last field of its ARN; ``unknown`` when that is no queue name (a
    dimension value must be ASCII, or CloudWatch drops the whole record)."""
    name = queue_arn.rpartition(":")[2]
    return name if _QUEUE_NAME.fullmatch(name) else UNKNOWN_QUEUE


def batch_values(
    envelopes: Sequence[Envelope], report: BatchReport, *, now_ms: int, cold_start: bool
) -> dict[str, float]:
    """The value of each metric for one batch; OldestMessageAge only when a record has a
    ``SentTimestamp``."""
    values: dict[str, float] = {name: report.counts[o] for name, o in _BY_OUTCOME.items()}
    values["RecordsReturnedToQueue"] = len(report.failed_ids)
    values["BatchDuration"] = round(report.duration_ms, 3)
    sent = [e.sent_at_ms for e in envelopes if e.sent_at_ms is not None]
    if sent:
        values["OldestMessageAge"] = max(now_ms - min(sent), 0)
    values["ColdStart"] = 1 if cold_start else 0
    return values


def emf_record(
    namespace: str, queue: str, values: dict[str, float], *, timestamp_ms: int
) -> dict[str, Any]:
    """One EMF log event: the metadata under ``_aws`` and each value as a top-level member."""
    record: dict[str, Any] = {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [[DIMENSION]],
                    "Metrics": [{"Name": name, "Unit": METRICS[name]} for name in values],
                }
            ],
        },
        DIMENSION: queue,
    }
    record.update(values)
    return record


class EmfMetrics:
    """A batch observer that writes one EMF line per batch; ColdStart is 1 on its first batch
    (the runtime, and so this observer, is built once per execution environment)."""

    def __init__(
        self,
        namespace: str,
        out: TextIO | None = None,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self._namespace = namespace
        self._out = out
        self._clock_ms = clock_ms
        self._cold = True

    def batch_processed(self, envelopes: Sequence[Envelope], report: BatchReport) -> None:
        """Write the batch's metrics as one line (stdout: CloudWatch Logs in Lambda)."""
        cold, self._cold = self._cold, False
        now_ms = self._clock_ms()
        queue = queue_name(envelopes[0].queue_arn) if envelopes else UNKNOWN_QUEUE
        values = batch_values(envelopes, report, now_ms=now_ms, cold_start=cold)
        record = emf_record(self._namespace, queue, values, timestamp_ms=now_ms)
        invocation = request_id.get()
        if invocation is not None:
            record["request_id"] = invocation  # a property, not a metric: finds the logs
        out = self._out or sys.stdout
        out.write(json.dumps(record, separators=(",", ":")) + "\n")
        out.flush()
