"""The SQS door: recognise a Lambda SQS event, parse its records into :class:`Envelope` values,
process the batch, and answer with the partial batch response."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from triggersqs.aws_lambda.types import LambdaContext, LambdaEvent
from triggersqs.core.batch import BatchProcessor
from triggersqs.core.outcomes import BatchResponse
from triggersqs.core.records import Envelope
from triggersqs.errors import BatchFailedError, UnsupportedEventError

SQS_EVENT_SOURCE = "aws:sqs"
NON_STRING_BODY = "body must be a string"
"""The rejection reason of a record whose ``body`` is not a string (no real SQS record has one)."""


def is_sqs_event(event: LambdaEvent) -> bool:
    """True when every record says it comes from SQS (CloudFront and S3 events also carry
    ``Records``)."""
    records = event.get("Records")
    # Events are decoded JSON: records are dicts (a dict check is ~10x cheaper than Mapping's).
    return (
        isinstance(records, list)
        and bool(records)
        and all(
            isinstance(record, dict) and record.get("eventSource") == SQS_EVENT_SOURCE
            for record in records
        )
    )


def parse_sqs_event(event: LambdaEvent) -> list[Envelope]:
    """The records of an SQS event, in order.

    Odd metadata is tolerated (the record still gets an outcome); a record without a usable
    ``messageId`` cannot be reported back to SQS, so it makes the whole event unusable.
    """
    if not is_sqs_event(event):
        raise UnsupportedEventError("not an SQS event: every record needs eventSource 'aws:sqs'")
    return [_envelope(position, record) for position, record in enumerate(event["Records"])]


def _envelope(position: int, record: Mapping[str, Any]) -> Envelope:
    # The hot path of every batch (docs/benchmarks.md): plain dict lookups, the number checks
    # inlined, the envelope built from positional arguments (a third cheaper than keywords).
    message_id = record.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        raise UnsupportedEventError(f"SQS record {position} has no messageId")
    attributes = record.get("attributes")
    if not isinstance(attributes, dict):
        attributes = {}
    queue_arn = record.get("eventSourceARN")
    body = record.get("body")
    defect = None
    if not isinstance(body, str):
        # Checked before anything walks it: a list nested 1,000 deep made json.dumps raise
        # RecursionError and fail the whole batch (issue 11). A plain value is kept as its JSON
        # text; a container is not rendered at all.
        defect = NON_STRING_BODY
        body = json.dumps(body) if body is None or isinstance(body, int | float | bool) else ""
    # SQS sends numbers as decimal strings; anything else is treated as absent.
    sent = attributes.get("SentTimestamp")
    if not (isinstance(sent, str) and sent.isascii() and sent.isdigit() and len(sent) <= _DIGITS):
        sent = None
    count = attributes.get("ApproximateReceiveCount")
    if not (
        isinstance(count, str) and count.isascii() and count.isdigit() and len(count) <= _DIGITS
    ):
        count = 0
    group = attributes.get("MessageGroupId")
    return Envelope(
        message_id,
        queue_arn if isinstance(queue_arn, str) else "",
        body,
        None if sent is None else int(sent),
        int(count),
        group if isinstance(group, str) else None,
        defect,
    )


_DIGITS = 18
"""The most digits a number from SQS may have to be taken (SQS's are 13 at most): an int64."""


class SqsHandler:
    """Handles one SQS invocation; raises when every record failed, so Lambda backs off."""

    def __init__(self, processor: BatchProcessor) -> None:
        self._processor = processor

    def __call__(self, event: LambdaEvent, context: LambdaContext) -> BatchResponse:
        """Process the batch within the invocation's remaining time."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        report = self._processor.process(
            parse_sqs_event(event), remaining_ms=remaining() if remaining else None
        )
        if report.all_failed:
            first = report.results[0]
            raise BatchFailedError(
                f"all {len(report.results)} records failed; the first because: {first.reason}"
            )
        return report.response()
