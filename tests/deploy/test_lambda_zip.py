"""scripts/build-lambda-zip: a zip Lambda can run, checked by running it as Lambda would.

The zip is built once, for the Python and processor running the tests (tests/deploy/conftest.py),
then unpacked into an empty folder. A fresh interpreter that sees only that folder and the
standard library (isolated, no site-packages, no bytecode writes: /var/task is read-only) imports
the handler and serves an SQS batch and HTTP requests, with the memory store, then stores a batch
in DynamoDB Local with the SDK the zip bundles. test_lambda_zip_build.py checks what the build
puts in the zip and its manifest.
"""

from __future__ import annotations

import json
import marshal
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import Build
from tests.deploy.support import ZIP_COLD_START
from tests.support.events import http_event, sqs_event
from tests.support.servers import dynamodb_client
from triggersqs.storage.dynamodb import create_table

pytestmark = pytest.mark.slow

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:triggersqs-Queue-1A2B3C4D5E6F"
UNCHECKED_HASH_PYC = 0b01
"""PEP 552 flags: a hash-based .pyc whose source Python does not check."""
COMMAND = '{"command": "SetStatus", "client_id": "c79da7ce8e5e"}'

# Runs in the fresh interpreter: argv[1] is the unpacked zip; stdin holds the events.
CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
events = json.load(sys.stdin)

class Context:
    aws_request_id = "zip-test"
    def get_remaining_time_in_millis(self):
        return 30_000

