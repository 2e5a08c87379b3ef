"""The deadline of a write: it reads the clock it was given, and only that one."""

from __future__ import annotations

from tests.support.clock import FakeClock
from triggersqs.core.clock import Deadline, expired


def test_a_deadline_counts_down_on_its_own_clock_and_expires_at_its_moment() -> None:
    # GIVEN a deadline 2 s ahead on a clock far from the real one
    clock = FakeClock(1000.0)
    deadline = Deadline(at=clock.now + 2, clock=clock)
    remaining: list[float] = []
    expiries: list[bool] = []

    # WHEN its clock moves to the moment, and past it
    for step in (0, 2, 0.5):
        clock.now += step
        remaining.append(deadline.remaining())
        expiries.append(deadline.expired())

    # THEN it expires exactly at its moment, and its remaining time goes negative after
    assert remaining == [2, 0, -0.5]
    assert expiries == [False, True, True]


def test_no_deadline_never_expires() -> None:
    assert expired(None) is False
    assert expired(Deadline(at=5.0, clock=lambda: 4.0)) is False
    assert expired(Deadline(at=5.0, clock=lambda: 5.0)) is True


def test_deadlines_are_equal_by_their_moment_whatever_their_clock() -> None:
    assert Deadline(at=5.0, clock=lambda: 0.0) == Deadline(at=5.0)
