"""How client commands find their queue and API (cli/options.py): flags, then the environment,
then the `dev` running in the folder (its state file, local/devstate.py), then the defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from triggersqs.cli.options import DEV_QUEUE_URL
from triggersqs.cli.targets import resolve_api_url, resolve_queue
from triggersqs.errors import UsageError
from triggersqs.local.devstate import STATE_FILE, DevState, read_state, remove_state, write_state
from triggersqs.settings import Settings

DEV = DevState(
    pid=os.getpid(),
    sqs_endpoint="http://127.0.0.1:19500",
    queue_url="http://127.0.0.1:19500/123456789012/triggersqs",
    dlq_url="http://127.0.0.1:19500/123456789012/triggersqs-dlq",
    region="eu-west-3",
    api_url="http://127.0.0.1:19501",
)
AWS_QUEUE = "https://sqs.eu-central-1.amazonaws.com/123456789012/orders"


def resolve(
    flags: tuple[str | None, str | None, str | None] = (None, None, None),
    environ: dict[str, str] | None = None,
    state: DevState | None = None,
    fallback: str | None = DEV_QUEUE_URL,
    credentials: bool = False,
) -> tuple[str, str | None, str | None, bool]:
    target = resolve_queue(
        *flags,
        environ=environ or {},
        state=state,
        fallback=fallback,
        has_credentials=lambda: credentials,
    )
    endpoint = target.endpoint
    return target.url, endpoint.endpoint_url, endpoint.region, endpoint.access_key_id is not None


# -- the queue ----------------------------------------------------------------------------------


def test_a_running_dev_gives_its_queue_endpoint_and_region() -> None:
    assert resolve(state=DEV) == (DEV.queue_url, DEV.sqs_endpoint, "eu-west-3", True)


def test_the_environment_comes_before_the_running_dev() -> None:
    environ = {"TRIGGERSQS_QUEUE_URL": AWS_QUEUE}

    assert resolve(environ=environ, state=DEV) == (AWS_QUEUE, None, "eu-central-1", False)


def test_a_flag_comes_before_the_environment() -> None:
    flagged = "http://127.0.0.1:4566/000000000000/flagged"
    environ = {"TRIGGERSQS_QUEUE_URL": AWS_QUEUE, "AWS_REGION": "ap-south-1"}

    assert resolve((flagged, None, None), environ, DEV) == (
        flagged,
        "http://127.0.0.1:4566",
        "ap-south-1",
        True,
    )


def test_without_flag_environment_or_dev_the_default_is_used() -> None:
    assert resolve() == (DEV_QUEUE_URL, "http://127.0.0.1:9324", "us-east-1", True)


def test_without_any_queue_and_no_default_the_command_says_how_to_name_one() -> None:
    with pytest.raises(UsageError, match="--queue-url or TRIGGERSQS_QUEUE_URL"):
        resolve(fallback=None)


@pytest.mark.parametrize(
    "url",
    [
        "not-a-url",
        "ftp://127.0.0.1/1/q",
        "http:///123/q",
        "http://127.0.0.1:9324/",
        "https://x/a/b c",
    ],
)
def test_a_malformed_queue_url_is_refused(url: str) -> None:
    with pytest.raises(UsageError, match="not a queue URL"):
        resolve((url, None, None))


def test_a_queue_off_aws_is_its_own_endpoint_and_never_reaches_aws() -> None:
    # a container's name beside dev: not loopback, not AWS
    url = "http://triggersqs:9324/123456789012/triggersqs"

    assert resolve((url, None, None)) == (url, "http://triggersqs:9324", "us-east-1", True)


def test_an_endpoint_flag_or_variable_replaces_the_queue_urls_host() -> None:
    environ = {"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:1111"}

    assert resolve((AWS_QUEUE, None, None), environ)[1] == "http://127.0.0.1:1111"
    assert resolve((AWS_QUEUE, "http://127.0.0.1:2222", None), environ)[1] == (
        "http://127.0.0.1:2222"
    )


def test_off_aws_configured_credentials_are_kept() -> None:
    assert resolve(state=DEV, credentials=True)[3] is False


def test_a_region_flag_beats_the_queue_url_and_the_environment() -> None:
    environ = {"AWS_REGION": "ap-south-1"}

    assert resolve((AWS_QUEUE, None, "us-west-2"), environ)[2] == "us-west-2"
    assert resolve((AWS_QUEUE, None, None), environ)[2] == "eu-central-1"


# -- the API ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "base"),
    [
        ("http://127.0.0.1:19501", "http://127.0.0.1:19501"),
        ("http://127.0.0.1:19501/", "http://127.0.0.1:19501"),
        ("http://127.0.0.1:19501/records", "http://127.0.0.1:19501"),
        ("http://127.0.0.1:19501/records/", "http://127.0.0.1:19501"),
        ("http://127.0.0.1:19501/docs", "http://127.0.0.1:19501"),
        ("https://api.example.com/prod/records", "https://api.example.com/prod"),
        ("https://api.example.com/prod", "https://api.example.com/prod"),
    ],
)
def test_the_api_url_is_its_base_with_or_without_a_path(flag: str, base: str) -> None:
    assert resolve_api_url(flag, environ={}, state=DEV) == base


def test_the_api_url_comes_from_flag_then_environment_then_dev_then_default() -> None:
    environ = {"TRIGGERSQS_API_URL": "http://127.0.0.1:7000/records"}

    assert resolve_api_url("http://h:1", environ=environ, state=DEV) == "http://h:1"
    assert resolve_api_url(None, environ=environ, state=DEV) == "http://127.0.0.1:7000"
    assert resolve_api_url(None, environ={}, state=DEV) == DEV.api_url
    assert resolve_api_url(None, environ={}, state=None) == "http://127.0.0.1:8000"


def test_an_api_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(UsageError, match="not an http"):
        resolve_api_url("127.0.0.1:8000", environ={}, state=None)


# -- the state file -----------------------------------------------------------------------------


def test_the_state_file_round_trips_and_is_removed_only_by_its_owner(tmp_path: Path) -> None:
    write_state(tmp_path, DEV)

    assert read_state(tmp_path) == DEV
    remove_state(tmp_path, DEV.pid + 1)  # a later dev's state is not this process's to remove
    assert read_state(tmp_path) == DEV
    remove_state(tmp_path, DEV.pid)
    assert not (tmp_path / STATE_FILE).exists()


def test_a_state_file_whose_process_is_gone_is_ignored(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    gone = int(ended.stdout)
    write_state(tmp_path, replace(DEV, pid=gone))

    assert read_state(tmp_path) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '{"pid": "1"}',
        json.dumps({**{"pid": os.getpid()}, "queue_url": "file:///etc/passwd"}),
        json.dumps(
            {
                "pid": os.getpid(),
                "sqs_endpoint": "javascript:alert(1)",
                "queue_url": DEV.queue_url,
                "dlq_url": DEV.dlq_url,
                "region": "us-east-1",
                "api_url": DEV.api_url,
            }
        ),
    ],
)
def test_a_state_file_that_does_not_parse_is_ignored(tmp_path: Path, text: str) -> None:
    (tmp_path / STATE_FILE).write_text(text)

    assert read_state(tmp_path) is None


# -- the service ignores the client variables ---------------------------------------------------


def test_the_service_settings_pass_over_the_client_variables() -> None:
    environ = {
        "TRIGGERSQS_QUEUE_URL": DEV.queue_url,
        "TRIGGERSQS_API_URL": DEV.api_url,
        "TRIGGERSQS_STORE": "memory",
    }

    assert Settings.from_environ(environ).store == "memory"
