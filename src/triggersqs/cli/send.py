"""``triggersqs send``: one message, JSON lines or N generated ones to a queue (local/sender.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

from triggersqs.cli import options, targets
from triggersqs.cli.output import Progress
from triggersqs.errors import UsageError

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers


def add(subparsers: Subparsers) -> None:
    """The ``send`` command and its options."""
    parser = subparsers.add_parser(
        "send",
        help="send one message, JSON lines, or N generated messages to a queue",
        description="Send messages in batches of 10 and print the message id of each on standard"
        " output, one a line (the summary goes to standard error). The queue is found as the"
        " options say, so a `triggersqs dev` running in this folder needs none; for a queue off"
        " AWS the endpoint comes from its URL and throwaway credentials are used unless AWS"
        " credentials are configured.",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--command", help="the command of one message (with --client-id)")
    what.add_argument(
        "--file", help="JSON lines to send as-is, one message per line ('-' for stdin)"
    )
    what.add_argument("--count", type=int, help="send N generated valid messages")
    parser.add_argument("--client-id", help="the client id of the one message")
    targets.add_queue_options(parser, fallback=options.DEV_QUEUE_URL)
    parser.add_argument("--group-id", default=None, help="MessageGroupId for FIFO queues")
    parser.add_argument(
        "--quiet", action="store_true", help="do not print the message ids, only the summary"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Send, print each message id, report ``sent N, failed M``; 1 when any message failed."""
    from triggersqs.local.sender import generated_bodies, lines_of, send_bodies

    if args.command is not None and not args.client_id:
        raise UsageError("--command needs --client-id")
    if args.count is not None and args.count < 1:
        raise UsageError("--count must be at least 1")
    target = targets.queue_target(args, fallback=options.DEV_QUEUE_URL)
    with ExitStack() as inputs:
        total = None
        bodies: Iterator[str]
        if args.command is not None:
            bodies = iter([json.dumps({"command": args.command, "client_id": args.client_id})])
        elif args.count is not None:
            total, bodies = args.count, generated_bodies(args.count)
        else:
            bodies = lines_of(inputs.enter_context(options.input_file(args.file)))
        # The ids are the progress on a terminal; a bar beside them would tear their lines.
        shows_ids = not args.quiet
        bar = args.command is None and not (shows_ids and sys.stdout.isatty())
        report = send_bodies(
            target.endpoint.client(),
            target.url,
            bodies,
            group_id=args.group_id,
            progress=Progress(sys.stderr, total) if bar else None,
            sent=_print_id if shows_ids else None,
        )
    print(f"sent {report.sent}, failed {report.failed}", file=sys.stderr)
    for error in dict.fromkeys(report.errors):
        print(f"  {error}", file=sys.stderr)
    return 1 if report.failed else 0


def _print_id(message_id: str) -> None:
    print(message_id, flush=True)
