"""The one fake clock of the tests: it moves only when told to, or by a fixed step per reading."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

N = TypeVar("N", int, float)


class FakeClock(Generic[N]):
    """A clock that reads ``start`` and then moves only by :meth:`advance`, :meth:`sleep` (which
    never waits), a ``step`` added at each reading, or ``now`` set by hand.

    Seconds as floats make a monotonic clock (``FakeClock(1000.0)``; from the real one,
    ``FakeClock(time.monotonic(), step=0.4)``); whole epoch microseconds make a store's wall
    clock (``FakeClock(1_764_000_000_000_000)``), so ``clock.now += 10`` is exactly 10 µs later.
    Safe to read from several threads (the poller's keeper reads it beside its main loop).
    """

    def __init__(self, start: N, *, step: N | int = 0) -> None:
        self.now: N = start
        self.step: N | int = step
        self.slept: list[N] = []
        """Every pause :meth:`sleep` was asked for, in order."""
        self._lock = threading.Lock()

    def __call__(self) -> N:
        with self._lock:
            self.now = self.now + self.step
            return self.now

    def advance(self, amount: N) -> None:
        """Move the clock forward by ``amount``."""
        with self._lock:
            self.now = self.now + amount

    def sleep(self, amount: N) -> None:
        """Record the pause and move the clock forward by it, at once."""
        self.slept.append(amount)
        self.advance(amount)
