"""`triggersqs dev` as a newcomer runs it: send with boto3 and the AWS CLI, read back over HTTP."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.servers import AWS_CLI, CREDENTIALS, clean_env
from tests.support.sqs import send_bodies
from tests.support.stack import body, dev_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def test_messages_sent_with_boto3_and_the_aws_cli_are_served_over_http(tmp_path: Path) -> None:
    # GIVEN the dev stack
    with dev_stack(tmp_path) as stack:
        # WHEN one message goes in through boto3 and one through the AWS CLI
        send_bodies(stack.sqs(), stack.queue_url, [body("from-boto3")])
        cli = subprocess.run(
            [
                AWS_CLI,
                "--endpoint-url",
                stack.endpoint,
                "--region",
                stack.region,
                "sqs",
                "send-message",
                "--queue-url",
                stack.queue_url,
                "--message-body",
                body("from-the-cli", command="Delete"),
            ],
            env=clean_env(**CREDENTIALS),
            capture_output=True,
            text=True,
            check=False,
        )
        assert cli.returncode == 0, cli.stderr
        sent_id = json.loads(cli.stdout)["MessageId"]

        # THEN both are stored and served, with their SQS metadata
        wait_for(lambda: len(stack.all_records()) == 2, 30, "two stored records")
        records = {r["client_id"]: r for r in stack.all_records()}
        assert set(records) == {"from-boto3", "from-the-cli"}
        assert records["from-the-cli"]["command"] == "Delete"
        assert records["from-the-cli"]["message_id"] == sent_id
        assert records["from-the-cli"]["queue_arn"].endswith(":triggersqs")
        assert stack.get(f"/records/{sent_id}")["body"] == body("from-the-cli", command="Delete")
        wait_for(lambda: stack.queue_depth() == 0, 30, "the queue to be empty")


def test_a_malformed_message_shows_up_under_rejected(tmp_path: Path) -> None:
    with dev_stack(tmp_path) as stack:
        send_bodies(stack.sqs(), stack.queue_url, ["{'command': 'SetStatus'", body("fine")])

        wait_for(lambda: stack.get("/rejected")["rejected"], 30, "a rejected message")

        (rejected,) = stack.get("/rejected")["rejected"].values()
        assert rejected["body"] == "{'command': 'SetStatus'"
        assert "not valid JSON" in rejected["reason"]
        wait_for(lambda: len(stack.all_records()) == 1, 30, "the valid message stored")
        wait_for(lambda: stack.queue_depth() == 0, 30, "the queue to be empty")


def test_a_message_that_keeps_failing_ends_in_the_dlq_after_three_receives(tmp_path: Path) -> None:
    # GIVEN invalid messages are returned to the queue instead of kept, and a 2 s visibility timeout
    # (at 1 s the handler's time, the visibility timeout less the 1 s margin, is gone at once)
    env = {"TRIGGERSQS_INVALID_MESSAGES": "retry"}
    with dev_stack(tmp_path, "--visibility-timeout", "2", env=env) as stack:
        sqs = stack.sqs()
        # WHEN an invalid message arrives
        send_bodies(sqs, stack.queue_url, ["not json at all"])

        # THEN after three failed receives SQS moves it to the dead-letter queue, untouched
        wait_for(lambda: stack.queue_depth(stack.dlq_url) == 1, 60, "the message in the DLQ")
        dead = sqs.receive_message(
            QueueUrl=stack.dlq_url, MessageSystemAttributeNames=["ApproximateReceiveCount"]
        )["Messages"]
        assert [m["Body"] for m in dead] == ["not json at all"]
        assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= 3
        assert stack.queue_depth() == 0
        assert stack.all_records() == []
        # AND an operator who finds it in the DLQ finds why by its message id
        why = stack.get(f"/rejected/{dead[0]['MessageId']}")
        assert why["status"] == "returned_to_queue"
        assert "not valid JSON" in why["reason"]


def test_dev_names_its_region_and_prints_a_command_that_sends_a_message(tmp_path: Path) -> None:
    with dev_stack(tmp_path, region="eu-west-3") as stack:
        # the banner's paste-ready command, run as printed, delivers a message
        (line,) = [x for x in stack.banner.splitlines() if "aws --endpoint-url" in x]
        assert "--region eu-west-3" in line
        result = subprocess.run(  # noqa: S602 - runs exactly the line a user pastes
            line.strip().replace(" aws ", f" {AWS_CLI} ", 1),
            shell=True,
            env=clean_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr

        wait_for(lambda: len(stack.all_records()) == 1, 30, "the pasted message stored")
        (record,) = stack.all_records()
        assert record["queue_arn"].startswith("arn:aws:sqs:eu-west-3:")
        assert record["client_id"] == "c79da7ce8e5e"


def test_dev_says_at_start_whether_its_api_is_open(tmp_path: Path) -> None:
    # GIVEN dev without a key, then with one
    key = "dev-Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5o"
    for env, open_api in (({}, True), ({"TRIGGERSQS_API_KEY": key}, False)):
        with dev_stack(tmp_path, env=env) as stack:
            # THEN one JSON line before the banner says so, without the key
            lines = [json.loads(x) for x in stack.banner.splitlines() if x.startswith("{")]
            (said,) = [line for line in lines if "api_open" in line]
            assert said["api_open"] is open_api
            assert key not in stack.banner


def test_dev_api_answers_only_requests_to_a_loopback_host_name(tmp_path: Path) -> None:
    # GIVEN dev without a key; a DNS-rebinding page reaches it under its own host name
    with dev_stack(tmp_path) as stack:
        port = stack.api_url.rsplit(":", 1)[1]
        rebound = httpx.get(f"{stack.api_url}/records", headers={"Host": f"evil.example:{port}"})
        direct = httpx.get(f"{stack.api_url}/records", headers={"Host": f"localhost:{port}"})

    # THEN the rebound request is refused, and the developer's own ones are served
    assert rebound.status_code == 403
    assert rebound.json()["message"]
    assert direct.status_code == 200
