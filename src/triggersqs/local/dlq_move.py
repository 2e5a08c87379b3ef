"""Redrive without StartMessageMoveTask, for SQS-compatible servers that lack it: receive from
the DLQ, send each message to its queue, and only then delete it from the DLQ.

Killed at any moment, this loses nothing: a message leaves the DLQ only after its copy was sent.
Killed between the send and the delete, a message is in both queues: the DLQ gives it back
after the hold, and a second run sends it again (a duplicate with a new message id; on a FIFO
destination SQS drops a resend within 5 minutes, its deduplication id being the DLQ message id).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from triggersqs.local.dlq import Message, release
from triggersqs.local.sqs_client import MAX_ENTRIES, chunks
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

HOLD_SECONDS: Final = 120
"""How long a message in hand stays invisible in the DLQ (the send and delete take well under)."""
SOURCE_ATTRIBUTE: Final = "DeadLetterQueueSourceArn"


@dataclass
class MoveReport:
    """What a receive-send-delete redrive did."""

    moved: int = 0
    left: dict[str, str] = field(default_factory=dict)
    """Message id -> why it stayed in the DLQ."""


class Routes:
    """Where each message goes: ``--to``, else the queue its ``DeadLetterQueueSourceArn``
    names, else the DLQ's only source queue (ListDeadLetterSourceQueues)."""

    def __init__(self, sqs: SQSClient, dlq: QueueInfo, to_url: str | None) -> None:
        self._sqs = sqs
        self._dlq = dlq
        self._to = to_url
        self._by_arn: dict[str, str] = {}
        self._only_source: str | None = None
        self._sources_known = False

    def url_of(self, message: Message) -> str:
        """The destination queue URL; ValueError saying why there is none."""
        if self._to is not None:
            return self._to
        arn = message.get("Attributes", {}).get(SOURCE_ATTRIBUTE)
        if arn is not None:
            if arn not in self._by_arn:
                *_, account, name = arn.split(":")
                self._by_arn[arn] = self._sqs.get_queue_url(
                    QueueName=name, QueueOwnerAWSAccountId=account
                )["QueueUrl"]
            return self._by_arn[arn]
        if not self._sources_known:
            sources = self._sqs.list_dead_letter_source_queues(QueueUrl=self._dlq.url)
            urls = sources.get("queueUrls", [])
            self._only_source = urls[0] if len(urls) == 1 else None
            self._sources_known = True
        if self._only_source is None:
            raise ValueError("its source queue is unknown (no single source queue): use --to")
        return self._only_source


def move_messages(
    sqs: SQSClient,
    dlq: QueueInfo,
    *,
    to_url: str | None,
    limit: int | None,
    report: Callable[[int], None] = lambda _moved: None,
) -> MoveReport:
    """Move up to ``limit`` (all when None) messages, oldest SQS gives first; see module doc."""
    routes = Routes(sqs, dlq, to_url)
    result = MoveReport()
    in_hand: dict[
        str, str
    ] = {}  # id -> receipt handle: received, not deleted; given back at the end
    try:
        while limit is None or result.moved < limit:
            want = MAX_ENTRIES if limit is None else min(MAX_ENTRIES, limit - result.moved)
            got = sqs.receive_message(
                QueueUrl=dlq.url,
                MaxNumberOfMessages=want,
                VisibilityTimeout=HOLD_SECONDS,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            in_hand.update((m["MessageId"], m["ReceiptHandle"]) for m in got)
            fresh = [m for m in got if m["MessageId"] not in result.left]  # left: seen, stays
            if not fresh:
                break
            by_url: dict[str, list[Message]] = {}
            for message in fresh:
                try:
                    by_url.setdefault(routes.url_of(message), []).append(message)
                except ValueError as why:
                    result.left[message["MessageId"]] = str(why)
            for url, messages in by_url.items():
                result.moved += _send_then_delete(
                    sqs, dlq, url, messages, in_hand=in_hand, result=result
                )
            report(result.moved)
    finally:
        # Whatever was not moved goes back now (an interrupt included; after a SIGKILL it
        # comes back by itself once HOLD_SECONDS pass).
        release(sqs, dlq.url, list(in_hand.values()))
    return result


def _send_then_delete(
    sqs: SQSClient,
    dlq: QueueInfo,
    url: str,
    messages: Sequence[Message],
    *,
    in_hand: dict[str, str],
    result: MoveReport,
) -> int:
    fifo = url.endswith(".fifo")
    sent: list[Message] = []
    for chunk in chunks(list(messages)):
        answer = sqs.send_message_batch(
            QueueUrl=url, Entries=[_entry(str(i), m, fifo) for i, m in enumerate(chunk)]
        )
        sent += [chunk[int(ok["Id"])] for ok in answer.get("Successful", [])]
        for failure in answer.get("Failed", []):
            message = chunk[int(failure["Id"])]
            result.left[message["MessageId"]] = failure.get("Message", failure.get("Code", "?"))
    # Only what was sent is deleted: a kill before this line leaves a duplicate, never a loss.
    moved = 0
    for chunk in chunks(sent):
        deleted = sqs.delete_message_batch(
            QueueUrl=dlq.url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
            ],
        )
        for done in deleted.get("Successful", []):
            in_hand.pop(chunk[int(done["Id"])]["MessageId"], None)
            moved += 1
        for failure in deleted.get("Failed", []):
            result.left[chunk[int(failure["Id"])]["MessageId"]] = (
                "sent, but the DLQ refused to delete it: a next run sends it again (a duplicate)"
            )
    return moved


def _entry(entry_id: str, message: Message, fifo: bool) -> Any:  # noqa: ANN401 - boto3's TypedDict
    entry: dict[str, Any] = {"Id": entry_id, "MessageBody": message["Body"]}
    attributes = {
        name: {k: v for k, v in value.items() if k in {"DataType", "StringValue", "BinaryValue"}}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    if attributes:
        entry["MessageAttributes"] = attributes
    if fifo:
        system: Mapping[str, str] = message.get("Attributes", {})
        entry["MessageGroupId"] = system.get("MessageGroupId", "redrive")
        entry["MessageDeduplicationId"] = message["MessageId"]
    return entry
