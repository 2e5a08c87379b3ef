"""Retention: the expiry an item carries, and when the SQLite store prunes and how much."""

from __future__ import annotations

from triggersqs.storage.retention import (
    PRUNE_EVERY_SAVES,
    PRUNE_EVERY_US,
    PRUNE_MIN_ROWS,
    SECONDS_PER_DAY,
    PruneSchedule,
    Retention,
)

NOW_US = 1_800_000_000_123_456


def test_an_item_expires_its_retention_in_days_after_it_was_stored_and_0_never() -> None:
    assert Retention(30).expires_at(NOW_US) == 1_800_000_000 + 30 * SECONDS_PER_DAY
    assert Retention(0).expires_at(NOW_US) is None


def test_the_first_save_prunes_then_every_64th_with_twice_the_rows_saved_since() -> None:
    # GIVEN a fresh schedule, and saves of 10 rows on a clock that barely moves
    schedule = PruneSchedule()

    # WHEN saves are counted
    budgets = [schedule.due(NOW_US + n, 10) for n in range(1 + 2 * PRUNE_EVERY_SAVES)]

    # THEN the first save prunes, then each 64th, looking at twice the 640 rows saved since
    due = [(n, budget) for n, budget in enumerate(budgets) if budget]
    assert due == [
        (0, PRUNE_MIN_ROWS),
        (PRUNE_EVERY_SAVES, 2 * 10 * PRUNE_EVERY_SAVES),
        (2 * PRUNE_EVERY_SAVES, 2 * 10 * PRUNE_EVERY_SAVES),
    ]


def test_a_minute_of_the_stores_clock_makes_a_prune_due_however_few_the_saves() -> None:
    schedule = PruneSchedule()
    schedule.due(NOW_US, 1)

    assert schedule.due(NOW_US + PRUNE_EVERY_US - 1, 1) == 0
    assert schedule.due(NOW_US + PRUNE_EVERY_US, 1) == PRUNE_MIN_ROWS
