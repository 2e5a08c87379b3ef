"""``triggersqs send``: one message, JSON lines or N generated ones to a queue (local/sender.py)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from triggersqs.cli import options
from triggersqs.cli.output import Progress
from triggersqs.errors import UsageError

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers
    from triggersqs.local.sqs_client import SqsEndpoint

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def add(subparsers: Subparsers) -> None:
    """The ``send`` command and its options."""
    parser = subparsers.add_parser(
        "send",
        help="send one message, JSON lines, or N generated messages to a queue",
        description="Send messages in batches of 10. The queue defaults to the `dev` stack's; for"
        " a queue on loopback the endpoint comes from its URL and throwaway credentials are used"
        " unless AWS credentials are configured.",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--command", help="the command of one message (with --client-id)")
    what.add_argument(
        "--file", help="JSON lines to send as-is, one message per line ('-' for stdin)"
    )
    what.add_argument("--count", type=int, help="send N generated valid messages")
    parser.add_argument("--client-id", help="the client id of the one message")
    parser.add_argument(
        "--queue-url", default=options.DEV_QUEUE_URL, help=f"(default {options.DEV_QUEUE_URL})"
    )
    parser.add_argument("--endpoint-url", default=None, help="another SQS endpoint")
    parser.add_argument("--region", default=None, help="default: from the queue URL or AWS_REGION")
    parser.add_argument("--group-id", default=None, help="MessageGroupId for FIFO queues")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Send, report ``sent N, failed M``; 1 when any message failed."""
    from triggersqs.local.sender import generated_bodies, lines_of, send_bodies

    if args.command is not None and not args.client_id:
        raise UsageError("--command needs --client-id")
    endpoint = _endpoint(args)
    with ExitStack() as inputs:
        total = None
        bodies: Iterator[str]
        if args.command is not None:
            bodies = iter([json.dumps({"command": args.command, "client_id": args.client_id})])
        elif args.count is not None:
            if args.count < 1:
                raise UsageError("--count must be at least 1")
            total, bodies = args.count, generated_bodies(args.count)
        else:
            bodies = lines_of(inputs.enter_context(options.input_file(args.file)))
        progress = Progress(sys.stderr, total) if args.command is None else None
        report = send_bodies(
            endpoint.client(), args.queue_url, bodies, group_id=args.group_id, progress=progress
        )
    print(f"sent {report.sent}, failed {report.failed}")
    for error in dict.fromkeys(report.errors):
        print(f"  {error}", file=sys.stderr)
    return 1 if report.failed else 0


def _endpoint(args: argparse.Namespace) -> SqsEndpoint:
    """The queue's SQS endpoint: on loopback, its URL's, with throwaway credentials if none."""
    from triggersqs.local.sqs_client import DEFAULT_REGION, SqsEndpoint

    region = options.queue_region(args) or DEFAULT_REGION
    local = urlparse(args.queue_url)
    if local.hostname not in LOOPBACK_HOSTS:
        return SqsEndpoint(args.endpoint_url, region)
    return SqsEndpoint(
        args.endpoint_url or f"{local.scheme}://{local.netloc}",
        region,
        *(() if options.has_aws_credentials() else ("test", "test")),
    )
