"""``triggersqs dlq``: look at a dead-letter queue, redrive it, purge it (local/dlq.py)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from triggersqs.cli import targets
from triggersqs.cli.output import json_text
from triggersqs.cli.queue_options import DEV_DLQ_URL, sqs_errors
from triggersqs.cli.table_text import table
from triggersqs.errors import RedriveError, UsageError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from triggersqs.cli.options import Subparsers
    from triggersqs.local.dlq import Message
    from triggersqs.local.dlq_redrive import RedriveProgress
    from triggersqs.local.sqs_wire import QueueInfo

FALLBACK_NOTE = (
    "receive-send-delete: a message leaves the DLQ only after it was sent to its queue; if this"
    " is interrupted, a message may be sent twice (a duplicate with a new id), never lost"
)


def add(subparsers: Subparsers) -> None:
    """The ``dlq`` command and its ``list``, ``redrive`` and ``purge`` subcommands."""
    parser = subparsers.add_parser(
        "dlq",
        help="look at, redrive or purge a dead-letter queue",
        description="Work on a dead-letter queue (default: the dev stack's). Credentials and"
        " region come from the usual AWS sources; a queue on loopback needs none.",
    )
    actions = parser.add_subparsers(title="actions", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="peek at messages, leaving them in the DLQ",
        description="Receive up to --max messages with their attributes and give them back at"
        " once (each receive count goes up by one, as any receive does).",
    )
    listing.add_argument("--max", type=_positive, default=10, help="messages to show (10)")
    listing.add_argument("--json", action="store_true", help="print the messages as JSON")
    listing.set_defaults(run=run_list)
    redrive = actions.add_parser(
        "redrive",
        help="move messages back to their queue (or --to another)",
        description="Start SQS's StartMessageMoveTask and follow it until it ends; each message"
        " goes back to the queue it came from, or to --to. With --max, or where the server has"
        f" no StartMessageMoveTask, it moves them itself by {FALLBACK_NOTE}.",
    )
    redrive.add_argument("--to", default=None, metavar="URL", help="the destination queue URL")
    redrive.add_argument("--max", type=_positive, default=None, help="move at most N messages")
    redrive.add_argument(
        "--rate", type=_positive, default=None, help="messages per second (1..500; SQS's task)"
    )
    redrive.set_defaults(run=run_redrive)
    purge = actions.add_parser("purge", help="delete every message of the DLQ (needs --yes)")
    purge.add_argument("--yes", action="store_true", help="yes, delete them all")
    purge.set_defaults(run=run_purge)
    for action in (listing, redrive, purge):
        targets.add_queue_options(action, fallback=DEV_DLQ_URL, dead_letters=True)


def run_list(args: argparse.Namespace) -> int:
    """Print the peeked messages as a table (or JSON)."""
    from triggersqs.local.dlq import peek

    sqs, dlq = _open(args)
    with sqs_errors(f"peeking at {dlq.url}"):
        messages = peek(sqs, dlq, args.max)
    if args.json:
        print(json_text([_as_json(m) for m in messages]))
        return 0
    rows = [
        [
            m["MessageId"],
            m.get("Attributes", {}).get("ApproximateReceiveCount", "?"),
            _sent_at(m),
            m.get("Attributes", {}).get("DeadLetterQueueSourceArn", "-").rpartition(":")[2],
            m["Body"],
        ]
        for m in messages
    ]
    print(table(["message_id", "receives", "sent_at", "from", "body"], rows))
    print(f"{len(messages)} shown, left in {dlq.url}", file=sys.stderr)
    return 0


def run_redrive(args: argparse.Namespace) -> int:
    """Redrive with SQS's move task, or by receive-send-delete; 1 when anything stayed."""
    from triggersqs.local.dlq_redrive import TASK, redrive
    from triggersqs.local.sqs_client import open_queue

    sqs, dlq = _open(args)
    destination = open_queue(sqs, args.to) if args.to else None  # on the DLQ's endpoint
    if destination is not None and destination.fifo != dlq.fifo:
        raise UsageError("the DLQ and --to must both be FIFO queues, or both standard")
    if args.rate is not None and not 1 <= args.rate <= 500:
        raise UsageError("--rate must be 1..500")
    with sqs_errors(f"redriving {dlq.url}"):
        done = redrive(
            sqs,
            dlq,
            destination=destination,
            rate=args.rate,
            limit=args.max,
            report=_progress_printer(args.max),
        )
    if done.method == TASK:
        if done.status != "COMPLETED":
            raise RedriveError(
                f"the move task ended {done.status}"
                + (f" ({done.failure})" if done.failure else "")
                + f" after moving {done.moved} of {done.to_move}"
            )
        print(f"redrove {done.moved} messages from {dlq.url} with StartMessageMoveTask")
        return 0
    print(f"redrove {done.moved} messages from {dlq.url} by receive-send-delete")
    for message_id, why in done.left.items():
        print(f"  left in the DLQ: {message_id}: {why}", file=sys.stderr)
    return 1 if done.left else 0


def run_purge(args: argparse.Namespace) -> int:
    """Purge the DLQ, only with --yes."""
    from triggersqs.local.dlq import purge

    if not args.yes:
        raise UsageError("purge deletes every message of the DLQ: add --yes")
    sqs, dlq = _open(args)
    with sqs_errors(f"purging {dlq.url}"):
        count = purge(sqs, dlq)
    print(f"purged {dlq.url} (about {count} messages; SQS may take up to 60 s to finish)")
    return 0


def _open(args: argparse.Namespace) -> tuple[SQSClient, QueueInfo]:
    from triggersqs.local.sqs_client import open_queue

    target = targets.queue_target(args, fallback=DEV_DLQ_URL, dead_letters=True)
    sqs = target.endpoint.client()
    return sqs, open_queue(sqs, target.url)


def _progress_printer(limit: int | None) -> Any:  # noqa: ANN401 - a callable of RedriveProgress
    from triggersqs.local.dlq_redrive import TASK

    announced = False

    def show(progress: RedriveProgress) -> None:
        nonlocal announced
        if progress.method == TASK:
            print(
                f"{progress.status}: moved {progress.moved} of {progress.to_move}", file=sys.stderr
            )
        elif not announced:
            announced = True
            print(
                f"this SQS server has no StartMessageMoveTask: falling back to {FALLBACK_NOTE}"
                if progress.fell_back
                else f"moving at most {limit} messages by {FALLBACK_NOTE}",
                file=sys.stderr,
            )
        else:
            print(f"moved {progress.moved}", file=sys.stderr)

    return show


def _sent_at(message: Message) -> str:
    from triggersqs.core.records import utc_from_ms

    sent = message.get("Attributes", {}).get("SentTimestamp")
    moment = utc_from_ms(int(sent)) if sent and sent.isdigit() else None
    return "-" if moment is None else moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _as_json(message: Message) -> dict[str, Any]:
    return {
        "message_id": message["MessageId"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "message_attributes": json.loads(
            json.dumps(message.get("MessageAttributes", {}), default=repr)
        ),
    }


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
