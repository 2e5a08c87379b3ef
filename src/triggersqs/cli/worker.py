"""``triggersqs worker``: poll a real SQS queue and store its messages (local/worker.py)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from triggersqs.cli import options
from triggersqs.errors import StorageError, UsageError
from triggersqs.logs import configure_logging

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers
    from triggersqs.local.poller import Handler


def add(subparsers: Subparsers) -> None:
    """The ``worker`` command and its options."""
    parser = subparsers.add_parser(
        "worker",
        help="poll a real SQS queue and store its messages (ECS, Kubernetes, a VM)",
        description="Long-poll QUEUE_URL like Lambda's event source mapping and hand each batch"
        " to the Lambda handler; stores per the TRIGGERSQS_* settings. SIGINT/SIGTERM finish the"
        " batch in hand and exit 0. Credentials and region come from the usual AWS sources.",
    )
    parser.add_argument("--queue-url", required=True, help="the queue to consume")
    parser.add_argument(
        "--endpoint-url",
        default=None,
        help="another SQS endpoint (default: AWS, or AWS_ENDPOINT_URL_SQS when set)",
    )
    parser.add_argument("--region", default=None, help="default: from the queue URL or AWS_REGION")
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
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Poll until SIGINT or SIGTERM."""
    from triggersqs.bootstrap import require_role
    from triggersqs.local.sqs_client import SqsEndpoint
    from triggersqs.local.worker import run_worker

    settings = options.settings()
    require_role(settings, "sqs", command="worker")
    configure_logging(settings.log_level)
    metrics = None
    if args.metrics_port is not None:
        from triggersqs.local.worker_metrics import WorkerMetrics

        if not 1 <= args.metrics_port <= 65535:
            raise UsageError("--metrics-port must be 1..65535")

        metrics = WorkerMetrics()

    def handler() -> Handler:
        from triggersqs.bootstrap import build_runtime

        runtime = build_runtime(settings, observer=metrics)
        # Build the store now, so a store that cannot work (no table, no region) is refused at
        # start-up instead of failing every batch into the DLQ.
        try:
            runtime.store.check()
        except StorageError as exc:  # down for now: records fail and come back until it is up
            print(f"triggersqs: warning: the store does not answer yet: {exc}", file=sys.stderr)
        return runtime

    run_worker(
        SqsEndpoint(args.endpoint_url, options.queue_region(args)),
        args.queue_url,
        handler,
        options.poller_settings(args),
        concurrency=args.concurrency,
        metrics=metrics,
        metrics_address=None if metrics is None else (args.metrics_host, args.metrics_port),
    )
    return 0
