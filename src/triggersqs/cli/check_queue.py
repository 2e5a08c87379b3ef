"""``triggersqs check-queue``: does an existing queue keep the template's rules?
(local/queue_check.py)"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from triggersqs.cli import targets
from triggersqs.cli.queue_options import sqs_errors
from triggersqs.errors import UsageError

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers


def add(subparsers: Subparsers) -> None:
    """The ``check-queue`` command and its options."""
    parser = subparsers.add_parser(
        "check-queue",
        help="check an existing queue against the rules the SAM template keeps for its own",
        description="Print each rule (visibility timeout >= 6 x the function timeout + the"
        " batching window, a redrive policy, a DLQ of the same type, maxReceiveCount >= 3) with"
        " what the queue has; exit 1 when any is broken.",
    )
    parser.add_argument("queue_url", metavar="URL")
    parser.add_argument(
        "--function-timeout", type=int, required=True, help="the consumer's timeout (1..900 s)"
    )
    parser.add_argument(
        "--batching-window", type=int, default=0, help="the event source's window (0..300 s)"
    )
    targets.add_endpoint_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per rule; 1 when any is broken."""
    from triggersqs.local.queue_check import MAX_BATCHING_WINDOW, MAX_FUNCTION_TIMEOUT, check_queue
    from triggersqs.local.sqs_client import open_queue

    if not 1 <= args.function_timeout <= MAX_FUNCTION_TIMEOUT:
        raise UsageError(f"--function-timeout must be 1..{MAX_FUNCTION_TIMEOUT} seconds")
    if not 0 <= args.batching_window <= MAX_BATCHING_WINDOW:
        raise UsageError(f"--batching-window must be 0..{MAX_BATCHING_WINDOW} seconds")
    sqs = targets.queue_target(args, fallback=None).endpoint.client()
    open_queue(sqs, args.queue_url)  # unreachable (exit 1) or missing (exit 2): one line
    with sqs_errors(f"reading {args.queue_url}"):
        checks = check_queue(
            sqs,
            args.queue_url,
            function_timeout=args.function_timeout,
            batching_window=args.batching_window,
        )
    for check in checks:
        print(f"{'ok  ' if check.ok else 'FAIL'}  {check.rule}: {check.found}")
    broken = sum(not check.ok for check in checks)
    print(f"{args.queue_url}: " + (f"{broken} of {len(checks)} rules broken" if broken else "ok"))
    return 1 if broken else 0
