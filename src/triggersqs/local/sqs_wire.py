"""Translate between the SQS API and the Lambda SQS event, as the event source mapping does."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from triggersqs.aws_lambda.sqs import SQS_EVENT_SOURCE
from triggersqs.errors import InvalidBatchResponseError


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """What the poller needs to know about its queue."""

    url: str
    arn: str
    visibility_timeout: int
    fifo: bool

    @property
    def region(self) -> str:
        """The queue's region, from its ARN."""
        return self.arn.split(":")[3]

    @classmethod
    def from_attributes(cls, url: str, attributes: Mapping[Any, str]) -> QueueInfo:
        """Built from ``GetQueueAttributes(AttributeNames=["All"])``."""
        return cls(
            url=url,
            arn=attributes["QueueArn"],
            visibility_timeout=int(attributes.get("VisibilityTimeout", "30")),
            fifo=attributes.get("FifoQueue", "false").lower() == "true",
        )


def lambda_event(messages: Sequence[Mapping[str, Any]], queue: QueueInfo) -> dict[str, Any]:
    """The Lambda SQS event for messages from ``ReceiveMessage``."""
    return {"Records": [_record(message, queue) for message in messages]}


def _record(message: Mapping[str, Any], queue: QueueInfo) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": SQS_EVENT_SOURCE,
        "eventSourceARN": queue.arn,
        "awsRegion": queue.region,
    }


def _attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    # The event spells message attributes in camelCase and carries binary values as base64.
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [_b64(item) for item in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = _b64(value["BinaryValue"])
    return attribute


def _b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(raw).decode()


_RECORD_FIELDS_BYTES = 1024
"""Room for a record's fixed fields (ids, receipt handle, MD5, ARN, region) and their keys."""


def payload_bytes(message: Mapping[str, Any]) -> int:
    """What a message adds to the invocation payload: its body and attributes as the event's JSON
    spells them (quotes, backslashes and control characters grow when escaped), plus room for the
    record's fixed fields."""
    variable = {
        "body": str(message.get("Body", "")),
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: _attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
    }
    encoded = json.dumps(variable, ensure_ascii=False, separators=(",", ":"))
    return len(encoded.encode("utf-8", "surrogatepass")) + _RECORD_FIELDS_BYTES


def failed_message_ids(response: object, batch_ids: Sequence[str]) -> set[str]:
    """The ids the handler reported failed, checked as Lambda checks them.

    A missing or empty ``batchItemFailures`` (or no response) means every record succeeded. An
    identifier that is empty, not a string, or not in the batch fails the whole batch
    (raises :class:`InvalidBatchResponseError`), as does any response that is not an object.
    """
    if response is None:
        return set()
    if not isinstance(response, Mapping):
        raise InvalidBatchResponseError(f"response is a {type(response).__name__}, not an object")
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        raise InvalidBatchResponseError("batchItemFailures is not a list")
    known = set(batch_ids)
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not isinstance(identifier, str) or not identifier:
            raise InvalidBatchResponseError(f"invalid itemIdentifier in {failure!r:.200}")
        if identifier not in known:
            raise InvalidBatchResponseError(
                f"itemIdentifier {identifier!r:.100} is not in the batch"
            )
        failed.add(identifier)
    return failed