from triggersqs.lambda_handler import handler
answers = [handler(event, Context()) for event in events]
loaded = {
    name: module.__file__ for name, module in sys.modules.items()
    if getattr(module, "__file__", None)
}
print(json.dumps({"answers": answers, "loaded": loaded, "path": sys.path}))
"""
MEMORY_STORE = {"TRIGGERSQS_STORE": "memory"}


def top_level(build: Build) -> set[str]:
    return {name.split("/", 1)[0] for name in build.names()}


def invoke(task_root: Path, environ: dict[str, str], *events: dict[str, Any]) -> dict[str, Any]:
    """Call the handler from the unpacked zip in a fresh, isolated interpreter."""
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", CHILD, task_root],
        input=json.dumps(list(events)),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=task_root,
        env={
            "PATH": "/usr/bin:/bin",
            "LAMBDA_TASK_ROOT": str(task_root),
            "TRIGGERSQS_QUEUE_ARNS": QUEUE_ARN,
            "TRIGGERSQS_LOG_LEVEL": "WARNING",
            **environ,
        },
    )
    assert result.returncode == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return output


def test_the_zip_holds_triggersqs_and_its_runtime_dependencies(built_zip: Build) -> None:
    found = top_level(built_zip)

    assert "triggersqs/lambda_handler.py" in built_zip.names()
    assert {"triggersqs", "pydantic", "pydantic_core", "starlette", "mangum"} <= found
    assert "fastapi" not in found, "the API is Starlette (issue 15): FastAPI is not shipped"
    assert {"boto3", "botocore", "pythonjsonlogger"} <= found
    assert any(name.startswith("triggersqs-0.1.0.dist-info/") for name in built_zip.names())


def test_the_zip_holds_the_runtime_only_not_the_local_tooling(built_zip: Build) -> None:
    listed = built_zip.names()
    local_only = [
        name for name in listed if name.startswith(("triggersqs/local/", "triggersqs/cli/"))
    ]
    [record] = [
        name for name in listed if name.endswith(".dist-info/RECORD") and "triggersqs-" in name
    ]
    with zipfile.ZipFile(built_zip.zip) as archive:
        recorded = archive.read(record).decode()

    assert local_only == []
    assert not [name for name in listed if "console" in name]  # the page of dev and serve
    assert "triggersqs/local/" not in recorded
    assert "triggersqs/cli/" not in recorded
    assert not any(name.endswith("entry_points.txt") and "triggersqs-" in name for name in listed)
    assert "triggersqs/bootstrap.py" in listed


def test_the_zip_leaves_out_uvicorn_moto_and_the_dev_tools(built_zip: Build) -> None:
    found = {name.lower() for name in top_level(built_zip)}
    absent = {"uvicorn", "moto", "pytest", "mypy", "ruff", "cfnlint", "bin", "boto3_stubs"}

    assert not found & absent
    assert not any(name.endswith(".pth") for name in found)


def test_every_file_in_the_zip_is_readable_by_the_lambda_user(built_zip: Build) -> None:
    with zipfile.ZipFile(built_zip.zip) as archive:
        for info in archive.infolist():
            mode = info.external_attr >> 16
            assert stat.S_ISREG(mode), info.filename
            assert mode & 0o444 == 0o444, info.filename


def test_the_zip_carries_bytecode_python_loads_without_checking_sources(task_root: Path) -> None:
    tag = sys.implementation.cache_tag
    compiled = task_root / "triggersqs" / "__pycache__" / f"lambda_handler.{tag}.pyc"

    assert compiled.exists(), f"no {tag} bytecode in the zip"
    data = compiled.read_bytes()
    assert int.from_bytes(data[4:8], "little") == UNCHECKED_HASH_PYC
    # Tracebacks name the file where Lambda unpacks it, not the build's scratch folder.
    code = marshal.loads(data[16:])  # noqa: S302 - bytecode this test run just built
    assert code.co_filename == "/var/task/triggersqs/lambda_handler.py"


def test_the_zip_keeps_no_trace_of_the_machine_that_built_it(built_zip: Build) -> None:
    # (What would make two builds of the same sources differ.)
    found = built_zip.names()

    assert ".lock" not in found
    assert not [name for name in found if name.endswith(("/direct_url.json", "/uv_cache.json"))]
    with zipfile.ZipFile(built_zip.zip) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.fixture(scope="module")
def conversation(task_root: Path) -> dict[str, Any]:
    """An SQS batch of one command, then Function URL requests for what was stored, handled in
    turn by a fresh interpreter that sees only the unpacked zip."""
    batch = sqs_event(COMMAND, queue_arn=QUEUE_ARN)
    listing = http_event("function_url", "/records")
    health = http_event("function_url", "/healthcheck")
    output = invoke(task_root, MEMORY_STORE, batch, listing, health)
    output["message_ids"] = [record["messageId"] for record in batch["Records"]]
    return output


def test_the_handler_from_the_unpacked_zip_stores_an_sqs_batch_and_serves_it_over_http(
    conversation: dict[str, Any],
) -> None:
    sqs_answer, listing_answer, health_answer = conversation["answers"]

    # THEN the batch is acknowledged, and the HTTP API lists the stored command
    assert sqs_answer == {"batchItemFailures": []}
    assert listing_answer["statusCode"] == 200
    [stored] = json.loads(listing_answer["body"])["messages"].values()
    assert [stored["message_id"]] == conversation["message_ids"]
    assert stored["command"] == "SetStatus"
    assert health_answer["statusCode"] == 200
    assert json.loads(health_answer["body"]) == {"message": "health check"}


def test_the_handler_loads_nothing_from_outside_the_zip_and_the_standard_library(
    task_root: Path, conversation: dict[str, Any]
) -> None:
    stdlib = (sys.base_prefix, sys.base_exec_prefix)

    outside = {
        name: path
        for name, path in conversation["loaded"].items()
        if not path.startswith((str(task_root), *stdlib))
    }
    assert outside == {}
    assert "site-packages" not in " ".join(conversation["path"])
    assert conversation["loaded"]["triggersqs"].startswith(str(task_root))
    assert "starlette" in conversation["loaded"], "the HTTP path was taken"
    assert "boto3" not in conversation["loaded"], "the memory store needs no SDK"


def test_the_handler_stores_a_batch_in_dynamodb_with_the_sdk_the_zip_bundles(
    task_root: Path, dynamodb_local_endpoint: str
) -> None:
    # GIVEN a table in DynamoDB Local, and the unpacked zip configured for it
    client = dynamodb_client(dynamodb_local_endpoint)
    create_table(client, "zip-sdk")
    batch = sqs_event(COMMAND, queue_arn=QUEUE_ARN)
    environ = {
        "TRIGGERSQS_STORE": "dynamodb",
        "TRIGGERSQS_DYNAMODB_TABLE": "zip-sdk",
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }

    # WHEN its handler takes an SQS batch
    output = invoke(task_root, environ, batch)

    # THEN the record is in the table, written by the boto3 and botocore inside the zip
    assert output["answers"] == [{"batchItemFailures": []}]
    for package in ("boto3", "botocore"):
        assert output["loaded"][package].startswith(str(task_root)), package
    [record] = batch["Records"]
    item = client.get_item(
        TableName="zip-sdk", Key={"pk": {"S": record["messageId"]}, "sk": {"S": "#"}}
    )
    assert item["Item"]["command"] == {"S": "SetStatus"}


@pytest.mark.parametrize("dynamodb", [False, True], ids=["memory", "dynamodb"])
def test_the_cold_start_benchmark_runs_from_the_unpacked_zip(
    built_zip: Build, dynamodb: bool, dynamodb_local_endpoint: str
) -> None:
    store = ["--dynamodb", "--dynamodb-endpoint", dynamodb_local_endpoint] if dynamodb else []
    result = subprocess.run(
        [sys.executable, ZIP_COLD_START, "--zip", built_zip.zip, "--runs", "1", "--json", *store],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["runs"] == 1
    assert report["bytes"] == built_zip.zip.stat().st_size
    assert report["unpack_ms"] > 0
    assert set(report["ms"]) == {
        "import_ms",
        "sqs_ms",
        "to_first_answer_ms",
        "http_ms",
        "process_ms",
    }
    assert 0 < report["ms"]["import_ms"]["median"] < report["ms"]["process_ms"]["median"]
