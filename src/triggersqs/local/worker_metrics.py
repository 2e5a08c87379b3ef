"""Prometheus metrics of ``triggersqs worker --metrics-port``: outcomes by type, batches, poll and
delete errors, messages in flight and the age of the oldest message received (the names and how
to read them: docs/operations.md). One registry per worker, served on its own port."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from triggersqs.core.outcomes import BatchReport, Outcome
from triggersqs.core.records import Envelope
from triggersqs.errors import ConfigurationError

if TYPE_CHECKING:
    from triggersqs.local.poller import Poller

BATCH_SECONDS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class WorkerMetrics:
    """A batch observer (core/observe.py) and the pollers' events, as Prometheus metrics."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self._wall_clock = wall_clock
        self._pollers: list[Poller] = []
        r = self.registry
        self.records = Counter(
            "triggersqs_records", "Records handled, by outcome.", ["outcome"], registry=r
        )
        for outcome in Outcome:
            self.records.labels(outcome.value)  # every outcome shows, at 0 until it happens
        self.returned = Counter(
            "triggersqs_records_returned_to_queue",
            "Records the handler returned to the queue (failed, or rejected under retry).",
            registry=r,
        )
        self.batches = Counter("triggersqs_batches", "Batches handed to the handler.", registry=r)
        self.batch_seconds = Histogram(
            "triggersqs_batch_duration_seconds",
            "Time to process one batch.",
            buckets=BATCH_SECONDS,
            registry=r,
        )
        self.poll_errors = Counter(
            "triggersqs_poll_errors", "ReceiveMessage calls that failed.", registry=r
        )
        self.delete_errors = Counter(
            "triggersqs_delete_errors",
            "Acknowledged messages whose delete failed (SQS delivers them again: duplicates).",
            registry=r,
        )
        in_flight = Gauge(
            "triggersqs_messages_in_flight",
            "Messages received and not yet deleted or given back.",
            registry=r,
        )
        in_flight.set_function(lambda: sum(p.keeper.held for p in self._pollers))
        self.oldest_age = Gauge(
            "triggersqs_oldest_message_age_seconds",
            "Age (from SentTimestamp) of the oldest message of the latest batch.",
            registry=r,
        )

    def watch(self, pollers: Sequence[Poller]) -> None:
        """Count the messages these pollers have in hand."""
        self._pollers.extend(pollers)

    def batch_processed(self, envelopes: Sequence[Envelope], report: BatchReport) -> None:
        """Count a batch's outcomes (the BatchObserver port)."""
        for outcome, count in report.counts.items():
            self.records.labels(outcome.value).inc(count)
        self.returned.inc(len(report.failed_ids))
        self.batches.inc()
        self.batch_seconds.observe(report.duration_ms / 1000)
        sent = [e.sent_at_ms for e in envelopes if e.sent_at_ms is not None]
        if sent:
            self.oldest_age.set(max(self._wall_clock() - min(sent) / 1000, 0.0))

    def receive_failed(self) -> None:
        """A ReceiveMessage call failed (the PollerEvents port)."""
        self.poll_errors.inc()

    def delete_failed(self, count: int) -> None:
        """``count`` deletes failed (the PollerEvents port)."""
        self.delete_errors.inc(count)

    def serve(self, port: int, host: str) -> Callable[[], None]:
        """Serve ``/metrics`` on ``host:port`` in a thread; returns how to stop it."""
        from prometheus_client import start_http_server

        try:
            server, thread = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            raise ConfigurationError(f"cannot serve metrics on {host}:{port}: {exc}") from None

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(5)

        return stop
