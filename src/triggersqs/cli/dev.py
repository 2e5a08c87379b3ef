"""``triggersqs dev``: the whole flow on this machine, with no AWS account (local/dev.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from triggersqs.cli import options

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers


def add(subparsers: Subparsers) -> None:
    """The ``dev`` command and its options."""
    parser = subparsers.add_parser(
        "dev",
        help="the whole flow locally: embedded SQS server, poller, SQLite store, HTTP API",
        description="Start an embedded SQS-compatible server with a queue (default 'triggersqs')"
        " and its DLQ 'NAME-dlq', the poller calling the Lambda handler, and the HTTP API over"
        " the configured store (SQLite by default). It never talks to AWS. The region comes"
        " from AWS_REGION or AWS_DEFAULT_REGION (us-east-1). While it runs, `send`, `records`"
        " and the other client commands run from this folder find it with no options.",
        epilog="--concurrency 0 starts no poller: `worker` processes consume the queue instead."
        " Port 0 picks a free port.",
    )
    parser.add_argument(
        "--sqs-port",
        type=int,
        default=options.DEV_SQS_PORT,
        help=f"embedded SQS port ({options.DEV_SQS_PORT})",
    )
    parser.add_argument(
        "--api-port",
        type=int,
        default=options.DEV_API_PORT,
        help=f"HTTP API port ({options.DEV_API_PORT})",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address both servers bind (127.0.0.1); another, such as 0.0.0.0 for a container,"
        " opens them to the network (a warning says what)",
    )
    parser.add_argument("--queue-name", default="triggersqs", help="the queue's name (triggersqs)")
    parser.add_argument(
        "--fifo",
        action="store_true",
        help="a FIFO queue (NAME.fifo) with content-based deduplication; a name ending in"
        " .fifo implies it",
    )
    parser.add_argument(
        "--max-receive-count",
        type=int,
        default=3,
        help="receives before a message moves to the DLQ (1..1000; 3)",
    )
    parser.add_argument(
        "--visibility-timeout", type=int, default=10, help="the queue's visibility timeout (10 s)"
    )
    options.add_poller_options(parser, wait_time=1)
    options.add_log_format_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the stack until SIGINT or SIGTERM."""
    from triggersqs.bootstrap import require_role
    from triggersqs.local.dev import DevOptions, run_dev
    from triggersqs.local.dev_queues import QueueSpec

    settings = options.settings()  # refuse bad configuration before starting anything
    require_role(settings, "sqs", "http", command="dev")
    queue = QueueSpec.of(
        args.queue_name,
        fifo=args.fifo,
        max_receive_count=args.max_receive_count,
        visibility_timeout=args.visibility_timeout,
    )
    options.configure_logging_of(args, settings)
    run_dev(
        settings,
        DevOptions(
            sqs_port=options.checked_port(args.sqs_port, "--sqs-port"),
            api_port=options.checked_port(args.api_port, "--api-port"),
            host=args.host,
            queue=queue,
            batch_size=args.batch_size,
            batching_window=args.batching_window,
            concurrency=args.concurrency,
            wait_time=args.wait_time,
        ),
        region=options.dev_region(),
    )
    return 0
