"""What every store shares (storage/common.py): stored_at stamps that never decrease, and the
pre-check of a save."""

from __future__ import annotations

from tests.support.clock import FakeClock
from tests.support.factories import new_record, new_rejection
from triggersqs.core.clock import Deadline
from triggersqs.core.ports import SaveStatus
from triggersqs.core.records import Incoming
from triggersqs.storage.common import Stamps, decided_before_writing


def test_a_shared_stamp_follows_the_clock_but_never_goes_below_an_earlier_one_or_the_floor() -> (
    None
):
    # GIVEN stamps taken while the clock moves forward, then steps back
    clock = FakeClock(1_000_000)
    stamps = Stamps(clock)
    first = stamps.shared()
    clock.now += 10
    second = stamps.shared()
    clock.now -= 500
    third = stamps.shared()

    # THEN a stamp follows the clock, repeats the last one when the clock is behind, and is
    # raised to the floor (another writer's latest stamp) when that is later still
    assert (first, second, third) == (1_000_000, 1_000_010, 1_000_010)
    assert stamps.shared(floor=2_000_000) == 2_000_000
    assert stamps.shared() == 2_000_000


def test_distinct_stamps_increase_each_above_every_stamp_before_even_when_the_clock_stands() -> (
    None
):
    clock = FakeClock(1_000_000)
    stamps = Stamps(clock)

    first = stamps.distinct(3)
    again = stamps.distinct(2)
    clock.now -= 1_000
    after_step_back = stamps.distinct(1)

    assert list(first) == [1_000_000, 1_000_001, 1_000_002]
    assert list(again) == [1_000_003, 1_000_004]
    assert list(after_step_back) == [1_000_005]


def test_once_the_deadline_has_come_every_item_fails_and_before_it_none_is_refused() -> None:
    items: list[Incoming] = [new_record(), new_rejection()]

    assert (
        decided_before_writing(items, Deadline(at=5.0, clock=lambda: 5.0))
        == [SaveStatus.FAILED] * 2
    )
    assert decided_before_writing(items, Deadline(at=5.0, clock=lambda: 4.9)) is None
    assert decided_before_writing(items, None) is None


def test_a_save_of_nothing_is_decided_without_the_store_even_past_the_deadline() -> None:
    assert decided_before_writing([], None) == []
    assert decided_before_writing([], Deadline(at=5.0, clock=lambda: 6.0)) == []
