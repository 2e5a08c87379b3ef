"""Time, injected: the clock types the core and the stores take, and the deadline of a write.

Nothing here reads the time unless it is given no clock; tests hand in clocks they move
themselves, so no test patches a module's ``time``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

Monotonic = Callable[[], float]
"""Seconds on a clock that never goes back (``time.monotonic``); only differences mean anything."""

WallClock = Callable[[], int]
"""The current time in epoch microseconds (``records.now_us``): what ``stored_at`` is stamped by."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """A moment on a monotonic clock after which no new write starts (the Lambda time budget)."""

    at: float
    """The moment, on ``clock``."""
    clock: Monotonic = field(default=time.monotonic, compare=False, repr=False)
    """The clock ``at`` is on: whoever builds the deadline passes its own, so all agree."""

    def remaining(self) -> float:
        """Seconds left before the deadline; negative once it has passed."""
        return self.at - self.clock()

    def expired(self) -> bool:
        """Whether the deadline has come: from then on, no new write may start."""
        return self.clock() >= self.at


def expired(deadline: Deadline | None) -> bool:
    """Whether ``deadline`` has come; no deadline never does."""
    return deadline is not None and deadline.expired()
