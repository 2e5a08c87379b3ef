"""EMF metrics in Lambda (aws_lambda/metrics.py): one line per batch, valid by the EMF
specification, with the agreed names, units and dimension, and the values of the batch."""

from __future__ import annotations

import io
import json

import pytest

from tests.support.emf_spec import emf_problems
from tests.support.factories import SENT_AT_MS, body, envelope
from triggersqs.aws_lambda.metrics import METRICS, EmfMetrics, queue_name
from triggersqs.core.batch import BatchPolicy, BatchProcessor
from triggersqs.core.outcomes import BatchReport, Outcome, RecordResult
from triggersqs.errors import ConfigurationError
from triggersqs.settings import Settings
from triggersqs.storage.memory import MemoryStore

QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders"
NOW_MS = SENT_AT_MS + 2_500


def lines_of(out: io.StringIO) -> list[str]:
    return out.getvalue().splitlines()


def observed(policy: BatchPolicy | None = None) -> tuple[BatchProcessor, io.StringIO]:
    out = io.StringIO()
    metrics = EmfMetrics("triggersqs-test", out=out, clock_ms=lambda: NOW_MS)
    return BatchProcessor(MemoryStore(), policy or BatchPolicy(), observer=metrics), out


def test_a_batch_writes_one_valid_emf_line_with_every_outcome_counted() -> None:
    # GIVEN a processor observed by the EMF writer, and a batch of two valid messages (one of
    # them twice), one invalid, and one from a queue that is not allowed
    processor, out = observed(BatchPolicy(allowed_queues=frozenset({QUEUE})))
    first = envelope(body(), queue_arn=QUEUE, sent_at_ms=SENT_AT_MS)
    batch = [
        first,
        envelope(body(), queue_arn=QUEUE, sent_at_ms=SENT_AT_MS + 1_000),
        envelope("not json", queue_arn=QUEUE, sent_at_ms=SENT_AT_MS + 2_000),
        envelope(body(), queue_arn="arn:aws:sqs:eu-west-1:123456789012:other"),
    ]
    processor.process([first])

    # WHEN the batch is processed
    processor.process(batch)

    # THEN each batch wrote exactly one line, and the second is valid EMF
    first_line, line = lines_of(out)
    assert emf_problems(line) == []
    record = json.loads(line)
    directive = record["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "triggersqs-test"
    assert directive["Dimensions"] == [["QueueName"]]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == METRICS
    assert record["_aws"]["Timestamp"] == NOW_MS
    # AND the values are the batch's: the first message again is a duplicate
    assert record["QueueName"] == "orders"
    assert (
        record["RecordsStored"],
        record["RecordsDuplicate"],
        record["RecordsRejected"],
        record["RecordsFailed"],
        record["RecordsReturnedToQueue"],
    ) == (1, 1, 1, 1, 1)
    assert record["OldestMessageAge"] == 2_500
    assert record["BatchDuration"] >= 0
    # AND only the first batch of the execution environment is a cold start
    assert (json.loads(first_line)["ColdStart"], record["ColdStart"]) == (1, 0)


def test_rejected_messages_returned_to_the_queue_are_counted_as_returned() -> None:
    # GIVEN the retry policy for invalid messages
    processor, out = observed(BatchPolicy(retry_invalid=True))

    # WHEN a batch holds one invalid and one valid message
    processor.process([envelope("[]", queue_arn=QUEUE), envelope(body(), queue_arn=QUEUE)])

    # THEN the invalid one is both rejected and returned to the queue
    record = json.loads(lines_of(out)[0])
    assert (record["RecordsRejected"], record["RecordsReturnedToQueue"]) == (1, 1)
    assert record["RecordsStored"] == 1


def test_without_sent_timestamps_the_oldest_age_is_left_out_and_the_line_stays_valid() -> None:
    out = io.StringIO()
    metrics = EmfMetrics("triggersqs", out=out, clock_ms=lambda: NOW_MS)
    lone = envelope(body(), queue_arn=QUEUE, sent_at_ms=None)

    metrics.batch_processed([lone], BatchReport([RecordResult(lone.message_id, Outcome.STORED)]))

    [line] = lines_of(out)
    assert emf_problems(line) == []
    record = json.loads(line)
    assert "OldestMessageAge" not in record
    assert "OldestMessageAge" not in {
        m["Name"] for m in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    }


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        (QUEUE, "orders"),
        ("arn:aws:sqs:us-east-1:123456789012:orders.fifo", "orders.fifo"),
        ("", "unknown"),
        ("arn:aws:sqs:us-east-1:123456789012:caf\u00e9", "unknown"),
        ("arn:aws:sqs:us-east-1:123456789012:a b", "unknown"),
    ],
)
def test_the_queue_dimension_is_the_queue_name_or_unknown_when_it_could_break_the_record(
    arn: str, name: str
) -> None:
    assert queue_name(arn) == name


def test_a_failing_observer_does_not_fail_a_stored_batch() -> None:
    # GIVEN an observer whose output is closed
    out = io.StringIO()
    out.close()
    store = MemoryStore()
    processor = BatchProcessor(store, BatchPolicy(), observer=EmfMetrics("triggersqs", out=out))
    message = envelope(body(), queue_arn=QUEUE)

    # WHEN a batch is processed THEN it is stored and acknowledged all the same
    report = processor.process([message])
    assert report.response() == {"batchItemFailures": []}
    assert store.get_record(message.message_id) is not None


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        ({"_aws": {"Timestamp": "now", "CloudWatchMetrics": []}}, "Timestamp"),
        ({"x": 1}, "_aws"),
        (
            {
                "_aws": {
                    "Timestamp": 1,
                    "CloudWatchMetrics": [
                        {"Namespace": "n", "Dimensions": [["Q"]], "Metrics": [{"Name": "M"}]}
                    ],
                },
                "M": 1,
            },
            "dimension 'Q'",
        ),
        (
            {
                "_aws": {
                    "Timestamp": 1,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": "n",
                            "Dimensions": [],
                            "Metrics": [{"Name": f"M{i}"} for i in range(101)],
                        }
                    ],
                },
                **{f"M{i}": i for i in range(101)},
            },
            "at most 100",
        ),
        (
            {
                "_aws": {
                    "Timestamp": 1,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": "n",
                            "Dimensions": [],
                            "Metrics": [{"Name": "M", "Unit": "ms"}],
                        }
                    ],
                },
                "M": "7",
            },
            "not a CloudWatch unit",
        ),
    ],
)
def test_the_spec_checker_finds_what_breaks_emf(broken: dict[str, object], problem: str) -> None:
    # The checker the tests rely on must itself catch a broken record.
    assert any(problem in found for found in emf_problems(json.dumps(broken)))


def test_the_metrics_settings_default_on_and_refuse_an_unusable_namespace() -> None:
    assert (Settings.from_environ({}).metrics, Settings.from_environ({}).metrics_namespace) == (
        "on",
        "triggersqs",
    )
    off = Settings.from_environ(
        {"TRIGGERSQS_METRICS": "OFF", "TRIGGERSQS_METRICS_NAMESPACE": "a/b"}
    )
    assert (off.metrics, off.metrics_namespace) == ("off", "a/b")
    for namespace in ("AWS/SQS", "has space", "caf\u00e9", "n" * 256):
        with pytest.raises(ConfigurationError, match="TRIGGERSQS_METRICS_NAMESPACE"):
            Settings.from_environ({"TRIGGERSQS_METRICS_NAMESPACE": namespace})
