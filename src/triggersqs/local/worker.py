"""``triggersqs worker``: pollers against a real queue, storing per the settings.

Several workers (or ``--concurrency`` pollers in one) are competing consumers of one queue; the
store's idempotency by message id keeps every message stored once among them.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

from triggersqs.errors import ConfigurationError
from triggersqs.local.poller import Handler, Poller, PollerSettings
from triggersqs.local.sqs_client import SqsEndpoint, open_queue
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from triggersqs.local.worker_metrics import WorkerMetrics

logger = logging.getLogger("triggersqs.worker")


def start_pollers(
    endpoint: SqsEndpoint,
    queue: QueueInfo,
    handler: Handler,
    settings: PollerSettings,
    *,
    concurrency: int,
    stop: threading.Event,
    metrics: WorkerMetrics | None = None,
) -> list[threading.Thread]:
    """``concurrency`` poller threads sharing ``stop``; each has its own SQS client; their
    errors and messages in hand counted by ``metrics``."""
    if not 1 <= concurrency <= 100:
        raise ConfigurationError("concurrency must be 1..100")
    settings.check(queue)
    threads = []
    for number in range(1, concurrency + 1):
        poller = Poller(endpoint.client(), queue, handler, settings, stop=stop, events=metrics)
        if metrics is not None:
            metrics.watch([poller])
        thread = threading.Thread(target=poller.run, name=f"poller-{number}")
        thread.start()
        threads.append(thread)
    return threads


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT or SIGTERM while the block runs (main thread only)."""

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("stopping: finishing the batch in hand", extra={"signal": signum})
        stop.set()

    previous: dict[signal.Signals, Any] = {
        sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_worker(
    endpoint: SqsEndpoint,
    queue_url: str,
    handler_factory: Callable[[], Handler],
    settings: PollerSettings,
    *,
    concurrency: int = 1,
    metrics: WorkerMetrics | None = None,
    metrics_address: tuple[str, int] | None = None,
) -> None:
    """Poll ``queue_url`` until SIGINT or SIGTERM; returns once every poller has finished.
    With ``metrics_address``, ``metrics`` are served there meanwhile."""
    queue = open_queue(endpoint.client(), queue_url)
    settings.check(queue)
    stop = threading.Event()
    stop_metrics = (
        metrics.serve(metrics_address[1], metrics_address[0])
        if metrics is not None and metrics_address is not None
        else None
    )
    with stop_on_signals(stop):
        threads = start_pollers(
            endpoint,
            queue,
            handler_factory(),
            settings,
            concurrency=concurrency,
            stop=stop,
            metrics=metrics,
        )
        logger.info(
            "worker started",
            extra={
                "queue_url": queue_url,
                "pollers": concurrency,
                "batch_size": settings.batch_size,
            },
        )
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(0.2)
    if stop_metrics is not None:
        stop_metrics()
    logger.info("worker stopped")
