"""The dev stack's queues and what it prints: the queue and its DLQ (standard or FIFO, named as
asked), the banner with paste-ready commands, and the warning for a non-loopback host."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from triggersqs.errors import UsageError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

QUEUE_NAME = "triggersqs"
MAX_RECEIVE_COUNT = 3
MAX_RECEIVE_COUNT_LIMIT = 1000  # SQS's limit for a redrive policy
EXAMPLE_BODY = '{"command": "SetStatus", "client_id": "c79da7ce8e5e"}'
FIFO_SUFFIX = ".fifo"
_DLQ_SUFFIX = "-dlq"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_MAX_NAME = 80


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """The dev stack's queue as asked: its name, FIFO or not, and its redrive after N receives."""

    name: str = QUEUE_NAME
    fifo: bool = False
    max_receive_count: int = MAX_RECEIVE_COUNT
    visibility_timeout: int = 10

    @classmethod
    def of(
        cls, name: str, *, fifo: bool, max_receive_count: int, visibility_timeout: int
    ) -> QueueSpec:
        """The spec of ``dev``'s options; a name ending in ``.fifo`` makes a FIFO queue, and
        ``--fifo`` adds the suffix. UsageError for what SQS would refuse."""
        fifo = fifo or name.endswith(FIFO_SUFFIX)
        base = name.removesuffix(FIFO_SUFFIX)
        suffix = FIFO_SUFFIX if fifo else ""
        if not _NAME.fullmatch(base) or len(base + _DLQ_SUFFIX + suffix) > _MAX_NAME:
            raise UsageError(
                f"--queue-name {name!r}: use letters, digits, - and _ only, at most"
                f" {_MAX_NAME - len(_DLQ_SUFFIX + suffix)} characters (the DLQ adds {_DLQ_SUFFIX})"
            )
        if not 1 <= max_receive_count <= MAX_RECEIVE_COUNT_LIMIT:
            raise UsageError(f"--max-receive-count must be 1..{MAX_RECEIVE_COUNT_LIMIT}")
        if not 0 <= visibility_timeout <= 43_200:  # SQS's limit: 12 hours
            raise UsageError("--visibility-timeout must be 0..43200 seconds")
        return cls(base + suffix, fifo, max_receive_count, visibility_timeout)

    @property
    def dlq_name(self) -> str:
        """``NAME-dlq``, FIFO like its queue (SQS requires it)."""
        suffix = FIFO_SUFFIX if self.fifo else ""
        return self.name.removesuffix(FIFO_SUFFIX) + _DLQ_SUFFIX + suffix


def create_queues(sqs: SQSClient, spec: QueueSpec) -> tuple[str, str]:
    """The queue and its DLQ; returns their URLs. A FIFO queue deduplicates by content."""
    fifo: dict[QueueAttributeNameType, str] = (
        {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if spec.fifo else {}
    )
    dlq_url = sqs.create_queue(QueueName=spec.dlq_name, Attributes=fifo)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}
    )
    queue_url = sqs.create_queue(
        QueueName=spec.name,
        Attributes={
            **fifo,
            "RedrivePolicy": redrive,
            "VisibilityTimeout": str(spec.visibility_timeout),
        },
    )["QueueUrl"]
    return queue_url, dlq_url


def connect_host(host: str) -> str:
    """The address clients on this machine use for a server bound to ``host``."""
    if host in {"0.0.0.0", ""}:  # noqa: S104 - a comparison, not a bind
        return "127.0.0.1"
    if host.strip("[]") == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def exposure_warning(host: str, *, api_key: bool) -> str:
    """What binding ``host`` exposes to whoever can reach this machine."""
    api = "behind TRIGGERSQS_API_KEY" if api_key else "with no key: set TRIGGERSQS_API_KEY"
    return (
        f"warning: --host {host} is not loopback: the embedded SQS server (no authentication:"
        " anyone who reaches it can send, read and delete messages) and the HTTP API (every"
        f" stored message, {api}) are open to the network"
    )


def banner(  # noqa: PLR0917 - each is a line of the banner
    queue_url: str,
    dlq_url: str,
    api_url: str,
    endpoint: str,
    region: str,
    spec: QueueSpec | None = None,
) -> str:
    """What a newcomer needs to see the flow: where things are and what to paste, and last the
    line that says the stack is ready."""
    spec = spec or QueueSpec()
    extra = ["--message-group-id", "demo"] if spec.fifo else []
    aws = shlex.join(
        [
            "aws",
            "--endpoint-url",
            endpoint,
            "--region",
            region,
            "sqs",
            "send-message",
            "--queue-url",
            queue_url,
            "--message-body",
            EXAMPLE_BODY,
            *extra,
        ]
    )
    kind = " (FIFO, content-based deduplication)" if spec.fifo else ""
    group = " --group-id demo" if spec.fifo else ""
    return "\n".join(
        [
            "triggersqs dev (Ctrl-C to stop)",
            f"  SQS endpoint : {endpoint}  (region {region}, any credentials)",
            f"  queue        : {queue_url}{kind}",
            f"  dead letters : {dlq_url}  (after {spec.max_receive_count} failed receives)",
            f"  HTTP API     : {api_url}/records   (docs: {api_url}/docs)",
            f"  console      : {api_url}/   (in a browser)",
            "",
            "Send a message (from this folder, `triggersqs send` and `records` find this stack):",
            f"  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test {aws}",
            f"  .venv/bin/triggersqs send --command SetStatus --client-id c79da7ce8e5e{group}",
            "Read it back:",
            f"  curl -s {api_url}/records",
            "  .venv/bin/triggersqs records --newest",
            "",
            f"triggersqs dev is ready: SQS {endpoint}, API {api_url}",
            "",
        ]
    )
