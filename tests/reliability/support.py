"""Helpers of the reliability tests: queues with chosen redrive policies on the `dev` stack's SQS
server, `triggersqs worker` processes on them, and what their JSON logs and stores say."""

from __future__ import annotations

import ctypes
import json
import os
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.stack import CREDENTIALS, TRIGGERSQS, DevStack, clean_env

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


@dataclass(frozen=True)
class Queue:
    """A queue and its dead-letter queue."""

    url: str
    dlq_url: str


def make_queue(
    sqs: SQSClient,
    name: str,
    *,
    max_receive_count: int,
    visibility_timeout: int,
    fifo: bool = False,
) -> Queue:
    """A queue named ``name`` with a DLQ after ``max_receive_count`` receives."""
    suffix = ".fifo" if fifo else ""
    attributes: dict[QueueAttributeNameType, str] = {"FifoQueue": "true"} if fifo else {}
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq{suffix}", Attributes=attributes)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    url = sqs.create_queue(
        QueueName=f"{name}{suffix}",
        Attributes={
            **attributes,
            "RedrivePolicy": redrive,
            "VisibilityTimeout": str(visibility_timeout),
        },
    )["QueueUrl"]
    return Queue(url, dlq_url)


def queue_depth(sqs: SQSClient, url: str) -> int:
    """Visible, in-flight and delayed messages of a queue."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def drain_bodies(sqs: SQSClient, url: str) -> list[str]:
    """Receive and delete every message of a queue; their bodies."""
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=30
        ).get("Messages", [])
        if not messages:
            return bodies
        bodies.extend(message["Body"] for message in messages)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": message["ReceiptHandle"]}
                for i, message in enumerate(messages)
            ],
        )


def _obey_file_modes() -> None:
    """In the child: give up root's power to ignore file modes (dropped across exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@contextmanager
def worker_on(
    stack: DevStack,
    workdir: Path,
    queue_url: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    obey_file_modes: bool = False,
) -> Iterator[subprocess.Popen[str]]:
    """`triggersqs worker` on ``queue_url`` in ``workdir`` (its SQLite file is the stack's);
    its JSON log goes to ``workdir/worker-*.log``. Killed at the end if still running.

    ``obey_file_modes``: when the tests run as root, the worker cannot write read-only files.
    """
    command = [
        TRIGGERSQS,
        "worker",
        "--queue-url",
        queue_url,
        "--endpoint-url",
        stack.endpoint,
        "--wait-time",
        "1",
        *args,
    ]
    log = (workdir / f"worker-{time.monotonic_ns()}.log").open("w")
    preexec = _obey_file_modes if obey_file_modes and os.geteuid() == 0 else None
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=clean_env(AWS_REGION=stack.region, **CREDENTIALS, **(env or {})),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=preexec,  # noqa: PLW1509 - only drops a capability, before exec
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


@dataclass(frozen=True)
class LogTally:
    """What the workers' JSON logs say about every batch they handled."""

    outcomes: Counter[str]
    """Records per outcome over every "batch processed" line (stored, duplicate, ...)."""
    whole_batch_failures: int
    """Batches the poller failed as a whole (the handler raised)."""
    reasons: Counter[str]
    """Why records were returned to the queue, from the per-record warning lines."""
    tracebacks: int
    stored_ids: Counter[str]
    """How often each message id was logged stored (needs TRIGGERSQS_LOG_LEVEL=DEBUG)."""


def tally_logs(workdir: Path) -> LogTally:
    """Add up every worker log in ``workdir``."""
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    stored_ids: Counter[str] = Counter()
    whole = tracebacks = 0
    for path in sorted(workdir.glob("worker-*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if "Traceback" in line:
                tracebacks += 1
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # the last line of a killed process may be cut short
            message = entry.get("message")
            if message == "batch processed":
                for outcome in ("stored", "duplicate", "rejected", "failed"):
                    outcomes[outcome] += int(entry.get(outcome, 0))
            elif message == "batch failed as a whole":
                whole += 1
            elif message == "record stored":
                stored_ids[str(entry["message_id"])] += 1
            elif entry.get("returned_to_queue") is True and entry.get("reason"):
                reasons[str(entry["reason"])[:60]] += 1
    return LogTally(outcomes, whole, reasons, tracebacks, stored_ids)


def sqlite_counts(path: Path) -> tuple[int, int]:
    """(records, rejected) in a SQLite store file, read without the store's code."""
    if not path.exists():
        return 0, 0
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        records = connection.execute("SELECT count(*) FROM records").fetchone()[0]
        rejected = connection.execute("SELECT count(*) FROM rejected").fetchone()[0]
    except sqlite3.OperationalError:
        return 0, 0  # the schema is not there yet
    finally:
        connection.close()
    return int(records), int(rejected)


def send_paced(sqs: SQSClient, queue_url: str, bodies: list[str], seconds: float) -> None:
    """Send every body, ten per request, spread over about ``seconds`` (never faster)."""
    started = time.monotonic()
    for start in range(0, len(bodies), 10):
        due = started + seconds * start / len(bodies)
        time.sleep(max(0.0, due - time.monotonic()))
        chunk = bodies[start : start + 10]
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": text} for i, text in enumerate(chunk)],
        )
        assert not response.get("Failed"), response.get("Failed")


def stored_at_least(path: Path, count: int) -> bool:
    """True once the SQLite store at ``path`` holds ``count`` records or more."""
    return sqlite_counts(path)[0] >= count
