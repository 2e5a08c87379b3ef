"""`triggersqs create-table`, then the Lambda handler storing into that table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.factories import body, sqs_event, sqs_record
from tests.support.servers import CREDENTIALS, dynamodb_client
from tests.support.stack import run_triggersqs

pytestmark = pytest.mark.slow


def test_create_table_then_invoke_stores_into_dynamodb(
    dynamodb_local_endpoint: str, tmp_path: Path
) -> None:
    # GIVEN DynamoDB Local and a user's environment pointing at it
    env = {
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "TRIGGERSQS_DYNAMODB_TABLE": "triggersqs-cli",
        **CREDENTIALS,
    }

    # WHEN the table is created, twice
    first = run_triggersqs("create-table", env=env, cwd=tmp_path, timeout=120)
    again = run_triggersqs("create-table", env=env, cwd=tmp_path, timeout=120)

    # THEN it is created once and the second run says it exists
    assert (first.returncode, first.stdout.strip()) == (0, "table triggersqs-cli created")
    assert (again.returncode, again.stdout.strip()) == (0, "table triggersqs-cli already exists")
    # with its time to live on for the attribute every item carries (TRIGGERSQS_RETENTION_DAYS)
    admin = dynamodb_client(dynamodb_local_endpoint)
    ttl = admin.describe_time_to_live(TableName="triggersqs-cli")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")

    # AND the Lambda handler, configured for DynamoDB, stores a batch into it exactly once
    event = tmp_path / "event.json"
    record = sqs_record(body("SetStatus", "from-cli"))
    event.write_text(json.dumps(sqs_event(record, record)))
    invoked = run_triggersqs(
        "invoke", str(event), env={**env, "TRIGGERSQS_STORE": "dynamodb"}, cwd=tmp_path, timeout=120
    )
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout) == {"batchItemFailures": []}
    summary = [
        json.loads(line) for line in invoked.stderr.splitlines() if "batch processed" in line
    ]
    assert [(s["stored"], s["duplicate"]) for s in summary] == [(1, 1)]
    item = admin.get_item(
        TableName="triggersqs-cli", Key={"pk": {"S": record["messageId"]}, "sk": {"S": "#"}}
    )["Item"]
    assert "expires_at" in item  # 30 days by default
    admin.close()


def test_create_table_without_a_name_is_refused(tmp_path: Path) -> None:
    result = run_triggersqs("create-table", cwd=tmp_path, timeout=120)

    assert result.returncode == 2
    assert "--table or TRIGGERSQS_DYNAMODB_TABLE" in result.stderr
