"""``triggersqs worker``: poll a real SQS queue and store its messages (local/worker.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from triggersqs.cli import options, targets
from triggersqs.errors import UsageError

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers


def add(subparsers: Subparsers) -> None:
    """The ``worker`` command and its options."""
    parser = subparsers.add_parser(
        "worker",
        help="poll a real SQS queue and store its messages (ECS, Kubernetes, a VM)",
        description="Long-poll QUEUE_URL like Lambda's event source mapping and hand each batch"
        " to the Lambda handler; stores per the TRIGGERSQS_* settings. SIGINT/SIGTERM finish the"
        " batch in hand and exit 0. Credentials come from the usual AWS sources; a queue off AWS"
        " (loopback, a container's name) is its own endpoint and never reaches AWS.",
    )
    targets.add_queue_options(parser, fallback="none: it must be named")
    options.add_poller_options(parser, wait_time=20)
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus metrics at http://HOST:PORT/metrics (docs/operations.md)",
    )
    parser.add_argument(
        "--metrics-host", default="127.0.0.1", help="address of the metrics (127.0.0.1)"
    )
    options.add_log_format_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Poll until SIGINT or SIGTERM."""
    from triggersqs.bootstrap import require_role
    from triggersqs.local.startup import checked_runtime
    from triggersqs.local.worker import run_worker

    settings = options.settings()
    require_role(settings, "sqs", command="worker")
    target = targets.queue_target(args, fallback=None)
    options.configure_logging_of(args, settings)
    metrics = None
    if args.metrics_port is not None:
        from triggersqs.local.worker_metrics import WorkerMetrics

        if not 1 <= args.metrics_port <= 65535:
            raise UsageError("--metrics-port must be 1..65535")
        metrics = WorkerMetrics()
    # Build and check the store first, so a store that cannot work (no table, no region, a path
    # it cannot open) is refused at start-up instead of failing every batch into the DLQ.
    runtime = checked_runtime(settings, observer=metrics)

    try:
        run_worker(
            target.endpoint,
            target.url,
            lambda: runtime,
            options.poller_settings(args),
            concurrency=args.concurrency,
            metrics=metrics,
            metrics_address=None if metrics is None else (args.metrics_host, args.metrics_port),
        )
    finally:
        runtime.close()
    return 0
