"""DLQ redrive on the embedded SQS server with the clients operators use besides boto3: the AWS
CLI (``aws sqs start-message-move-task`` ...) and the AWS SDK for JavaScript v3 (installed by
scripts/install-js-sdk, which the fixture runs: a missing Node.js fails these tests)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.test_sqs_redrive import dead_letter, finished, into_dlq
from tests.support.sqs import counts
from tests.support.waiting import wait_for

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

ROOT = Path(__file__).resolve().parents[2]
AWS_CLI = Path(sys.executable).parent / "aws"
JS_SDK = ROOT / ".cache" / "js-sdk"
JS_CALLS = Path(__file__).parent / "js" / "sqs_calls.mjs"


@pytest.fixture(scope="module")
def node() -> str:
    """Node.js with the SDK installed (scripts/install-js-sdk; idempotent)."""
    found = shutil.which("node")
    assert found is not None, "the JavaScript SDK tests need Node.js 20+ on PATH"
    subprocess.run([str(ROOT / "scripts" / "install-js-sdk")], check=True, timeout=300)
    return found


def aws(endpoint: str, *args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "5",  # a 500 would be retried: the test sees it was not
    }
    return subprocess.run(
        [
            *(str(AWS_CLI), "--endpoint-url", endpoint, "--output", "json", "sqs", *args),
            *(["--debug"] if debug else []),  # logs each HTTP request sent
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def js(node: str, endpoint: str, *calls: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    done = subprocess.run(
        [node, str(JS_CALLS), json.dumps({"endpoint": endpoint, "calls": calls})],
        capture_output=True,
        text=True,
        env={**os.environ, "JS_SDK_DIR": str(JS_SDK)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_aws_cli_redrives_a_dlq_and_lists_the_task(endpoint: str, sqs: SQSClient) -> None:
    # GIVEN a dead-lettered message
    dlq, (queue,) = dead_letter(sqs)
    into_dlq(sqs, queue, ["via the CLI"])

    # WHEN an operator starts a redrive with the AWS CLI
    started = aws(endpoint, "start-message-move-task", "--source-arn", dlq.arn)

    # THEN it answers the task handle, and the message goes back to its queue
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["TaskHandle"]
    wait_for(lambda: finished(sqs, dlq), 10, "the move task to finish", 0.05)
    assert counts(sqs, queue.url).visible == 1
    listed = aws(endpoint, "list-message-move-tasks", "--source-arn", dlq.arn)
    [task] = json.loads(listed.stdout)["Results"]
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 1)


def test_the_aws_cli_gets_aws_errors_at_once_without_retrying(
    endpoint: str, sqs: SQSClient
) -> None:
    _dlq, (queue,) = dead_letter(sqs)

    refused = aws(endpoint, "start-message-move-task", "--source-arn", queue.arn, debug=True)
    bad_handle = aws(endpoint, "cancel-message-move-task", "--task-handle", "nope", debug=True)

    assert refused.returncode == 255  # the AWS CLI v1 status of a service error
    assert "(InvalidParameterValue)" in refused.stderr
    assert "Source queue must be configured as a Dead Letter Queue." in refused.stderr
    assert "(InvalidParameterValue)" in bad_handle.stderr
    for done in (refused, bad_handle):
        # one request: a 400 is not retried (a 500 page was, four times)
        assert done.stderr.count("Sending http request") == 1
        assert "<html" not in done.stderr.lower()


def test_the_javascript_sdk_redrives_lists_and_cancels(
    node: str, endpoint: str, sqs: SQSClient
) -> None:
    # GIVEN two dead-lettered messages, and a destination queue
    dlq, (queue,) = dead_letter(sqs)
    into_dlq(sqs, queue, ["js-1", "js-2"])

    # WHEN the JavaScript SDK starts a slow redrive, lists it, cancels it and cancels it again
    start, listing, cancel, again, wrong = js(
        node,
        endpoint,
        ("StartMessageMoveTask", {"SourceArn": dlq.arn, "MaxNumberOfMessagesPerSecond": 1}),
        ("ListMessageMoveTasks", {"SourceArn": dlq.arn, "MaxResults": 10}),
        ("CancelMessageMoveTask", {"TaskHandle": "PLACEHOLDER"}),
        ("CancelMessageMoveTask", {"TaskHandle": "not-a-handle"}),
        ("StartMessageMoveTask", {"SourceArn": queue.arn}),
    )

    # THEN each answer parses as AWS's: a handle, the running task, and typed errors
    assert start["output"]["TaskHandle"]
    [task] = listing["output"]["Results"]
    assert (task["Status"], task["SourceArn"], task["TaskHandle"]) == (
        "RUNNING",
        dlq.arn,
        start["output"]["TaskHandle"],
    )
    assert cancel["error"]["name"] == "InvalidParameterValue"
    assert again["error"]["message"] == "Value for parameter TaskHandle is invalid."
    assert (wrong["error"]["name"], wrong["error"]["status"]) == ("InvalidParameterValue", 400)
    assert "Unexpected token" not in json.dumps([start, listing, cancel, again, wrong])
    # AND WHEN the real handle cancels it, the task stops
    [cancelled] = js(node, endpoint, ("CancelMessageMoveTask", {"TaskHandle": task["TaskHandle"]}))
    assert "ApproximateNumberOfMessagesMoved" in cancelled["output"]
    wait_for(lambda: finished(sqs, dlq), 10, "the move task to finish", 0.05)
