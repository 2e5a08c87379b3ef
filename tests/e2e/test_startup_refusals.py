"""What cannot work is refused at start-up, by the installed script, as one line on stderr and an
exit status, within seconds and with nothing left running: busy or invalid ports (`dev`,
`serve`), a store that cannot be opened (`dev`, `serve`, `worker`), and the worker's queue URL,
region, endpoint and credentials."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import clean_env, free_port, wait_until_answering
from tests.support.sqs import send_bodies
from tests.support.stack import TRIGGERSQS, DevStack, body, dev_stack, run_triggersqs
from tests.support.waiting import wait_for
from triggersqs.local.devstate import STATE_FILE

UNUSABLE_STORE = {"TRIGGERSQS_SQLITE_PATH": "/etc/passwd/x.db"}
NO_AWS = {  # no region, no credentials anywhere: a call to AWS could not even be signed
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
}


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port another program listens on."""
    with socket.create_server(("127.0.0.1", 0)) as other:
        yield other.getsockname()[1]


def refused(*args: str, cwd: Path, env: dict[str, str] | None = None, within: float = 10) -> str:
    """Run the command; assert it exited 2 with one line within ``within`` s; that line."""
    started = time.monotonic()
    done = run_triggersqs(*args, cwd=cwd, env=env, timeout=within + 20)
    took = time.monotonic() - started
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert took < within, f"took {took:.1f} s"
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("triggersqs: ")
    assert not (cwd / STATE_FILE).exists()
    return done.stderr


# -- ports -----------------------------------------------------------------------------------------


def test_dev_refuses_a_busy_sqs_port_at_once(busy_port: int, tmp_path: Path) -> None:
    line = refused(
        "dev", "--sqs-port", str(busy_port), "--api-port", str(free_port()), cwd=tmp_path
    )
    assert f"127.0.0.1:{busy_port} for the SQS server" in line
    assert "in use" in line


def test_dev_refuses_a_busy_api_port_at_once(busy_port: int, tmp_path: Path) -> None:
    line = refused(
        "dev", "--sqs-port", str(free_port()), "--api-port", str(busy_port), cwd=tmp_path
    )
    assert f"127.0.0.1:{busy_port} for the HTTP API" in line


@pytest.mark.parametrize(
    "args",
    [
        ["dev", "--sqs-port", "80000"],
        ["dev", "--api-port", "-1"],
        ["serve", "--port", "65536"],
    ],
    ids=["sqs-port-80000", "api-port-negative", "serve-port-65536"],
)
def test_an_invalid_port_is_refused_not_replaced(args: list[str], tmp_path: Path) -> None:
    line = refused(*args, cwd=tmp_path)
    assert "a port is 1..65535" in line


def test_serve_refuses_a_busy_port_at_once(busy_port: int, tmp_path: Path) -> None:
    line = refused("serve", "--port", str(busy_port), cwd=tmp_path)
    assert f"127.0.0.1:{busy_port} for the HTTP API" in line


# -- the store -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["dev", "--sqs-port", "0", "--api-port", "0"],
        ["serve", "--port", "0"],
        ["serve", "--port", "0", "--workers", "2"],
        ["worker", "--queue-url", "http://127.0.0.1:9/123456789012/never-reached"],
    ],
    ids=["dev", "serve", "serve-workers", "worker"],
)
def test_a_store_that_cannot_be_opened_is_refused_before_ready(
    args: list[str], tmp_path: Path
) -> None:
    line = refused(*args, cwd=tmp_path, env=UNUSABLE_STORE)
    assert "the store cannot work" in line
    assert "/etc/passwd/x.db" in line


# -- the worker's queue ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dev")


@pytest.fixture(scope="module")
def stack(dev_folder: Path) -> Iterator[DevStack]:
    """A dev stack whose queue only workers consume (into the stack's store)."""
    with dev_stack(dev_folder, "--concurrency", "0") as running:
        yield running


@pytest.mark.slow
def test_a_worker_with_no_region_or_credentials_consumes_a_loopback_queue(
    stack: DevStack, dev_folder: Path, tmp_path: Path
) -> None:
    # GIVEN a message on the dev stack's queue, and no AWS region or credentials at all
    send_bodies(stack.sqs(), stack.queue_url, [body("loopback-worker")])
    log = (tmp_path / "worker.log").open("w")
    # WHEN a worker is given only the queue's loopback URL
    worker = subprocess.Popen(
        [TRIGGERSQS, "worker", "--queue-url", stack.queue_url, "--wait-time", "1"],
        env=clean_env(
            **NO_AWS,
            AWS_EC2_METADATA_DISABLED="true",
            TRIGGERSQS_SQLITE_PATH=str(dev_folder / "triggersqs.db"),
        ),
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        # THEN it stores the message: it used the URL's host as its endpoint, not AWS
        wait_for(
            lambda: [r["client_id"] for r in stack.all_records()] == ["loopback-worker"],
            30,
            "the worker to store the message",
        )
        wait_for(lambda: stack.queue_depth() == 0, 30, "the message deleted from the queue")
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()


@pytest.mark.parametrize("url", ["not-a-url", "127.0.0.1:9324/123456789012/q", "http://host/"])
def test_the_worker_refuses_a_malformed_queue_url(url: str, tmp_path: Path) -> None:
    line = refused("worker", "--queue-url", url, cwd=tmp_path, env=NO_AWS)
    assert "not a queue URL" in line


def test_the_worker_reports_an_unreachable_endpoint_in_one_line_with_exit_1(
    tmp_path: Path,
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/123456789012/orders"

    done = run_triggersqs("worker", "--queue-url", nowhere, cwd=tmp_path, env=NO_AWS, timeout=60)

    assert done.returncode == 1
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"triggersqs: cannot reach SQS for {nowhere}")


def test_the_worker_without_any_queue_says_how_to_name_one(tmp_path: Path) -> None:
    line = refused("worker", cwd=tmp_path, env=NO_AWS)
    assert "--queue-url or TRIGGERSQS_QUEUE_URL" in line


def test_a_dynamodb_table_that_does_not_exist_is_refused_before_ready(
    dynamodb_local_endpoint: str, tmp_path: Path
) -> None:
    env = {
        "TRIGGERSQS_STORE": "dynamodb",
        "TRIGGERSQS_DYNAMODB_TABLE": "no-such-table",
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }

    line = refused("serve", "--port", "0", cwd=tmp_path, env=env, within=20)

    assert "the store cannot work" in line
    assert "TRIGGERSQS_DYNAMODB_TABLE=no-such-table" in line


def test_a_dynamodb_endpoint_down_at_start_is_a_warning_and_serve_runs_on(tmp_path: Path) -> None:
    # GIVEN DynamoDB's endpoint is down (a port nobody listens on): it may come back
    port, nowhere = free_port(), f"http://127.0.0.1:{free_port()}"
    env = clean_env(
        TRIGGERSQS_STORE="dynamodb",
        TRIGGERSQS_DYNAMODB_TABLE="triggersqs",
        AWS_ENDPOINT_URL_DYNAMODB=nowhere,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )
    # WHEN serve starts
    process = subprocess.Popen(
        [TRIGGERSQS, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # THEN it warns in one line and serves, its readiness check saying the store is down
        wait_until_answering(f"http://127.0.0.1:{port}/healthcheck", process)  # type: ignore[arg-type]
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10)
        assert answer.value.code == 503
        answer.value.close()
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert err.startswith("triggersqs: warning: the store does not answer yet")
    assert "Traceback" not in err
