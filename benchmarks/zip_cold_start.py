"""Cold start of the Lambda zip: fresh interpreters that see only the unpacked zip.

Each run starts a new interpreter (isolated, no site-packages, no bytecode writes: /var/task is
read-only in Lambda) whose sys.path holds the unpacked zip and the standard library only. It
imports ``triggersqs.lambda_handler``, handles one SQS event, then one HTTP event (a Function URL
``GET /records``), and reports how long each step took. The script prints the median (and range)
of N runs, and how long unpacking the zip took (Lambda unpacks it at each cold start too).

The store is the in-memory one, or with ``--dynamodb`` the DynamoDB store against DynamoDB Local
(started here: scripts/install-dynamodb-local), so that the SQS event pays for the SDK: importing
boto3, creating the client, the first request. ``--sdk-path DIR`` puts a folder holding boto3
after the zip on sys.path, as the Lambda runtime's own SDK is: the way to time a zip built
without it (the zips of scripts/build-lambda-zip before it bundled the SDK).

The zip must be built for this machine's Python and processor, for example::

    scripts/build-lambda-zip --python-version 3.11 --arch x86_64 --output dist/local.zip
    .venv/bin/python benchmarks/zip_cold_start.py --zip dist/local.zip --runs 20 --dynamodb

Standard library only (events inline), so it runs anywhere; ``--dynamodb`` borrows the tests'
server starter and the project's table creation.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TABLE = "zip-cold-start"

SQS_EVENT: dict[str, Any] = {
    "Records": [
        {
            "messageId": "c80e8021-a70a-42c7-a470-796e1186f753",
            "receiptHandle": "AQEBJQ+/u6NsnT5t8Q/VbVxgdUl4TMKZ5FqhksRdIQvLBhwNvADoBxYSOVeCBXdnS9P+",
            "body": '{"command": "SetStatus", "client_id": "c79da7ce8e5e"}',
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1545082649183",
                "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                "ApproximateFirstReceiveTimestamp": "1545082649185",
            },
            "messageAttributes": {},
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:triggersqs-queue",
            "awsRegion": "us-east-1",
        }
    ]
}
HTTP_EVENT: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/records",
    "rawQueryString": "",
    "headers": {"host": "abcdefg.lambda-url.us-east-1.on.aws", "accept": "application/json"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "abcdefg",
        "domainName": "abcdefg.lambda-url.us-east-1.on.aws",
        "domainPrefix": "abcdefg",
        "http": {
            "method": "GET",
            "path": "/records",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.7",
            "userAgent": "zip_cold_start",
        },
        "requestId": "2a7b5c4e-1d3f-4e5a-9b8c-7d6e5f4a3b2c",
        "routeKey": "$default",
        "stage": "$default",
        "time": "27/Nov/2026:05:00:00 +0000",
        "timeEpoch": 1795669200000,
    },
    "isBase64Encoded": False,
}

# Runs in the fresh interpreter: argv[1] is the unpacked zip, argv[2] the runtime's SDK folder
# (or ""), stdin the two events.
CHILD = """
import sys, time
started = time.perf_counter()
sys.path.insert(0, sys.argv[1])
if sys.argv[2]:
    sys.path.insert(1, sys.argv[2])
import json
events = json.load(sys.stdin)

class Context:
    aws_request_id = "cold-start-benchmark"
    def get_remaining_time_in_millis(self):
        return 30_000

import triggersqs.lambda_handler as module
imported = time.perf_counter()
sqs = module.handler(events["sqs"], Context())
handled_sqs = time.perf_counter()
http = module.handler(events["http"], Context())
handled_http = time.perf_counter()
allowed = tuple(path for path in sys.argv[1:3] if path)
outside = sorted(
    name for name, loaded in sys.modules.items()
    if getattr(loaded, "__file__", None)
    and not loaded.__file__.startswith((*allowed, sys.base_prefix, sys.base_exec_prefix))
)
sdk = sys.modules.get("botocore")
print("RESULT " + json.dumps({
    "import_ms": (imported - started) * 1000,
    "sqs_ms": (handled_sqs - imported) * 1000,
    "http_ms": (handled_http - handled_sqs) * 1000,
    "sqs": sqs,
    "http_status": http["statusCode"],
    "http_body": http["body"],
    "outside": outside,
    "sdk": getattr(sdk, "__file__", None),
}))
"""


def main(argv: list[str] | None = None) -> int:
    """Unpack the zip, time N fresh runs, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--zip", type=Path, required=True, help="built by build-lambda-zip")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter to run (the zip's version)"
    )
    parser.add_argument(
        "--dynamodb", action="store_true", help="the DynamoDB store, against DynamoDB Local"
    )
    parser.add_argument(
        "--dynamodb-endpoint", help="with --dynamodb: a DynamoDB Local already running there"
    )
    parser.add_argument(
        "--sdk-path", type=Path, help="a folder with boto3, after the zip on sys.path"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="triggersqs-task-") as task, store(args) as environ:
        started = time.perf_counter()
        with zipfile.ZipFile(args.zip) as archive:
            archive.extractall(task)
        unpack_ms = (time.perf_counter() - started) * 1000
        check_compatible(Path(task), args.python)
        sdk = str(args.sdk_path.resolve()) if args.sdk_path else ""
        runs = [run_once(task, sdk, args.python, environ) for _ in range(max(args.runs, 1))]
    report(args, runs, unpack_ms)
    return 0


