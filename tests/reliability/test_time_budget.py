"""The Lambda time budget runs out in the middle of a batch (a simulated context and clock): the
records not processed in time are reported failed, nothing is reported stored that was not, and
SQS's redelivery of the failed ones stores each exactly once.

The processor reads the injected clock and hands the stores a deadline on that same clock, so a
simulated clock reaches every check of the time budget without patching any module.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.clock import FakeClock
from tests.support.factories import FIFO_QUEUE_ARN, QUEUE_ARN, body
from tests.support.figures import Figures
from tests.support.lambda_context import FakeLambdaContext
from tests.support.servers import dynamodb_client, fresh_table
from triggersqs.core.batch import BatchPolicy, BatchProcessor
from triggersqs.core.outcomes import BatchReport, Outcome
from triggersqs.core.ports import MessageStore, RecordFilter
from triggersqs.core.records import Envelope
from triggersqs.storage.dynamodb import DynamoDbStore
from triggersqs.storage.sqlite import SqliteStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MARGIN_MS = 1000


class SlowWrites:
    """A real DynamoDB client whose writes each take ``cost`` seconds of the simulated clock."""

    def __init__(self, client: DynamoDBClient, clock: FakeClock[float], cost: float) -> None:
        self._client = client
        self._clock = clock
        self._cost = cost
        self.writes = 0

    def put_item(self, **kwargs: Any) -> Any:
        self._clock.advance(self._cost)
        self.writes += 1
        return self._client.put_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def redeliver(batch: list[Envelope], report: BatchReport) -> list[Envelope]:
    """What SQS delivers again: the failed records, with their receive count one higher."""
    failed = set(report.failed_ids)
    return [
        Envelope(
            e.message_id, e.queue_arn, e.body, e.sent_at_ms, e.receive_count + 1, e.message_group_id
        )
        for e in batch
        if e.message_id in failed
    ]


def assert_reported_as_stored(
    store: MessageStore, batch: list[Envelope], report: BatchReport
) -> None:
    """Acknowledged records are in the store; failed first-time records are not."""
    for envelope, result in zip(batch, report.results, strict=True):
        kept = (
            store.get_record(envelope.message_id) is not None
            or store.get_rejection(envelope.message_id) is not None
        )
        assert kept == result.acknowledged, (envelope.message_id, result)


# -- DynamoDB: the deadline passes between two writes of a FIFO batch --------------------------


@pytest.fixture
def dynamodb_table(dynamodb_local_endpoint: str) -> Iterator[str]:
    with fresh_table(dynamodb_local_endpoint, "budget") as name:
        yield name


def test_a_fifo_batch_whose_time_runs_out_between_writes_fails_the_rest_and_redelivery_stores_them(
    dynamodb_local_endpoint: str,
    dynamodb_table: str,
    figures: Figures,
) -> None:
    # GIVEN a FIFO batch of ten, writes that take 1 s each, and 5.5 s left with a 1 s margin
    clock = FakeClock(time.monotonic())
    client = SlowWrites(dynamodb_client(dynamodb_local_endpoint), clock, cost=1.0)
    store = DynamoDbStore(client, dynamodb_table)  # type: ignore[arg-type]
    processor = BatchProcessor(store, BatchPolicy(time_margin_ms=MARGIN_MS), monotonic=clock)
    batch = [
        Envelope(f"fifo-{n}", FIFO_QUEUE_ARN, body(client_id=f"c{n}"), None, 1, "group")
        for n in range(10)
    ]
    try:
        # WHEN the batch is processed
        report = processor.process(
            batch, remaining_ms=FakeLambdaContext(5500).get_remaining_time_in_millis()
        )

        # THEN the first five are stored, the rest failed in order and returned to the queue
        assert [r.outcome for r in report.results] == [Outcome.STORED] * 5 + [Outcome.FAILED] * 5
        assert report.failed_ids == [e.message_id for e in batch[5:]]
        assert client.writes == 5
        assert_reported_as_stored(store, batch, report)

        # WHEN SQS delivers the failed ones again with time to spare, then the whole batch again
        retry = redeliver(batch, report)
        second = processor.process(retry, remaining_ms=60_000)
        replay = processor.process(batch, remaining_ms=60_000)

        # THEN each is stored exactly once, in the batch's order
        assert [r.outcome for r in second.results] == [Outcome.STORED] * 5
        assert [r.outcome for r in replay.results] == [Outcome.DUPLICATE] * 10
        listed = store.list_records(RecordFilter(), after=None, limit=100).items
        assert [r.message_id for r in listed] == [e.message_id for e in batch]
        assert [r.receive_count for r in listed] == [1] * 5 + [2] * 5
    finally:
        store.close()
    figures.add("time_budget_dynamodb", batches=1, records=10, cut=5, stored=10, duplicated=0)


# -- SQLite: any cut point, any mix of records -------------------------------------------------

_ids = itertools.count()

RECORD = st.sampled_from(["valid", "not json", "missing field", "repeat"])


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path_factory.mktemp("budget") / "t.db", synchronous="normal")
    yield store
    store.close()


@given(
    kinds=st.lists(RECORD, min_size=1, max_size=30),
    fifo=st.booleans(),
    step=st.sampled_from([0.0, 0.01, 0.1, 0.5]),
    remaining_ms=st.integers(min_value=0, max_value=5000),
)
def test_whatever_the_cut_point_failed_records_are_unstored_and_redelivery_stores_each_once(
    sqlite_store: SqliteStore,
    figures: Figures,
    *,
    kinds: list[str],
    fifo: bool,
    step: float,
    remaining_ms: int,
) -> None:
    # GIVEN a batch of valid, invalid and repeated records, and a clock that moves as it is read
    batch: list[Envelope] = []
    for kind in kinds:
        if kind == "repeat" and batch:
            batch.append(batch[-1])
            continue
        text = {"not json": "not json", "missing field": '{"command": "x"}'}.get(kind, body())
        arn = FIFO_QUEUE_ARN if fifo else QUEUE_ARN
        batch.append(Envelope(f"budget-{next(_ids)}", arn, text, None, 1, "g" if fifo else None))
    clock = FakeClock(time.monotonic(), step=step)
    processor = BatchProcessor(sqlite_store, BatchPolicy(time_margin_ms=MARGIN_MS), clock)

    # WHEN the time budget may run out anywhere in the batch
    report = processor.process(
        batch, remaining_ms=FakeLambdaContext(remaining_ms).get_remaining_time_in_millis()
    )

    # THEN each record has one outcome; the failed ones, and only they, are reported back
    assert [r.message_id for r in report.results] == [e.message_id for e in batch]
    assert report.failed_ids == list(
        dict.fromkeys(r.message_id for r in report.results if r.outcome is Outcome.FAILED)
    )
    if any(r.outcome is Outcome.FAILED for r in report.results):
        assert not any(r.outcome is Outcome.STORED for r in report.results), "one transaction"
    firsts = list({e.message_id: e for e in batch}.values())
    first_reports = BatchReport(
        [next(r for r in report.results if r.message_id == e.message_id) for e in firsts]
    )
    assert_reported_as_stored(sqlite_store, firsts, first_reports)

    # WHEN SQS redelivers the failed records with time to spare
    retry = redeliver(firsts, first_reports)
    second = processor.process(retry, remaining_ms=60_000) if retry else None

    # THEN every record is now kept exactly once
    if second is not None:
        assert second.failed_ids == []
        assert not any(r.outcome is Outcome.DUPLICATE for r in second.results)
    for envelope in firsts:
        kept = sqlite_store.get_record(envelope.message_id) or sqlite_store.get_rejection(
            envelope.message_id
        )
        assert kept is not None
    figures.add(
        "time_budget_sqlite_property",
        examples=1,
        records=len(batch),
        failed_first_time=len(report.failed_ids),
        redelivered=len(retry),
    )
