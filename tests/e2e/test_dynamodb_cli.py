"""`triggersqs create-table`, then the Lambda handler storing into that table."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.stack import CREDENTIALS, TRIGGERSQS, clean_env
from tests.factories import body, sqs_event, sqs_record

pytestmark = pytest.mark.slow


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TRIGGERSQS, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_table_then_invoke_stores_into_dynamodb(
    dynamodb_local_endpoint: str, tmp_path: Path
) -> None:
    # GIVEN DynamoDB Local and a user's environment pointing at it
    env = clean_env(
        AWS_ENDPOINT_URL_DYNAMODB=dynamodb_local_endpoint,
        AWS_DEFAULT_REGION="us-east-1",
        TRIGGERSQS_DYNAMODB_TABLE="triggersqs-cli",
        **CREDENTIALS,
    )

    # WHEN the table is created, twice
    first = run(["create-table"], env, tmp_path)
    again = run(["create-table"], env, tmp_path)

    # THEN it is created once and the second run says it exists
    assert (first.returncode, first.stdout.strip()) == (0, "table triggersqs-cli created")
    assert (again.returncode, again.stdout.strip()) == (0, "table triggersqs-cli already exists")

    # AND the Lambda handler, configured for DynamoDB, stores a batch into it exactly once
    event = tmp_path / "event.json"
    record = sqs_record(body("SetStatus", "from-cli"))
    event.write_text(json.dumps(sqs_event(record, record)))
    invoked = run(["invoke", str(event)], {**env, "TRIGGERSQS_STORE": "dynamodb"}, tmp_path)
    assert invoked.returncode == 0, invoked.stderr
    assert json.loads(invoked.stdout) == {"batchItemFailures": []}
    summary = [
        json.loads(line) for line in invoked.stderr.splitlines() if "batch processed" in line
    ]
    assert [(s["stored"], s["duplicate"]) for s in summary] == [(1, 1)]


def test_create_table_without_a_name_is_refused(tmp_path: Path) -> None:
    result = run(["create-table"], clean_env(), tmp_path)

    assert result.returncode == 2
    assert "--table or TRIGGERSQS_DYNAMODB_TABLE" in result.stderr