@contextmanager
def store(args: argparse.Namespace) -> Iterator[dict[str, str]]:
    """The variables that choose the store: memory, or a fresh table in DynamoDB Local."""
    if not args.dynamodb:
        yield {"TRIGGERSQS_STORE": "memory"}
        return
    sys.path.insert(0, str(ROOT))
    from tests.support.servers import dynamodb_client, dynamodb_local

    from triggersqs.storage.dynamodb import create_table

    with (
        nullcontext(args.dynamodb_endpoint)
        if args.dynamodb_endpoint
        else dynamodb_local() as endpoint
    ):
        table = f"{TABLE}-{uuid.uuid4().hex[:8]}"
        create_table(dynamodb_client(endpoint), table)
        yield {
            "TRIGGERSQS_STORE": "dynamodb",
            "TRIGGERSQS_DYNAMODB_TABLE": table,
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }


def check_compatible(task: Path, python: str) -> None:
    """Refuse, clearly, a zip built for another Python or processor."""
    suffix = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    extensions = [path.name for path in task.rglob("*.so")]
    if extensions and not any(name.endswith(suffix) for name in extensions):
        raise SystemExit(
            f"the zip's compiled modules ({extensions[0]}) are not for {python} ({suffix}): "
            "build one with scripts/build-lambda-zip --python-version X.Y --arch ARCH "
            "for this machine"
        )


def run_once(task: str, sdk: str, python: str, store: dict[str, str]) -> dict[str, Any]:
    """One fresh interpreter: its own timings plus the whole process's wall time."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TRIGGERSQS_LOG_LEVEL": "WARNING",
        "LAMBDA_TASK_ROOT": task,
        **store,
    }
    # A new message each run: every run stores one, as a cold start after new traffic does.
    sqs = json.loads(json.dumps(SQS_EVENT))
    sqs["Records"][0]["messageId"] = str(uuid.uuid4())
    events = json.dumps({"sqs": sqs, "http": HTTP_EVENT})
    started = time.perf_counter()
    finished = subprocess.run(
        [python, "-I", "-S", "-B", "-c", CHILD, task, sdk],
        input=events,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    wall_ms = (time.perf_counter() - started) * 1000
    lines = [line for line in finished.stdout.splitlines() if line.startswith("RESULT ")]
    if finished.returncode != 0 or not lines:
        raise SystemExit(f"the handler failed:\n{finished.stdout}{finished.stderr}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    if result["sqs"] != {"batchItemFailures": []} or result["http_status"] != 200:
        raise SystemExit(f"the handler answered wrongly: {result}")
    if result["outside"]:
        raise SystemExit(f"modules loaded from outside the zip: {result['outside']}")
    if "TRIGGERSQS_DYNAMODB_TABLE" in store and not (result["sdk"] or "").startswith(sdk or task):
        raise SystemExit(f"botocore came from {result['sdk']}, not from {sdk or task}")
    result["process_ms"] = wall_ms
    result["to_first_answer_ms"] = result["import_ms"] + result["sqs_ms"]
    return result


def report(args: argparse.Namespace, runs: list[dict[str, Any]], unpack_ms: float) -> None:
    where = "DynamoDB Local" if args.dynamodb else "memory store"
    steps = {
        "import_ms": "import triggersqs.lambda_handler",
        "sqs_ms": f"first SQS event ({where})",
        "to_first_answer_ms": "import + first SQS event",
        "http_ms": "first HTTP event (Starlette + Mangum)",
        "process_ms": "whole process (start to exit)",
    }
    summary = {
        key: {
            "median": statistics.median(run[key] for run in runs),
            "min": min(run[key] for run in runs),
            "max": max(run[key] for run in runs),
        }
        for key in steps
    }
    size = args.zip.stat().st_size
    if args.json:
        result = {"zip": str(args.zip), "bytes": size, "unpack_ms": unpack_ms, "runs": len(runs)}
        print(json.dumps({**result, "ms": summary}, indent=2))
        return
    sdk = f"SDK from {args.sdk_path}" if args.sdk_path else "SDK from the zip"
    if not args.dynamodb:
        sdk = "no SDK loaded (memory store)"
    print(
        f"{args.zip}: {size / 1e6:.2f} MB, unpacked in {unpack_ms:.0f} ms; {sdk}; "
        f"{len(runs)} fresh interpreters ({args.python}); median [min, max]"
    )
    for key, label in steps.items():
        value = summary[key]
        print(f"  {label:<40} {value['median']:7.1f} ms  [{value['min']:.1f}, {value['max']:.1f}]")


if __name__ == "__main__":
    sys.exit(main())
