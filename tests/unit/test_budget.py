"""The client ladder: every write takes the widest client whose worst case ends before its
deadline, and none when no client can."""

from __future__ import annotations

import pytest

from triggersqs.core.clock import Deadline
from triggersqs.storage.budget import LADDER, Budgeted, CallBudget


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_a_rungs_worst_case_counts_every_attempt_timing_out_and_the_longest_waits() -> None:
    # 3 x (1 + 3) s of attempts, then waits of at most 1 and 2 s, each with 5 s of retry-after
    assert LADDER[0].worst_case == pytest.approx(12 + (1 + 5) + (2 + 5))
    assert LADDER[1].worst_case == pytest.approx(2 * 1.5 + (1 + 5))
    assert LADDER[2].worst_case == pytest.approx(0.75)
    assert CallBudget(0.1, 0.2, 1).worst_case == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("left", "chosen"),
    [
        (60.0, "wide"),
        (25.0, "wide"),
        (24.9, "middle"),
        (9.0, "middle"),
        (1.0, "narrow"),
        (0.75, "narrow"),
        (0.74, None),
        (0.0, None),
        (-1.0, None),
    ],
)
def test_the_widest_client_that_fits_in_the_time_left_is_chosen(
    left: float, chosen: str | None
) -> None:
    # GIVEN one client per rung, and a deadline ``left`` seconds away
    clock = Clock()
    clients = Budgeted(list(zip(LADDER, ["wide", "middle", "narrow"], strict=True)))
    deadline = Deadline(clock.now + left, clock)

    # WHEN a write asks for a client / THEN it gets the widest that ends in time, or none
    assert clients.within(deadline) == chosen


def test_without_a_deadline_the_widest_client_serves() -> None:
    clients = Budgeted(list(zip(LADDER, ["wide", "middle", "narrow"], strict=True)))

    assert clients.within(None) == clients.default == "wide"


def test_a_lone_client_of_unknown_budget_serves_until_the_deadline_comes() -> None:
    # GIVEN a client given alone (tests and tools build stores this way)
    clock = Clock()
    lone = Budgeted.of("client")

    # WHEN asked with time left, then with none / THEN it serves, then it does not
    assert lone.within(Deadline(clock.now + 0.01, clock)) == "client"
    assert lone.within(Deadline(clock.now, clock)) is None
    assert Budgeted[str].of(lone) is lone
