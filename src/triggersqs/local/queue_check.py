"""``triggersqs check-queue``: an existing queue measured against the rules deploy/template.yaml
enforces for the queue it creates, so plugging the consumer into a queue of one's own is safe:

- visibility timeout at least 6 x the function timeout plus the batching window (AWS's rule for
  SQS event sources: below it, a message still being processed reappears and runs twice);
- a redrive policy, so a message that keeps failing ends in a DLQ instead of cycling;
- that DLQ exists and is of the queue's type (FIFO with FIFO, standard with standard);
- ``maxReceiveCount`` of 3 or more, so one throttle or timeout does not dead-letter a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from triggersqs.errors import TriggerSqsError
from triggersqs.local.sqs_client import open_queue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

VISIBILITY_FACTOR: Final = 6
MIN_RECEIVE_COUNT: Final = 3
MAX_FUNCTION_TIMEOUT: Final = 900
MAX_BATCHING_WINDOW: Final = 300


@dataclass(frozen=True, slots=True)
class Check:
    """One rule and whether the queue keeps it."""

    ok: bool
    rule: str
    found: str


def check_queue(
    sqs: SQSClient, url: str, *, function_timeout: int, batching_window: int = 0
) -> list[Check]:
    """Every rule, checked against the queue's attributes (and its DLQ's)."""
    from botocore.exceptions import ClientError

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    queue = open_queue(sqs, url)
    needed = VISIBILITY_FACTOR * function_timeout + batching_window
    checks = [
        Check(
            queue.visibility_timeout >= needed,
            f"visibility timeout >= {VISIBILITY_FACTOR} x {function_timeout} s"
            f" + {batching_window} s = {needed} s",
            f"{queue.visibility_timeout} s",
        )
    ]
    try:
        policy = json.loads(attributes.get("RedrivePolicy", "null")) or {}
    except ValueError:
        policy = {}
    dlq_arn = policy.get("deadLetterTargetArn")
    checks.append(Check(dlq_arn is not None, "a redrive policy names a DLQ", dlq_arn or "none"))
    if dlq_arn is None:
        checks += [
            Check(False, "the DLQ is of the queue's type", "no DLQ"),
            Check(False, f"maxReceiveCount >= {MIN_RECEIVE_COUNT}", "no redrive policy"),
        ]
        return checks
    *_, account, name = str(dlq_arn).split(":")
    try:
        dlq_url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        dlq_fifo = open_queue(sqs, dlq_url).fifo
    except (ClientError, TriggerSqsError) as exc:  # gone, or not ours to read
        checks.append(Check(False, "the DLQ is of the queue's type", f"cannot read it: {exc}"))
    else:
        kind = {True: "FIFO", False: "standard"}
        checks.append(
            Check(
                dlq_fifo == queue.fifo,
                f"the DLQ is of the queue's type ({kind[queue.fifo]})",
                kind[dlq_fifo],
            )
        )
    count = int(policy.get("maxReceiveCount", 0))
    checks.append(
        Check(count >= MIN_RECEIVE_COUNT, f"maxReceiveCount >= {MIN_RECEIVE_COUNT}", str(count))
    )
    return checks
