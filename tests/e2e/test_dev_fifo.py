"""`triggersqs dev --queue-name NAME --fifo --max-receive-count N --host H`: a FIFO queue named as
asked, end to end, with content-based deduplication and order kept within each message group;
its DLQ after N receives; and the warning a non-loopback host prints."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import DevStack, dev_stack, run_triggersqs
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fifo")


@pytest.fixture(scope="module")
def stack(folder: Path) -> Iterator[DevStack]:
    # 0.0.0.0 for this one stack only: every call in these tests still goes over loopback
    args = ["--queue-name", "orders", "--fifo", "--max-receive-count", "2", "--host", "0.0.0.0"]  # noqa: S104
    with dev_stack(folder, *args) as running:
        yield running


def step(group: str, n: int) -> str:
    return json.dumps({"command": "Step", "client_id": group, "n": n})


def test_the_queue_and_its_dlq_are_fifo_and_named_as_asked(stack: DevStack) -> None:
    assert stack.queue_url.endswith("/orders.fifo")
    assert stack.dlq_url.endswith("/orders-dlq.fifo")
    attributes = stack.sqs().get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "true"
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 2
    assert "(after 2 failed receives)" in stack.banner


def test_a_non_loopback_host_warns_what_it_exposes(stack: DevStack, folder: Path) -> None:
    del stack  # the warning is on its stderr, written before the banner
    warning = (folder / "dev.log").read_text()
    assert "--host 0.0.0.0 is not loopback" in warning
    assert "SQS server" in warning
    assert "HTTP API" in warning


def test_identical_bodies_are_stored_once_by_content_based_deduplication(
    stack: DevStack,
) -> None:
    # GIVEN the same body sent three times with no deduplication id, as plain SDK calls do
    sqs = stack.sqs()
    for _ in range(3):
        sqs.send_message(QueueUrl=stack.queue_url, MessageBody=step("dedup", 1), MessageGroupId="g")
    # THEN it is stored once
    wait_for(
        lambda: [r["client_id"] for r in stack.all_records()].count("dedup") == 1,
        30,
        "the deduplicated message stored",
    )
    wait_for(lambda: stack.queue_depth() == 0, 30, "the queue to be empty")
    assert [r["client_id"] for r in stack.all_records()].count("dedup") == 1


def test_each_message_group_is_stored_in_the_order_it_was_sent(stack: DevStack) -> None:
    # GIVEN two groups sent interleaved, ten messages each
    sqs = stack.sqs()
    for n in range(10):
        for group in ("alpha", "beta"):
            sqs.send_message(
                QueueUrl=stack.queue_url, MessageBody=step(group, n), MessageGroupId=group
            )
    # WHEN all twenty are stored
    wait_for(
        lambda: sum(r["client_id"] in {"alpha", "beta"} for r in stack.all_records()) == 20,
        60,
        "twenty stored",
    )
    # THEN each group's messages were stored in the order they were sent
    for group in ("alpha", "beta"):
        stored = [r for r in stack.all_records() if r["client_id"] == group]
        bodies = [json.loads(stack.get(f"/records/{r['message_id']}")["body"]) for r in stored]
        assert [body["n"] for body in bodies] == list(range(10))
        assert {r["message_group_id"] for r in stored} == {group}


def test_the_banners_fifo_send_command_works_as_printed(stack: DevStack, folder: Path) -> None:
    [line] = [
        x.strip()
        for x in stack.banner.splitlines()
        if x.strip().startswith(".venv/bin/triggersqs send")
    ]
    words = shlex.split(line)
    assert "--group-id" in words

    done = run_triggersqs(*words[1:], cwd=folder)

    assert done.returncode == 0, done.stderr
    message_id = done.stdout.strip()
    wait_for(lambda: message_id in {r["message_id"] for r in stack.all_records()}, 30, "it stored")


def test_a_message_that_keeps_failing_reaches_the_fifo_dlq_after_n_receives(
    tmp_path: Path,
) -> None:
    # invalid messages go back to the queue; the time margin leaves the 2 s visibility to work
    env = {"TRIGGERSQS_INVALID_MESSAGES": "retry", "TRIGGERSQS_TIME_MARGIN_MS": "100"}
    args = ["--queue-name", "jobs.fifo", "--max-receive-count", "1", "--visibility-timeout", "2"]
    with dev_stack(tmp_path, *args, env=env) as stack:
        assert stack.dlq_url.endswith("/jobs-dlq.fifo")
        stack.sqs().send_message(
            QueueUrl=stack.queue_url, MessageBody="not json", MessageGroupId="g"
        )
        wait_for(lambda: stack.queue_depth(stack.dlq_url) == 1, 60, "the message in the DLQ")
        assert stack.all_records() == []
