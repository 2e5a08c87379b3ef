"""The embedded SQS server of ``triggersqs dev`` serves the SQS API to SDKs and the AWS CLI, and
nothing to a web page: moto's management endpoints (/moto-api/data.json listed every message
body; /moto-api/reset wiped every queue) are gone, no CORS grant is made to a foreign origin,
and a request a browser sends (Origin, Sec-Fetch-*, a rebound Host name) is refused (issue 11)."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.support.servers import AWS_CLI, CREDENTIALS, clean_env
from tests.support.sqs import unique_name

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

EVIL = {"Origin": "http://evil.example"}


@pytest.fixture(scope="module")
def queue_with_a_secret(sqs: SQSClient) -> str:
    url = sqs.create_queue(QueueName=unique_name("secret"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody='{"command": "SetStatus", "client_id": "s3cr3t"}')
    return url


def test_a_web_page_cannot_read_the_message_bodies_from_moto_api_data_json(
    endpoint: str, queue_with_a_secret: str
) -> None:
    response = httpx.get(f"{endpoint}/moto-api/data.json", headers=EVIL)

    assert response.status_code in {403, 404}
    assert "s3cr3t" not in response.text
    assert "access-control-allow-origin" not in response.headers


def test_a_web_page_cannot_reset_the_queues_through_moto_api_reset(
    endpoint: str, sqs: SQSClient, queue_with_a_secret: str
) -> None:
    response = httpx.post(f"{endpoint}/moto-api/reset", headers=EVIL)

    assert response.status_code in {403, 404}
    assert "access-control-allow-origin" not in response.headers
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_with_a_secret, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


@pytest.mark.parametrize("path", ["/moto-api/", "/moto-api/data.json", "/latest/meta-data/"])
def test_no_management_endpoint_answers_even_without_an_origin(endpoint: str, path: str) -> None:
    assert httpx.get(endpoint + path).status_code == 404


def test_a_cross_origin_preflight_gets_no_cors_grant(endpoint: str) -> None:
    response = httpx.options(
        f"{endpoint}/",
        headers={**EVIL, "Access-Control-Request-Method": "POST"},
    )

    assert not any(name.startswith("access-control-") for name in response.headers)


@pytest.mark.parametrize(
    "headers",
    [
        EVIL,
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},
        {"Host": "rebound.evil.example:9324"},
    ],
    ids=["foreign-origin", "null-origin", "fetch-metadata", "dns-rebinding"],
)
def test_an_sqs_call_a_browser_would_send_is_refused(
    endpoint: str, queue_with_a_secret: str, headers: dict[str, str]
) -> None:
    # GIVEN a ReceiveMessage in the query protocol, as a page can send it with a plain form
    form = {"Action": "ReceiveMessage", "QueueUrl": queue_with_a_secret, "Version": "2012-11-05"}

    response = httpx.post(f"{endpoint}/", data=form, headers=headers)

    assert response.status_code == 403
    assert "s3cr3t" not in response.text
    assert "access-control-allow-origin" not in response.headers


def test_boto3_still_sends_receives_and_deletes(sqs: SQSClient) -> None:
    url = sqs.create_queue(QueueName=unique_name("boto3"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")

    received = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])

    assert [m["Body"] for m in received] == ["hello"]


def test_the_aws_cli_still_sends_and_receives(endpoint: str, sqs: SQSClient) -> None:
    url = sqs.create_queue(QueueName=unique_name("cli"))["QueueUrl"]
    env = clean_env(**CREDENTIALS, AWS_DEFAULT_REGION="us-east-1")
    common = [AWS_CLI, "--endpoint-url", endpoint, "--output", "json", "sqs"]

    sent = subprocess.run(
        [*common, "send-message", "--queue-url", url, "--message-body", "from the cli"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    received = subprocess.run(
        [*common, "receive-message", "--queue-url", url, "--wait-time-seconds", "1"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert sent.returncode == 0, sent.stderr
    assert received.returncode == 0, received.stderr
    assert [m["Body"] for m in json.loads(received.stdout)["Messages"]] == ["from the cli"]
