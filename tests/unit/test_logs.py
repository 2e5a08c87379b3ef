"""Logging: JSON lines, one summary per batch, one line per record not stored, stored records only
at DEBUG."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.factories import QUEUE_ARN, envelope
from triggersqs.core.batch import BatchPolicy, BatchProcessor
from triggersqs.logs import configure_logging, default_log_format, request_id
from triggersqs.storage.memory import MemoryStore

OTHER_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:somebody-else"
ReadLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_logs() -> Iterator[Callable[[str], ReadLines]]:
    """Configure JSON logging at a level into a buffer; restore the logger afterwards."""
    logger = logging.getLogger("triggersqs")
    saved = (list(logger.handlers), logger.level, logger.propagate)

    def configure(level: str) -> ReadLines:
        stream = io.StringIO()
        configure_logging(level, stream=stream)
        return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]

    yield configure
    logger.handlers[:], logger.level, logger.propagate = saved


def run_mixed_batch() -> dict[str, str]:
    """Process one record of each outcome; their message ids by outcome."""
    store = MemoryStore()
    seen = envelope()
    BatchProcessor(store, BatchPolicy()).process([seen])
    batch = {
        "stored": envelope(),
        "duplicate": seen,
        "rejected": envelope("Test message."),
        "failed": envelope(queue_arn=OTHER_QUEUE_ARN),
    }
    policy = BatchPolicy(allowed_queues=frozenset({QUEUE_ARN}))
    BatchProcessor(store, policy).process(list(batch.values()))
    return {outcome: item.message_id for outcome, item in batch.items()}


def test_a_batch_logs_one_summary_line_with_counts_and_duration(
    json_logs: Callable[[str], ReadLines],
) -> None:
    # GIVEN JSON logging at INFO
    read = json_logs("INFO")

    # WHEN a batch with one record of each outcome is processed
    run_mixed_batch()

    # THEN the last line sums it up
    summary = read()[-1]
    assert summary["message"] == "batch processed"
    assert summary["level"] == "INFO"
    assert summary["logger"] == "triggersqs.batch"
    assert "timestamp" in summary
    assert {k: summary[k] for k in ("records", "stored", "duplicate", "rejected", "failed")} == {
        "records": 4,
        "stored": 1,
        "duplicate": 1,
        "rejected": 1,
        "failed": 1,
    }
    assert summary["returned_to_queue"] == 1
    assert isinstance(summary["duration_ms"], int | float)


def test_each_record_not_stored_gets_a_line_with_its_id_outcome_and_reason(
    json_logs: Callable[[str], ReadLines],
) -> None:
    read = json_logs("INFO")

    ids = run_mixed_batch()

    per_record = {line["message_id"]: line for line in read() if "message_id" in line}
    assert ids["stored"] not in per_record
    for outcome in ("duplicate", "rejected", "failed"):
        line = per_record[ids[outcome]]
        assert line["outcome"] == outcome
        assert line["reason"]
    assert per_record[ids["failed"]]["level"] == "WARNING"
    assert per_record[ids["failed"]]["returned_to_queue"] is True
    assert per_record[ids["rejected"]]["level"] == "INFO"
    assert per_record[ids["rejected"]]["reason"].startswith("body is not valid JSON")


def test_stored_records_are_logged_only_at_debug(json_logs: Callable[[str], ReadLines]) -> None:
    read = json_logs("DEBUG")

    ids = run_mixed_batch()

    [line] = [line for line in read() if line.get("message_id") == ids["stored"]]
    assert (line["level"], line["outcome"]) == ("DEBUG", "stored")


def test_at_warning_only_records_returned_to_the_queue_are_logged(
    json_logs: Callable[[str], ReadLines],
) -> None:
    read = json_logs("WARNING")

    ids = run_mixed_batch()

    assert [line["message_id"] for line in read()] == [ids["failed"]]


def test_every_line_is_one_json_object_and_keeps_non_ascii_text(
    json_logs: Callable[[str], ReadLines],
) -> None:
    read = json_logs("INFO")

    logging.getLogger("triggersqs.test").info("größe", extra={"queue_arn": "ü"})

    [line] = read()
    assert (line["message"], line["queue_arn"]) == ("größe", "ü")


def test_the_invocation_id_is_added_to_every_line_while_it_is_set(
    json_logs: Callable[[str], ReadLines],
) -> None:
    read = json_logs("INFO")
    log = logging.getLogger("triggersqs.test")

    token = request_id.set("c6af9ac6-7b61-11e6-9a41-93e812345678")
    try:
        log.info("inside")
    finally:
        request_id.reset(token)
    log.info("outside")

    inside, outside = read()
    assert inside["request_id"] == "c6af9ac6-7b61-11e6-9a41-93e812345678"
    assert "request_id" not in outside


def test_configuring_twice_does_not_print_lines_twice(
    json_logs: Callable[[str], ReadLines],
) -> None:
    json_logs("INFO")
    read = json_logs("INFO")

    logging.getLogger("triggersqs.test").info("once")

    assert [line["message"] for line in read()] == ["once"]
    assert len(logging.getLogger("triggersqs").handlers) == 1


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_line_and_paragraph_separators_go_out_escaped_so_one_record_stays_one_line(
    separator: str,
) -> None:
    # GIVEN a log record carrying a Unicode line separator (a message id, a reason, a body...)
    stream = io.StringIO()
    logger = logging.getLogger("triggersqs")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    try:
        configure_logging("INFO", stream=stream)
        logging.getLogger("triggersqs.test").info(
            f"a{separator}bé", extra={"message_id": f"id{separator}x"}
        )
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved

    # THEN the line holds only its JSON escape, and reads back as the same text
    text = stream.getvalue()
    assert separator not in text
    assert f"\\u{ord(separator):04x}" in text
    (line,) = text.splitlines()
    assert json.loads(line)["message_id"] == f"id{separator}x"
    assert "é" in text  # other non-ASCII text still goes out as it is


# -- text lines (--log-format text) ---------------------------------------------------------------


@pytest.fixture
def text_logs() -> Iterator[Callable[[bool], Callable[[], str]]]:
    """Configure text logging into a buffer (as a terminal or not); restore the logger after."""
    logger = logging.getLogger("triggersqs")
    saved = (list(logger.handlers), logger.level, logger.propagate)

    def configure(terminal: bool) -> Callable[[], str]:
        stream = io.StringIO()
        stream.isatty = lambda: terminal  # type: ignore[method-assign]
        configure_logging("INFO", stream=stream, log_format="text")
        return stream.getvalue

    yield configure
    logger.handlers[:], logger.level, logger.propagate = saved


def test_a_batch_is_one_readable_text_line_with_its_counts(
    text_logs: Callable[[bool], Callable[[], str]],
) -> None:
    read = text_logs(False)

    run_mixed_batch()

    lines = read().splitlines()
    summary = [line for line in lines if "batch processed" in line][-1]  # the mixed batch's
    assert not summary.startswith("{")
    assert "records=4 stored=1 duplicate=1 rejected=1 failed=1" in summary
    assert "\x1b[" not in read()  # no colour when the stream is not a terminal


def test_text_lines_are_coloured_on_a_terminal(
    text_logs: Callable[[bool], Callable[[], str]],
) -> None:
    read = text_logs(True)

    run_mixed_batch()

    assert "\x1b[32mINFO" in read()
    assert "\x1b[33mWARNING" in read()


@pytest.mark.parametrize("hostile", ["two\nlines", "a\u2028b", "a\u0085b", "cr\rlf", 'say "hi"'])
def test_a_value_cannot_break_a_text_line_in_two(
    text_logs: Callable[[bool], Callable[[], str]], hostile: str
) -> None:
    read = text_logs(False)

    logging.getLogger("triggersqs.batch").warning(hostile, extra={"reason": hostile})

    text = read()
    assert len(text.splitlines()) == 1, text
    assert text.count('"') >= 4


def test_the_default_format_is_text_on_a_terminal_and_json_elsewhere() -> None:
    terminal, pipe = io.StringIO(), io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]

    assert default_log_format(terminal) == "text"
    assert default_log_format(pipe) == "json"
