"""Builders of SQS events, envelopes and store items for tests, in AWS's exact shapes."""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

from triggersqs.core.records import Envelope, NewRecord, NewRejection

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:triggersqs"
FIFO_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:triggersqs.fifo"
SENT_AT_MS = 1_764_000_000_000

_ids = itertools.count(1)


def new_id() -> str:
    """A fresh message id shaped like SQS's (a UUID)."""
    n = next(_ids)
    return f"059f36b4-87a3-44ab-83d2-{n:012d}"


def body(command: str = "SetStatus", client_id: str = "c79da7ce8e5e", **extra: Any) -> str:
    """A valid message body."""
    return json.dumps({"command": command, "client_id": client_id, **extra})


def sqs_record(
    body_text: str | None = None,
    *,
    message_id: str | None = None,
    queue_arn: str = QUEUE_ARN,
    receive_count: int = 1,
    group: str | None = None,
) -> dict[str, Any]:
    """One record of a Lambda SQS event, as AWS sends it."""
    text = body() if body_text is None else body_text
    attributes = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(SENT_AT_MS),
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": str(SENT_AT_MS + 5),
    }
    if group is not None:
        attributes |= {
            "MessageGroupId": group,
            "MessageDeduplicationId": hashlib.sha256(text.encode()).hexdigest(),
            "SequenceNumber": "18849496460467696128",
        }
    return {
        "messageId": message_id or new_id(),
        "receiptHandle": "MessageReceiptHandle",
        "body": text,
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def sqs_event(*records: dict[str, Any]) -> dict[str, Any]:
    """A Lambda SQS event holding ``records``."""
    return {"Records": list(records)}


def envelope(
    body_text: str | None = None,
    *,
    message_id: str | None = None,
    queue_arn: str = QUEUE_ARN,
    receive_count: int = 1,
    group: str | None = None,
    sent_at_ms: int | None = SENT_AT_MS,
) -> Envelope:
    """An envelope as the processor receives it."""
    return Envelope(
        message_id=message_id or new_id(),
        queue_arn=queue_arn,
        body=body() if body_text is None else body_text,
        sent_at_ms=sent_at_ms,
        receive_count=receive_count,
        message_group_id=group,
    )


def new_record(
    command: str = "SetStatus", client_id: str = "c79da7ce8e5e", **kwargs: Any
) -> NewRecord:
    """A valid item to store."""
    text = kwargs.pop("body_text", None) or body(command, client_id)
    return NewRecord(envelope(text, **kwargs), command, client_id)


def new_rejection(
    body_text: str = "not json", reason: str = "body is not valid JSON", **kwargs: Any
) -> NewRejection:
    """A rejected item to store."""
    return NewRejection(envelope(body_text, **kwargs), reason)
