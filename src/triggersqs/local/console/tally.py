"""The console's outcome counts: a batch observer (core/observe.py) that adds up each batch's
outcomes since the process started, and the rate of records per second over the last seconds."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from triggersqs.core.clock import Monotonic
from triggersqs.core.outcomes import BatchReport, Outcome
from triggersqs.core.records import Envelope

RATE_WINDOW_SECONDS: Final = 10.0


@dataclass(frozen=True, slots=True)
class OutcomeCounts:
    """Records per outcome since start, and records per second lately."""

    counts: dict[str, int]
    rate_per_second: float


class OutcomeTally:
    """Counts what the batch processor reports; called from poller threads, read by the API."""

    def __init__(
        self, clock: Monotonic = time.monotonic, window: float = RATE_WINDOW_SECONDS
    ) -> None:
        self._clock = clock
        self._window = window
        self._started = clock()
        self._lock = threading.Lock()
        self._counts: Counter[Outcome] = Counter()
        self._recent: deque[tuple[float, int]] = deque()  # (when, records) per batch

    def batch_processed(self, envelopes: Sequence[Envelope], report: BatchReport) -> None:
        """Add a batch's outcomes (the BatchObserver port)."""
        now = self._clock()
        with self._lock:
            self._counts.update(report.counts)
            self._recent.append((now, len(report.results)))
            self._forget(now)

    def read(self) -> OutcomeCounts:
        """The counts now; the rate over the window (or since start, when that is shorter)."""
        now = self._clock()
        with self._lock:
            self._forget(now)
            recent = sum(count for _, count in self._recent)
            counts = {outcome.value: self._counts[outcome] for outcome in Outcome}
        span = min(self._window, max(now - self._started, 1.0))
        return OutcomeCounts(counts, round(recent / span, 2))

    def _forget(self, now: float) -> None:
        while self._recent and self._recent[0][0] <= now - self._window:
            self._recent.popleft()
