"""``triggersqs send``: put messages on a queue, ten per request, and say what failed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TextIO

from triggersqs.local.sqs_client import MAX_ENTRIES

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef


@dataclass
class SendReport:
    """How many messages went out, and why the others did not."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def generated_bodies(count: int, command: str = "SetStatus") -> Iterator[str]:
    """``count`` valid bodies with distinct client ids."""
    for number in range(count):
        yield json.dumps({"command": command, "client_id": f"client-{number:06d}"})


def lines_of(stream: TextIO) -> Iterator[str]:
    """Each non-blank line of a JSON-lines stream, sent as-is (invalid ones too, on purpose)."""
    for line in stream:
        text = line.rstrip("\r\n")
        if text.strip():
            yield text


class ProgressSink(Protocol):
    """What :func:`send_bodies` tells how far it got (the CLI draws it: cli/output.py)."""

    def update(self, done: int, *, final: bool = False) -> None:
        """``done`` messages handled so far; ``final`` once all are."""


def send_bodies(
    sqs: SQSClient,
    queue_url: str,
    bodies: Iterable[str],
    *,
    group_id: str | None = None,
    progress: ProgressSink | None = None,
    sent: Callable[[str], None] | None = None,
) -> SendReport:
    """Send every body in batches of ten; FIFO queues get ``group_id`` and a fresh dedup id.

    ``sent`` is called with the message id SQS gave each message that went out, in input order.
    """
    fifo = queue_url.endswith(".fifo")
    report = SendReport()
    batch: list[SendMessageBatchRequestEntryTypeDef] = []

    def flush() -> None:
        try:
            response = sqs.send_message_batch(QueueUrl=queue_url, Entries=batch)
        except Exception as exc:  # noqa: BLE001 - reported per message, the run goes on
            report.failed += len(batch)
            report.errors.append(f"{type(exc).__name__}: {exc}")
        else:
            successes = response.get("Successful", [])
            report.sent += len(successes)
            if sent is not None:
                for success in sorted(successes, key=lambda entry: int(entry["Id"])):
                    sent(success["MessageId"])
            for failure in response.get("Failed", []):
                report.failed += 1
                report.errors.append(f"{failure.get('Code')}: {failure.get('Message', '')}")
        batch.clear()
        if progress:
            progress.update(report.sent + report.failed)

    for body in bodies:
        entry: SendMessageBatchRequestEntryTypeDef = {"Id": str(len(batch)), "MessageBody": body}
        if fifo:
            entry["MessageGroupId"] = group_id or "default"
            entry["MessageDeduplicationId"] = uuid.uuid4().hex
        batch.append(entry)
        if len(batch) == MAX_ENTRIES:
            flush()
    if batch:
        flush()
    if progress:
        progress.update(report.sent + report.failed, final=True)
    return report
