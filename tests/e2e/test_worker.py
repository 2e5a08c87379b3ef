"""`triggersqs worker` processes against a queue: crashes, signals, refusals."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from tests.support.servers import clean_env
from tests.support.sqs import send_bodies
from tests.support.stack import TRIGGERSQS, body, dev_stack, worker
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def test_a_worker_killed_mid_stream_and_restarted_stores_every_message_exactly_once(
    tmp_path: Path,
) -> None:
    # GIVEN a queue (dev without its own poller) and a worker storing into the same SQLite file
    total = 2_000
    with dev_stack(tmp_path, "--concurrency", "0", "--visibility-timeout", "2") as stack:
        sqs = stack.sqs()
        bodies = [body(f"client-{n:05d}") for n in range(total)]
        producer = threading.Thread(target=send_bodies, args=(sqs, stack.queue_url, bodies))
        with worker(stack, tmp_path, "--concurrency", "2") as first:
            producer.start()
            # WHEN the worker is killed with SIGKILL in the middle of the stream
            wait_for(lambda: len(stack.all_records()) >= 300, 120, "300 records stored")
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        stored_at_kill = len(stack.all_records())
        # ... and a new worker takes over
        with worker(stack, tmp_path, "--concurrency", "2"):
            producer.join()
            wait_for(lambda: len(stack.all_records()) >= total, 240, f"{total} records")
            wait_for(lambda: stack.queue_depth() == 0, 60, "the queue to drain")

        # THEN every message is stored exactly once, none lost
        records = stack.all_records()
        assert stored_at_kill < total
        assert len(records) == total
        assert sorted(r["client_id"] for r in records) == [f"client-{n:05d}" for n in range(total)]
        assert len({r["message_id"] for r in records}) == total
        assert stack.queue_depth(stack.dlq_url) == 0


def test_sigterm_finishes_the_batch_in_hand_and_exits_zero(tmp_path: Path) -> None:
    with dev_stack(tmp_path, "--concurrency", "0", "--visibility-timeout", "5") as stack:
        send_bodies(stack.sqs(), stack.queue_url, [body(f"c{n}") for n in range(300)])
        with worker(stack, tmp_path) as running:
            wait_for(lambda: len(stack.all_records()) >= 50, 60, "50 records stored")
            running.send_signal(signal.SIGTERM)
            assert running.wait(30) == 0
        stopped_with = len(stack.all_records())
        # nothing the stopped worker held stays invisible: a new worker gets everything at once
        with worker(stack, tmp_path):
            wait_for(lambda: len(stack.all_records()) == 300, 60, "all 300 records")
            wait_for(lambda: stack.queue_depth() == 0, 30, "the queue to drain")
        assert stopped_with < 300
        assert len({r["message_id"] for r in stack.all_records()}) == 300


def test_the_worker_refuses_a_queue_that_does_not_exist(tmp_path: Path) -> None:
    with dev_stack(tmp_path, "--concurrency", "0") as stack:
        result = subprocess.run(
            [
                TRIGGERSQS,
                "worker",
                "--queue-url",
                stack.queue_url + "-missing",
                "--endpoint-url",
                stack.endpoint,
            ],
            env=clean_env(AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="t", AWS_SECRET_ACCESS_KEY="t"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert "the queue does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_worker_refuses_to_start_without_credentials(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            TRIGGERSQS,
            "worker",
            "--queue-url",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
        ],
        env=clean_env(
            AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
            AWS_CONFIG_FILE=str(tmp_path / "none"),
            AWS_EC2_METADATA_DISABLED="true",
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "no AWS credentials found" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_worker_refuses_a_store_that_cannot_work_before_taking_any_message(
    tmp_path: Path,
) -> None:
    # GIVEN a queue with a message, and a worker configured for DynamoDB with no region for it
    with dev_stack(tmp_path, "--concurrency", "0") as stack:
        send_bodies(stack.sqs(), stack.queue_url, [body("waiting")])
        env = clean_env(
            AWS_ACCESS_KEY_ID="t",
            AWS_SECRET_ACCESS_KEY="t",
            TRIGGERSQS_STORE="dynamodb",
            TRIGGERSQS_DYNAMODB_TABLE="triggersqs",
        )
        # WHEN it starts
        result = subprocess.run(
            [
                TRIGGERSQS,
                "worker",
                "--queue-url",
                stack.queue_url,
                "--endpoint-url",
                stack.endpoint,
                "--region",
                stack.region,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        # THEN it refuses with one line, and the message is still on the queue, untouched
        assert result.returncode == 2
        assert "needs an AWS region" in result.stderr
        assert "Traceback" not in result.stderr
        attributes = stack.sqs().get_queue_attributes(
            QueueUrl=stack.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "1"
