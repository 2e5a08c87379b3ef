"""``triggersqs check-queue`` against queues on the embedded SQS server: one line per rule of the
template, exit 0 when all hold, 1 when one breaks, 2 for bad usage or an unreachable queue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.servers import free_port
from tests.support.sqs import create_queue, sqs_client, sqs_server
from triggersqs.cli.app import main

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@pytest.fixture(scope="module")
def sqs() -> Iterator[SQSClient]:
    with sqs_server() as url:
        client = sqs_client(url)
        yield client
        client.close()


def check(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, list[str], str]:
    status = main(["check-queue", url, *args])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def test_a_queue_made_as_the_template_makes_it_keeps_every_rule(
    sqs: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    dlq = create_queue(sqs)
    queue = create_queue(sqs, visibility_timeout=185, dead_letters=dlq, max_receive_count=3)

    status, lines, _ = check(
        capsys, queue.url, "--function-timeout", "30", "--batching-window", "5"
    )

    assert status == 0
    assert [line.split()[0] for line in lines[:4]] == ["ok"] * 4
    assert "visibility timeout >= 6 x 30 s + 5 s = 185 s: 185 s" in lines[0]
    assert lines[-1].endswith(": ok")


def test_each_broken_rule_is_named_and_the_exit_status_is_1(
    sqs: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a queue with a short visibility timeout and a DLQ after a single receive
    dlq = create_queue(sqs)
    queue = create_queue(sqs, visibility_timeout=60, dead_letters=dlq, max_receive_count=1)

    status, lines, _ = check(capsys, queue.url, "--function-timeout", "30")

    assert status == 1
    failed = [line for line in lines if line.startswith("FAIL")]
    assert len(failed) == 2
    assert "visibility timeout >= 6 x 30 s + 0 s = 180 s: 60 s" in failed[0]
    assert "maxReceiveCount >= 3: 1" in failed[1]
    assert lines[-1].endswith("2 of 4 rules broken")


def test_a_queue_without_a_redrive_policy_fails_the_dlq_rules(
    sqs: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = create_queue(sqs, visibility_timeout=900)

    status, lines, _ = check(capsys, queue.url, "--function-timeout", "10")

    assert status == 1
    assert [line.split()[0] for line in lines[:4]] == ["ok", "FAIL", "FAIL", "FAIL"]


def test_a_dlq_that_is_gone_fails_its_rule(
    sqs: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # (SQS itself refuses a DLQ of the other type, as this server does; a deleted one it keeps)
    dlq = create_queue(sqs)
    queue = create_queue(sqs, visibility_timeout=900, dead_letters=dlq, max_receive_count=5)
    sqs.delete_queue(QueueUrl=dlq.url)

    status, lines, _ = check(capsys, queue.url, "--function-timeout", "30")

    assert status == 1
    [gone] = [line for line in lines if "type" in line]
    assert gone.startswith("FAIL")
    assert "cannot read it" in gone


@pytest.mark.parametrize(
    "args", [["--function-timeout", "0"], ["--function-timeout", "30", "--batching-window", "301"]]
)
def test_bad_usage_is_one_line_and_exit_2(
    sqs: SQSClient, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    queue = create_queue(sqs)
    status, _, err = check(capsys, queue.url, *args)
    assert status == 2
    assert err.startswith("triggersqs: --")
    assert err.count("\n") == 1


def test_an_unreachable_queue_is_one_line_and_exit_1_and_a_missing_one_exit_2(
    sqs: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # An endpoint that does not answer may come back (a runtime failure: 1); a queue that does
    # not exist is a configuration error (2).
    nowhere = f"http://127.0.0.1:{free_port()}/123456789012/q"
    status, _, err = check(capsys, nowhere, "--function-timeout", "30")
    assert (status, err.startswith("triggersqs: cannot reach SQS")) == (1, True)

    missing = create_queue(sqs).url + "-missing"
    status, _, err = check(capsys, missing, "--function-timeout", "30")
    assert status == 2
    assert "does not exist" in err
