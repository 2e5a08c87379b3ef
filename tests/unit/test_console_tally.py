"""The console's outcome counts (local/console/tally.py): what the batch observer port reports,
added up since start, and a rate over the last seconds."""

from __future__ import annotations

from tests.support.clock import FakeClock
from tests.support.factories import envelope
from triggersqs.core.outcomes import BatchReport, Outcome, RecordResult
from triggersqs.local.console.tally import OutcomeTally


def report(*outcomes: Outcome) -> BatchReport:
    return BatchReport([RecordResult(f"m{i}", outcome) for i, outcome in enumerate(outcomes)])


def test_the_tally_adds_up_each_outcome_of_every_batch() -> None:
    # GIVEN a tally, told of two batches
    tally = OutcomeTally(FakeClock(100.0))
    tally.batch_processed([envelope()] * 3, report(Outcome.STORED, Outcome.STORED, Outcome.FAILED))
    tally.batch_processed([envelope()] * 2, report(Outcome.REJECTED, Outcome.DUPLICATE))

    # WHEN it is read
    counts = tally.read().counts

    # THEN each outcome is counted, and every outcome shows even at zero
    assert counts == {"stored": 2, "duplicate": 1, "rejected": 1, "failed": 1}
    assert OutcomeTally(FakeClock(0.0)).read().counts == dict.fromkeys(
        ("stored", "duplicate", "rejected", "failed"), 0
    )


def test_the_rate_counts_only_the_last_window_and_forgets_older_batches() -> None:
    # GIVEN a tally with a 10 s window, 20 s after start
    clock = FakeClock(1000.0)
    tally = OutcomeTally(clock, window=10.0)
    clock.advance(20.0)
    # WHEN 30 records arrive now and 50 arrived 15 s earlier (out of the window)
    clock.advance(-15.0)
    tally.batch_processed([], report(*[Outcome.STORED] * 50))
    clock.advance(15.0)
    tally.batch_processed([], report(*[Outcome.STORED] * 30))

    # THEN the rate is 30 records over the window
    assert tally.read().rate_per_second == 3.0
    # AND once the window passes, it falls to zero while the counts stay
    clock.advance(10.0)
    assert tally.read().rate_per_second == 0.0
    assert tally.read().counts["stored"] == 80


def test_early_on_the_rate_is_over_the_time_since_start() -> None:
    # GIVEN a tally 2 s old, told of 10 records
    clock = FakeClock(0.0)
    tally = OutcomeTally(clock, window=10.0)
    clock.advance(2.0)
    tally.batch_processed([], report(*[Outcome.STORED] * 10))

    # THEN the rate is over those 2 s, not the whole window
    assert tally.read().rate_per_second == 5.0
