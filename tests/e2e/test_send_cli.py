"""``triggersqs send`` as a user runs it (the installed script in a subprocess), sending to the
embedded SQS server: one message, JSON lines from a file or standard input, generated messages,
FIFO groups, and a queue that does not exist."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.sqs import counts, create_queue, sqs_client, sqs_server
from tests.support.stack import run_triggersqs
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@pytest.fixture(scope="module")
def sqs() -> Iterator[SQSClient]:
    with sqs_server() as endpoint:
        client = sqs_client(endpoint)
        yield client
        client.close()


def assert_sent(done: subprocess.CompletedProcess[str], sent: int, failed: int) -> None:
    """``send`` said ``sent N, failed M`` on stderr and printed one message id per sent message."""
    assert f"sent {sent}, failed {failed}\n" in done.stderr
    ids = done.stdout.split()
    assert len(ids) == len(set(ids)) == sent


def drain(sqs: SQSClient, queue: QueueInfo) -> list[dict[str, Any]]:
    """Every message on the queue, received in order and deleted."""
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(dict(message) for message in batch)
        sqs.delete_message_batch(
            QueueUrl=queue.url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )


def test_send_puts_one_message_built_from_command_and_client_id(sqs: SQSClient) -> None:
    # GIVEN an empty queue on the embedded server
    queue = create_queue(sqs)
    # WHEN one message is sent
    done = run_triggersqs(
        "send", "--command", "SetStatus", "--client-id", "c79da7ce8e5e", "--queue-url", queue.url
    )
    # THEN it says so, exits 0, and the queue holds exactly that command
    assert done.returncode == 0, done.stderr
    assert_sent(done, 1, 0)
    [message] = drain(sqs, queue)
    assert json.loads(message["Body"]) == {"command": "SetStatus", "client_id": "c79da7ce8e5e"}


def test_send_sends_each_json_line_of_a_file_as_is(sqs: SQSClient, tmp_path: Path) -> None:
    # GIVEN a JSON-lines file with a blank line and a line that is not valid JSON
    queue = create_queue(sqs)
    lines = [
        '{"command": "SetStatus", "client_id": "a"}',
        "{not json at all",
        '{"command": "Reset",   "client_id": "b",  "note": "ünïcode"}',
    ]
    path = tmp_path / "messages.jsonl"
    path.write_text(lines[0] + "\n\n" + lines[1] + "\r\n" + lines[2] + "\n", encoding="utf-8")
    # WHEN the file is sent
    done = run_triggersqs("send", "--file", str(path), "--queue-url", queue.url)
    # THEN every non-blank line went out byte for byte, the invalid one too
    assert done.returncode == 0, done.stderr
    assert_sent(done, 3, 0)
    assert sorted(message["Body"] for message in drain(sqs, queue)) == sorted(lines)


def test_send_reads_json_lines_from_standard_input(sqs: SQSClient) -> None:
    # GIVEN JSON lines on standard input
    queue = create_queue(sqs)
    lines = [json.dumps({"command": "SetStatus", "client_id": f"stdin-{n}"}) for n in range(12)]
    # WHEN they are sent with --file -
    done = run_triggersqs(
        "send", "--file", "-", "--queue-url", queue.url, stdin="\n".join(lines) + "\n"
    )
    # THEN all twelve are on the queue
    assert done.returncode == 0, done.stderr
    assert_sent(done, 12, 0)
    assert sorted(message["Body"] for message in drain(sqs, queue)) == sorted(lines)


def test_send_count_generates_valid_messages_with_progress(sqs: SQSClient) -> None:
    # GIVEN an empty queue
    queue = create_queue(sqs)
    # WHEN 25 generated messages are sent
    done = run_triggersqs("send", "--count", "25", "--queue-url", queue.url)
    # THEN all 25 arrived as valid commands with distinct client ids, and progress reached 25/25
    assert done.returncode == 0, done.stderr
    assert_sent(done, 25, 0)
    assert counts(sqs, queue.url).visible == 25
    bodies = [json.loads(message["Body"]) for message in drain(sqs, queue)]
    assert len({body["client_id"] for body in bodies}) == 25
    assert {body["command"] for body in bodies} == {"SetStatus"}
    assert "25/25" in done.stderr.splitlines()[-2]


def test_send_to_a_fifo_queue_uses_the_group_and_keeps_the_order(
    sqs: SQSClient, tmp_path: Path
) -> None:
    # GIVEN a FIFO queue, and 15 lines whose order matters, each of them twice over
    queue = create_queue(sqs, fifo=True)
    lines = [json.dumps({"command": "Step", "client_id": "c", "n": n // 2}) for n in range(15)]
    path = tmp_path / "ordered.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    # WHEN they are sent with a group id
    done = run_triggersqs(
        "send", "--file", str(path), "--group-id", "orders-7", "--queue-url", queue.url
    )
    # THEN all arrived in the group, in the file's order (identical lines were not deduplicated)
    assert done.returncode == 0, done.stderr
    messages = drain(sqs, queue)
    assert [message["Body"] for message in messages] == lines
    assert {message["Attributes"]["MessageGroupId"] for message in messages} == {"orders-7"}


def test_send_to_a_queue_that_does_not_exist_reports_the_failures(sqs: SQSClient) -> None:
    # GIVEN the URL of a queue that does not exist on the server
    queue = create_queue(sqs)
    missing = queue.url.rsplit("/", 1)[0] + "/no-such-queue-" + queue.url.rsplit("-", 1)[1]
    # WHEN 12 messages are sent to it
    done = run_triggersqs("send", "--count", "12", "--queue-url", missing)
    # THEN it exits 1, counts every message failed, and says why once
    assert done.returncode == 1
    assert_sent(done, 0, 12)
    reasons = [line for line in done.stderr.splitlines() if line.startswith("  ")]
    assert len(reasons) == 1
    assert "NonExistentQueue" in reasons[0] or "QueueDoesNotExist" in reasons[0]
