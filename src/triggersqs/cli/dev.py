"""``triggersqs dev``: the whole flow on this machine, with no AWS account (local/dev.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from triggersqs.cli import options
from triggersqs.logs import configure_logging

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers


def add(subparsers: Subparsers) -> None:
    """The ``dev`` command and its options."""
    parser = subparsers.add_parser(
        "dev",
        help="the whole flow locally: embedded SQS server, poller, SQLite store, HTTP API",
        description="Start an embedded SQS-compatible server on loopback with a queue"
        " 'triggersqs' and its DLQ 'triggersqs-dlq' (maxReceiveCount 3), the poller calling the"
        " Lambda handler, and the HTTP API over the configured store (SQLite by default). It never"
        " talks to AWS. The region comes from AWS_REGION or AWS_DEFAULT_REGION (us-east-1).",
        epilog="--concurrency 0 starts no poller: `worker` processes consume the queue instead.",
    )
    parser.add_argument(
        "--sqs-port",
        type=int,
        default=options.DEV_SQS_PORT,
        help=f"embedded SQS port ({options.DEV_SQS_PORT})",
    )
    parser.add_argument("--api-port", type=int, default=8000, help="HTTP API port (8000)")
    parser.add_argument(
        "--visibility-timeout", type=int, default=10, help="the queue's visibility timeout (10 s)"
    )
    options.add_poller_options(parser, wait_time=1)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the stack until SIGINT or SIGTERM."""
    from triggersqs.bootstrap import require_role
    from triggersqs.local.dev import DevOptions, run_dev

    settings = options.settings()  # refuse bad configuration before starting anything
    require_role(settings, "sqs", "http", command="dev")
    configure_logging(settings.log_level)
    run_dev(
        settings,
        DevOptions(
            sqs_port=args.sqs_port,
            api_port=args.api_port,
            visibility_timeout=args.visibility_timeout,
            batch_size=args.batch_size,
            batching_window=args.batching_window,
            concurrency=args.concurrency,
            wait_time=args.wait_time,
        ),
        region=options.dev_region(),
    )
    return 0
