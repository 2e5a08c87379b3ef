"""Batch processing: every outcome, duplicates, the invalid-message policy, the allow-list, FIFO
order, the time budget, storage errors, and the partial batch response AWS expects."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.support.clock import FakeClock
from tests.support.factories import FIFO_QUEUE_ARN, QUEUE_ARN, body, envelope
from tests.support.fakes import BuggyStore, FakeWriter
from triggersqs.core.batch import BatchPolicy, BatchProcessor
from triggersqs.core.outcomes import BatchReport, Outcome
from triggersqs.core.ports import MessageWriter, RecordFilter
from triggersqs.core.records import Envelope, RejectionStatus
from triggersqs.storage.memory import MemoryStore
from triggersqs.storage.sqlite import SqliteStore

OTHER_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:somebody-else"
OTHER_FIFO_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:somebody-else.fifo"
NOT_JSON = "Test message."


def process(
    *envelopes: Envelope,
    store: MessageWriter | None = None,
    policy: BatchPolicy | None = None,
    clock: FakeClock[float] | None = None,
    remaining_ms: int | None = None,
) -> BatchReport:
    processor = BatchProcessor(
        store if store is not None else MemoryStore(),
        policy or BatchPolicy(),
        monotonic=clock or FakeClock(time.monotonic()),
    )
    return processor.process(list(envelopes), remaining_ms=remaining_ms)


def outcomes(report: BatchReport) -> list[Outcome]:
    return [result.outcome for result in report.results]


def failure_ids(report: BatchReport) -> list[str]:
    return [failure["itemIdentifier"] for failure in report.response()["batchItemFailures"]]


def assert_response_follows_aws_rules(report: BatchReport, batch: Sequence[Envelope]) -> None:
    """Only ids of the batch, each once, none empty."""
    ids = failure_ids(report)
    assert set(ids) <= {e.message_id for e in batch}
    assert len(ids) == len(set(ids))
    assert all(ids)


# -- each outcome ----------------------------------------------------------------------------------


def test_a_valid_message_is_stored_with_its_raw_body() -> None:
    # GIVEN a valid message with an extra field
    store = MemoryStore()
    raw = body("SetStatus", "c79da7ce8e5e", status="on")
    item = envelope(raw)

    # WHEN its batch is processed
    report = process(item, store=store)

    # THEN it is stored, acknowledged, and kept byte for byte
    assert outcomes(report) == [Outcome.STORED]
    assert report.response() == {"batchItemFailures": []}
    stored = store.get_record(item.message_id)
    assert stored is not None
    assert (stored.command, stored.client_id, stored.body) == ("SetStatus", "c79da7ce8e5e", raw)


def test_duplicate_message_is_stored_once() -> None:
    # GIVEN a message already stored by an earlier batch
    store = MemoryStore()
    item = envelope()
    process(item, store=store)

    # WHEN SQS delivers it again
    report = process(item, store=store)

    # THEN it is a duplicate, acknowledged, and the store still holds one record
    assert outcomes(report) == [Outcome.DUPLICATE]
    assert report.response() == {"batchItemFailures": []}
    assert len(store.list_records(RecordFilter(), after=None, limit=10).items) == 1


def test_a_duplicate_within_one_batch_is_stored_once() -> None:
    store = MemoryStore()
    first = envelope(body("First", "c1"))
    again = envelope(body("Second", "c1"), message_id=first.message_id)

    report = process(first, again, store=store)

    assert outcomes(report) == [Outcome.STORED, Outcome.DUPLICATE]
    assert report.response() == {"batchItemFailures": []}
    stored = store.get_record(first.message_id)
    assert stored is not None
    assert stored.command == "First"


def test_a_stored_message_rejected_later_under_the_same_id_is_a_duplicate() -> None:
    store = MemoryStore()
    item = envelope()
    process(item, store=store)

    report = process(envelope(NOT_JSON, message_id=item.message_id), store=store)

    assert outcomes(report) == [Outcome.DUPLICATE]
    assert store.get_rejection(item.message_id) is None


def test_an_invalid_message_is_kept_with_its_raw_body_and_reason() -> None:
    # GIVEN the default policy (TRIGGERSQS_INVALID_MESSAGES=store)
    store = MemoryStore()
    item = envelope(NOT_JSON)

    # WHEN a body that is not JSON arrives
    report = process(item, store=store)

    # THEN it is rejected, acknowledged, and kept in quarantine with why
    [result] = report.results
    assert (result.outcome, result.acknowledged) == (Outcome.REJECTED, True)
    assert result.reason is not None
    assert result.reason.startswith("body is not valid JSON")
    rejection = store.get_rejection(item.message_id)
    assert rejection is not None
    assert (rejection.body, rejection.reason) == (NOT_JSON, result.reason)
    assert store.get_record(item.message_id) is None
    assert report.response() == {"batchItemFailures": []}


def test_a_rejected_message_delivered_again_is_a_duplicate() -> None:
    store = MemoryStore()
    item = envelope(NOT_JSON)
    process(item, store=store)

    assert outcomes(process(item, store=store)) == [Outcome.DUPLICATE]


def test_an_invalid_message_is_returned_to_the_queue_under_the_retry_policy() -> None:
    # GIVEN TRIGGERSQS_INVALID_MESSAGES=retry
    store = MemoryStore()
    item = envelope('{"command": "SetStatus"}')

    # WHEN an invalid message arrives
    report = process(item, store=store, policy=BatchPolicy(retry_invalid=True))

    # THEN it is rejected but returned to the queue (to reach the DLQ)
    [result] = report.results
    assert (result.outcome, result.acknowledged) == (Outcome.REJECTED, False)
    assert result.reason == "client_id: Field required"
    assert failure_ids(report) == [item.message_id]
    # AND its reason is kept, found by its message id, marked as returned to the queue
    kept = store.get_rejection(item.message_id)
    assert kept is not None
    assert (kept.reason, kept.status) == (result.reason, RejectionStatus.RETURNED_TO_QUEUE)


def test_a_redelivered_invalid_message_goes_back_to_the_queue_again_under_retry() -> None:
    # GIVEN an invalid message already returned once under the retry policy
    store = MemoryStore()
    item = envelope("[1, 2]")
    retry = BatchPolicy(retry_invalid=True)
    process(item, store=store, policy=retry)

    # WHEN SQS delivers it again (same message id, next receive)
    again = process(
        envelope("[1, 2]", message_id=item.message_id, receive_count=2), store=store, policy=retry
    )

    # THEN it is not acknowledged as a duplicate: it is returned again, on its way to the DLQ
    [result] = again.results
    assert (result.outcome, result.acknowledged) == (Outcome.REJECTED, False)
    assert failure_ids(again) == [item.message_id]
    assert store.list_rejections(after=None, limit=10).items[0].status == "returned_to_queue"


def test_a_returned_invalid_message_in_a_fifo_batch_holds_back_the_records_after_it() -> None:
    # GIVEN the retry policy and a FIFO batch whose first message is invalid
    store = MemoryStore()
    bad = envelope("nope", queue_arn=FIFO_QUEUE_ARN, group="g")
    good = envelope(body(), queue_arn=FIFO_QUEUE_ARN, group="g")

    # WHEN it is processed
    report = process(bad, good, store=store, policy=BatchPolicy(retry_invalid=True))

    # THEN both go back to the queue, in order, and the valid one is not stored ahead of it
    assert failure_ids(report) == [bad.message_id, good.message_id]
    assert store.get_record(good.message_id) is None


def test_a_body_over_the_configured_limit_is_rejected() -> None:
    store = MemoryStore()
    item = envelope(body(pad="é" * 60))
    size = len(item.body.encode())

    report = process(item, store=store, policy=BatchPolicy(max_body_bytes=size - 1))

    assert outcomes(report) == [Outcome.REJECTED]
    assert report.results[0].reason == f"body is {size} bytes, above the limit of {size - 1} bytes"


def test_a_record_whose_body_is_not_a_string_is_rejected_with_its_reason() -> None:
    store = MemoryStore()
    item = Envelope("m-odd", QUEUE_ARN, "12", None, 1, defect="record has no string body")

    report = process(item, store=store)

    assert outcomes(report) == [Outcome.REJECTED]
    rejection = store.get_rejection("m-odd")
    assert rejection is not None
    assert rejection.reason == "record has no string body"


def test_a_body_with_an_unpaired_surrogate_is_kept_as_rejected_beside_the_rest_of_its_batch() -> (
    None
):
    # GIVEN a body holding a lone surrogate ("\ud800" in the event JSON, decoded by the runtime)
    store = MemoryStore()
    odd = envelope(json.loads(r'"{\"command\": \"\ud800\", \"client_id\": \"c1\"}"'))
    fine = envelope()

    # WHEN it arrives in a batch with a valid message
    report = process(odd, fine, store=store)

    # THEN it is rejected and kept (its surrogate escaped), and the valid one is stored
    assert outcomes(report) == [Outcome.REJECTED, Outcome.STORED]
    rejection = store.get_rejection(odd.message_id)
    assert rejection is not None
    assert rejection.reason == "body is not valid Unicode text"
    assert rejection.body == '{"command": "\\ud800", "client_id": "c1"}'
    assert rejection.body_bytes == len(rejection.body)


def test_a_mixed_batch_gives_each_record_exactly_one_outcome_in_batch_order() -> None:
    store = MemoryStore()
    seen = envelope()
    process(seen, store=store)
    batch = [envelope(), seen, envelope(NOT_JSON), envelope(queue_arn=OTHER_QUEUE_ARN)]

    report = process(*batch, store=store, policy=BatchPolicy(allowed_queues=frozenset({QUEUE_ARN})))

    assert [r.message_id for r in report.results] == [e.message_id for e in batch]
    assert outcomes(report) == [
        Outcome.STORED,
        Outcome.DUPLICATE,
        Outcome.REJECTED,
        Outcome.FAILED,
    ]
    assert dict(report.counts) == dict.fromkeys(Outcome, 1)
    assert failure_ids(report) == [batch[3].message_id]


# -- the allow-list --------------------------------------------------------------------------------


def test_a_record_from_a_queue_not_allowed_is_failed_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # GIVEN an allow-list with one queue
    store = MemoryStore()
    policy = BatchPolicy(allowed_queues=frozenset({QUEUE_ARN}))
    allowed, stranger = envelope(), envelope(queue_arn=OTHER_QUEUE_ARN)

    # WHEN a batch holds a record from another queue
    with caplog.at_level(logging.INFO, logger="triggersqs"):
        report = process(allowed, stranger, store=store, policy=policy)

    # THEN that record fails (never silently acknowledged), is not stored, and is logged
    assert outcomes(report) == [Outcome.STORED, Outcome.FAILED]
    assert failure_ids(report) == [stranger.message_id]
    assert store.get_record(stranger.message_id) is None
    assert store.get_rejection(stranger.message_id) is None
    [line] = [r for r in caplog.records if getattr(r, "message_id", None) == stranger.message_id]
    assert line.levelno == logging.WARNING
    assert getattr(line, "outcome", None) == "failed"
    assert OTHER_QUEUE_ARN in str(getattr(line, "reason", ""))
    assert "TRIGGERSQS_QUEUE_ARNS" in str(getattr(line, "reason", ""))


def test_an_invalid_record_from_a_queue_not_allowed_is_failed_not_rejected() -> None:
    store = MemoryStore()
    stranger = envelope(NOT_JSON, queue_arn=OTHER_QUEUE_ARN)

    report = process(
        stranger, envelope(), store=store, policy=BatchPolicy(allowed_queues=frozenset({QUEUE_ARN}))
    )

    assert outcomes(report)[0] is Outcome.FAILED
    assert store.get_rejection(stranger.message_id) is None


def test_a_record_without_a_queue_is_failed_when_an_allow_list_is_set() -> None:
    item = envelope(queue_arn="")

    report = process(item, envelope(), policy=BatchPolicy(allowed_queues=frozenset({QUEUE_ARN})))

    assert outcomes(report)[0] is Outcome.FAILED
    assert "(none)" in (report.results[0].reason or "")


def test_an_empty_allow_list_accepts_any_queue() -> None:
    batch = [
        envelope(queue_arn=OTHER_QUEUE_ARN),
        envelope(queue_arn=QUEUE_ARN),
        envelope(queue_arn=""),
    ]

    report = process(*batch)

    assert outcomes(report) == [Outcome.STORED] * 3


# -- FIFO ------------------------------------------------------------------------------------------


def test_on_a_fifo_queue_every_record_after_the_first_failure_fails() -> None:
    # GIVEN a FIFO batch whose second record comes from a queue not allowed
    store = MemoryStore()
    policy = BatchPolicy(allowed_queues=frozenset({FIFO_QUEUE_ARN}))
    batch = [
        envelope(queue_arn=FIFO_QUEUE_ARN, group="g"),
        envelope(queue_arn=OTHER_FIFO_QUEUE_ARN, group="g"),
        envelope(queue_arn=FIFO_QUEUE_ARN, group="g"),
        envelope(NOT_JSON, queue_arn=FIFO_QUEUE_ARN, group="g"),
    ]

    # WHEN it is processed
    report = process(*batch, store=store, policy=policy)

    # THEN the first is stored and every record from the failure on is returned, unwritten
    assert outcomes(report) == [Outcome.STORED] + [Outcome.FAILED] * 3
    assert failure_ids(report) == [e.message_id for e in batch[1:]]
    assert "earlier record of its message group failed" in (report.results[2].reason or "")
    for later in batch[2:]:
        assert store.get_record(later.message_id) is None
        assert store.get_rejection(later.message_id) is None


def test_on_a_standard_queue_a_failure_does_not_hold_back_later_records() -> None:
    policy = BatchPolicy(allowed_queues=frozenset({QUEUE_ARN}))
    batch = [envelope(queue_arn=OTHER_QUEUE_ARN), envelope(), envelope()]

    report = process(*batch, policy=policy)

    assert outcomes(report) == [Outcome.FAILED, Outcome.STORED, Outcome.STORED]


def test_on_a_fifo_queue_a_message_returned_under_the_retry_policy_holds_back_later_ones() -> None:
    # GIVEN TRIGGERSQS_INVALID_MESSAGES=retry and a FIFO batch with an invalid second message
    store = MemoryStore()
    batch = [
        envelope(queue_arn=FIFO_QUEUE_ARN, group="g"),
        envelope(NOT_JSON, queue_arn=FIFO_QUEUE_ARN, group="g"),
        envelope(queue_arn=FIFO_QUEUE_ARN, group="g"),
    ]

    # WHEN processed
    report = process(*batch, store=store, policy=BatchPolicy(retry_invalid=True))

    # THEN the invalid one goes back to the queue, and so does the one behind it
    assert outcomes(report) == [Outcome.STORED, Outcome.REJECTED, Outcome.FAILED]
    assert failure_ids(report) == [batch[1].message_id, batch[2].message_id]
    assert store.get_record(batch[2].message_id) is None


def test_on_a_fifo_queue_rejected_and_duplicate_records_do_not_hold_back_later_ones() -> None:
    store = MemoryStore()
    seen = envelope(queue_arn=FIFO_QUEUE_ARN, group="g")
    process(seen, store=store)
    batch = [
        seen,
        envelope(NOT_JSON, queue_arn=FIFO_QUEUE_ARN, group="g"),
        envelope(queue_arn=FIFO_QUEUE_ARN),
    ]

    report = process(*batch, store=store)

    assert outcomes(report) == [Outcome.DUPLICATE, Outcome.REJECTED, Outcome.STORED]
    assert report.response() == {"batchItemFailures": []}


def test_on_a_fifo_queue_the_store_writes_in_order_and_stops_at_its_first_failure() -> None:
    # GIVEN a store that fails the second item it is asked to write
    store = FakeWriter(fail_at=1)
    batch = [envelope(queue_arn=FIFO_QUEUE_ARN, group="g") for _ in range(4)]

    # WHEN a FIFO batch is processed
    report = process(*batch, store=store)

    # THEN the store was asked for an ordered write, and everything from the failure on failed
    assert [ordered for _ids, ordered, _deadline in store.saves] == [True]
    assert outcomes(report) == [Outcome.STORED] + [Outcome.FAILED] * 3
    assert failure_ids(report) == [e.message_id for e in batch[1:]]
    assert [store.inner.get_record(e.message_id) is not None for e in batch] == [
        True,
        False,
        False,
        False,
    ]


def test_on_a_fifo_queue_a_failure_holds_back_only_the_later_records_of_its_group() -> None:
    # GIVEN a FIFO batch mixing groups a and b (AWS documents that one batch can), whose second
    # record (group a) comes from a queue not allowed
    policy = BatchPolicy(allowed_queues=frozenset({FIFO_QUEUE_ARN}))
    batch = [
        envelope(queue_arn=FIFO_QUEUE_ARN, group="a"),
        envelope(queue_arn=OTHER_FIFO_QUEUE_ARN, group="a"),
        envelope(queue_arn=FIFO_QUEUE_ARN, group="b"),
        envelope(queue_arn=FIFO_QUEUE_ARN, group="a"),
        envelope(queue_arn=FIFO_QUEUE_ARN, group="b"),
    ]

    # WHEN it is processed
    report = process(*batch, policy=policy)

    # THEN group a waits from its failure on; group b moves on
    assert outcomes(report) == [
        Outcome.STORED,
        Outcome.FAILED,
        Outcome.STORED,
        Outcome.FAILED,
        Outcome.STORED,
    ]
    assert failure_ids(report) == [batch[1].message_id, batch[3].message_id]


def test_on_a_fifo_queue_a_failed_write_holds_back_only_the_later_records_of_its_group() -> None:
    # GIVEN a store that fails the second item (group a) of a FIFO batch mixing groups
    store = FakeWriter(fail_at=1)
    groups = ["a", "a", "b", "a", "b"]
    batch = [envelope(queue_arn=FIFO_QUEUE_ARN, group=group) for group in groups]

    report = process(*batch, store=store)

    assert outcomes(report) == [
        Outcome.STORED,
        Outcome.FAILED,
        Outcome.STORED,
        Outcome.FAILED,
        Outcome.STORED,
    ]


def test_on_a_standard_queue_a_failed_write_fails_only_its_own_record() -> None:
    store = FakeWriter(fail_at=1)
    batch = [envelope() for _ in range(3)]

    report = process(*batch, store=store)

    assert [ordered for _ids, ordered, _deadline in store.saves] == [False]
    assert outcomes(report) == [Outcome.STORED, Outcome.FAILED, Outcome.STORED]
    assert failure_ids(report) == [batch[1].message_id]


def test_on_a_fifo_queue_a_failure_first_fails_the_whole_batch() -> None:
    policy = BatchPolicy(allowed_queues=frozenset({FIFO_QUEUE_ARN}))
    batch = [envelope(queue_arn=OTHER_FIFO_QUEUE_ARN), envelope(queue_arn=FIFO_QUEUE_ARN)]

    report = process(*batch, policy=policy)

    assert report.all_failed
    assert failure_ids(report) == [e.message_id for e in batch]


# -- the time budget -------------------------------------------------------------------------------


def test_a_batch_with_time_to_spare_is_processed_whole() -> None:
    store = FakeWriter()
    clock = FakeClock(time.monotonic(), step=0.001)
    batch = [envelope() for _ in range(5)]

    report = process(*batch, store=store, clock=clock, remaining_ms=60_000)

    assert outcomes(report) == [Outcome.STORED] * 5
    [(_ids, _ordered, deadline)] = store.saves
    assert deadline is not None


def test_a_batch_arriving_with_less_than_the_margin_left_fails_without_touching_the_store() -> None:
    # GIVEN 500 ms left and a 1000 ms safety margin
    store = FakeWriter()
    batch = [envelope() for _ in range(3)]

    # WHEN the batch is processed
    report = process(*batch, store=store, policy=BatchPolicy(time_margin_ms=1000), remaining_ms=500)

    # THEN every record is returned to the queue, and the store was never asked to write
    assert outcomes(report) == [Outcome.FAILED] * 3
    assert all("time budget ran out" in (r.reason or "") for r in report.results)
    assert failure_ids(report) == [e.message_id for e in batch]
    assert store.saves == []


def test_records_left_when_the_time_budget_runs_out_are_failed_and_none_reported_stored() -> None:
    # GIVEN 2 s left, a 1 s margin, and a clock that moves 0.4 s each time it is read: the
    # deadline passes while the third record is examined
    store = FakeWriter()
    clock = FakeClock(time.monotonic(), step=0.4)
    batch = [envelope() for _ in range(5)]

    # WHEN the batch is processed
    report = process(
        *batch, store=store, clock=clock, policy=BatchPolicy(time_margin_ms=1000), remaining_ms=2000
    )

    # THEN processing stopped: nothing was written, and every record goes back to the queue
    assert store.saves == []
    assert outcomes(report) == [Outcome.FAILED] * 5
    assert failure_ids(report) == [e.message_id for e in batch]
    assert not any(r.acknowledged for r in report.results)


def test_time_running_out_before_the_write_fails_the_records_waiting_for_it() -> None:
    # GIVEN a deadline that passes after both records are examined but before the write
    store = FakeWriter()
    clock = FakeClock(time.monotonic(), step=0.4)
    batch = [envelope(), envelope(NOT_JSON)]

    report = process(
        *batch, store=store, clock=clock, policy=BatchPolicy(time_margin_ms=1000), remaining_ms=2000
    )

    assert store.saves == []
    assert outcomes(report) == [Outcome.FAILED, Outcome.FAILED]
    assert store.inner.get_rejection(batch[1].message_id) is None


def test_without_a_time_budget_the_clock_is_not_a_limit() -> None:
    clock = FakeClock(time.monotonic(), step=3600.0)

    report = process(envelope(), envelope(), clock=clock, remaining_ms=None)

    assert outcomes(report) == [Outcome.STORED, Outcome.STORED]


def test_the_store_is_given_the_deadline_the_margin_leaves() -> None:
    store = FakeWriter()
    clock = FakeClock(time.monotonic())
    start = clock.now

    process(
        envelope(),
        store=store,
        clock=clock,
        policy=BatchPolicy(time_margin_ms=2500),
        remaining_ms=10_000,
    )

    [(_ids, _ordered, deadline)] = store.saves
    assert deadline is not None
    assert deadline.at == pytest.approx(start + 7.5)
    assert deadline.clock is clock  # the store reads the processor's clock, not its own


# -- storage errors --------------------------------------------------------------------------------


def test_a_storage_error_fails_every_record_it_touched_and_reports_none_stored() -> None:
    # GIVEN a store that cannot be reached
    store = FakeWriter(down=True)
    batch = [envelope(), envelope(NOT_JSON), envelope()]

    # WHEN a batch of valid and invalid messages is processed
    report = process(*batch, store=store)

    # THEN every record the write touched failed, with the store's error as the reason
    assert outcomes(report) == [Outcome.FAILED] * 3
    assert all((r.reason or "").startswith("store error: ") for r in report.results)
    assert "the store is down" in (report.results[0].reason or "")
    assert failure_ids(report) == [e.message_id for e in batch]
    assert report.counts[Outcome.STORED] == 0
    assert report.all_failed


def test_a_storage_error_leaves_outcomes_decided_before_the_write_alone() -> None:
    store = FakeWriter(down=True)
    policy = BatchPolicy(allowed_queues=frozenset({QUEUE_ARN}), retry_invalid=True)
    batch = [envelope(queue_arn=OTHER_QUEUE_ARN), envelope(NOT_JSON), envelope()]

    report = process(*batch, store=store, policy=policy)

    assert outcomes(report) == [Outcome.FAILED, Outcome.REJECTED, Outcome.FAILED]
    assert "TRIGGERSQS_QUEUE_ARNS" in (report.results[0].reason or "")
    assert (report.results[1].reason or "").startswith("body is not valid JSON")
    assert (report.results[2].reason or "").startswith("store error: ")
    # The invalid message's reason was to be kept too (retry keeps it): the write tried both.
    assert [ids for ids, _ordered, _deadline in store.saves] == [
        [batch[1].message_id, batch[2].message_id]
    ]
    assert failure_ids(report) == [e.message_id for e in batch]


def test_a_batch_is_written_in_one_call_to_the_store() -> None:
    store = FakeWriter()
    batch = [envelope(), envelope(NOT_JSON), envelope()]

    process(*batch, store=store)

    assert [ids for ids, _ordered, _deadline in store.saves] == [[e.message_id for e in batch]]


def test_a_store_raising_an_unexpected_error_fails_the_records_it_touched() -> None:
    # GIVEN a store with a bug: it raises something that is not a StorageError
    batch = [envelope(), envelope()]

    # WHEN a batch is processed THEN the records fail (DESIGN.md: "any unexpected error")
    report = process(*batch, store=BuggyStore(KeyError("boom")))

    assert outcomes(report) == [Outcome.FAILED, Outcome.FAILED]
    assert failure_ids(report) == [e.message_id for e in batch]


# -- the partial batch response --------------------------------------------------------------------


def test_the_response_is_an_empty_list_when_every_record_succeeds() -> None:
    store = MemoryStore()
    seen = envelope()
    process(seen, store=store)

    report = process(envelope(), seen, envelope(NOT_JSON), store=store)

    assert report.response() == {"batchItemFailures": []}
    assert not report.all_failed


def test_the_response_lists_a_repeated_failed_id_once() -> None:
    # GIVEN the same message id twice in a batch, both from a queue not allowed
    stranger = envelope(queue_arn=OTHER_QUEUE_ARN)
    batch = [stranger, envelope(), stranger]

    report = process(*batch, policy=BatchPolicy(allowed_queues=frozenset({QUEUE_ARN})))

    assert failure_ids(report) == [stranger.message_id]
    assert_response_follows_aws_rules(report, batch)


def test_the_response_holds_only_ids_of_the_batch_each_once_in_batch_order() -> None:
    store = FakeWriter(fail_at=0)
    policy = BatchPolicy(allowed_queues=frozenset({QUEUE_ARN}), retry_invalid=True)
    batch = [
        envelope(),
        envelope(queue_arn=OTHER_QUEUE_ARN),
        envelope(NOT_JSON),
        envelope(),
        envelope(queue_arn=OTHER_QUEUE_ARN),
    ]

    report = process(*batch, store=store, policy=policy)

    assert_response_follows_aws_rules(report, batch)
    assert failure_ids(report) == [e.message_id for e in batch[:3]] + [batch[4].message_id]
    assert report.results[3].outcome is Outcome.STORED


def test_a_batch_where_every_record_fails_is_reported_all_failed_with_every_id() -> None:
    batch = [envelope(queue_arn=OTHER_QUEUE_ARN) for _ in range(3)]

    report = process(*batch, policy=BatchPolicy(allowed_queues=frozenset({QUEUE_ARN})))

    assert report.all_failed
    assert failure_ids(report) == [e.message_id for e in batch]


def test_a_batch_with_one_success_is_not_all_failed() -> None:
    batch = [envelope(queue_arn=OTHER_QUEUE_ARN), envelope()]

    report = process(*batch, policy=BatchPolicy(allowed_queues=frozenset({QUEUE_ARN})))

    assert not report.all_failed


def test_an_empty_batch_is_not_all_failed_and_returns_nothing() -> None:
    report = process()

    assert report.results == []
    assert not report.all_failed
    assert report.response() == {"batchItemFailures": []}


# -- message ids that are not valid Unicode ----------------------------------------------------

LONE_SURROGATE_ID = "m-\ud800"
LITERAL_ESCAPE_ID = "m-\\ud800"  # the six characters a store once turned the surrogate into


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("order", ["surrogate-first", "literal-first"])
def test_a_lone_surrogate_id_never_collides_with_the_text_of_its_escape(
    order: str, kind: str, tmp_path: Path
) -> None:
    # GIVEN one record whose id holds a lone surrogate (only a hand-made event can carry one)
    # and one whose id is the literal text of its escape, in either order
    ids = [LONE_SURROGATE_ID, LITERAL_ESCAPE_ID]
    if order == "literal-first":
        ids.reverse()
    store = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "ids.db")

    # WHEN they are processed in one batch
    report = process(*(envelope(message_id=i) for i in ids), store=store)

    # THEN the text id is stored; the surrogate one fails (back to its queue, then the DLQ)
    # instead of being taken for a duplicate of the other and dropped
    by_id = {result.message_id: result for result in report.results}
    assert by_id[LITERAL_ESCAPE_ID].outcome is Outcome.STORED
    assert by_id[LONE_SURROGATE_ID].outcome is Outcome.FAILED
    assert "not valid Unicode" in (by_id[LONE_SURROGATE_ID].reason or "")
    assert store.get_record(LITERAL_ESCAPE_ID) is not None


def test_a_lone_surrogate_id_is_not_a_duplicate_of_a_stored_text_id() -> None:
    store = MemoryStore()
    process(envelope(message_id=LITERAL_ESCAPE_ID), store=store)

    report = process(envelope(message_id=LONE_SURROGATE_ID), store=store)

    assert outcomes(report) == [Outcome.FAILED]
    assert_response_follows_aws_rules(report, [envelope(message_id=LONE_SURROGATE_ID)])
