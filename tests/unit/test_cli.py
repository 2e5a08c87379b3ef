"""The command line in this process: help on every command, argument errors, the ``send`` rules,
region helpers, the ``dev`` banner, and how each error maps to one line and an exit status."""

from __future__ import annotations

import argparse
import json
import os
import shlex
from pathlib import Path

import pytest

from tests.support.servers import free_port
from triggersqs import errors
from triggersqs.cli import app as cli
from triggersqs.local import api_client, dev_queues
from triggersqs.local import dev as devstack
from triggersqs.local.sqs_client import region_of_queue_url

KNOWN_COMMANDS = {
    "dev": "embedded SQS-compatible server",
    "worker": "Long-poll QUEUE_URL",
    "serve": "HTTP API",
    "send": "batches of 10",
    "records": "GET /records",
    "invoke": "lambda_handler.handler",
}


def commands() -> list[str]:
    """Every subcommand the parser knows."""
    parser = cli.parser()
    [subcommands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(subcommands.choices)


def exit_status(argv: list[str]) -> int:
    """Run the CLI in this process; its exit status whether it returns or exits."""
    try:
        return cli.main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)


# -- help and argument errors -----------------------------------------------------------------


def test_the_program_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the program
    # WHEN it is asked for help
    status = exit_status(["--help"])
    # THEN it exits 0 and names every command with a line about it
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("usage: triggersqs")
    assert "TRIGGERSQS_" in out
    for command in commands():
        assert f"    {command}" in out
    assert set(KNOWN_COMMANDS) <= set(commands())


@pytest.mark.parametrize("command", commands())
def test_every_command_has_its_own_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a command
    # WHEN it is asked for help
    status = exit_status([command, "--help"])
    # THEN it exits 0 with its usage and a description of what it does
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith(f"usage: triggersqs {command}")
    description = out.split("\n\n")[1]
    assert len(description.split()) >= 5
    if command in KNOWN_COMMANDS:
        assert KNOWN_COMMANDS[command] in " ".join(out.split())


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        ([], "required"),
        (["frobnicate"], "invalid choice"),
        (["records", "--limit", "many"], "invalid int value"),
        (["send"], "one of the arguments --command --file --count is required"),
        (["send", "--count", "5", "--file", "x.jsonl"], "not allowed with"),
        (["send", "--count", "ten"], "invalid int value"),
        (["invoke"], "event"),
        (["dev", "--batch-size"], "expected one argument"),
    ],
    ids=[
        "no-command",
        "unknown-command",
        "limit-not-a-number",
        "send-nothing",
        "send-two-sources",
        "count-not-a-number",
        "invoke-without-event",
        "option-without-value",
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN arguments the parser refuses
    # WHEN the CLI runs
    status = exit_status(argv)
    # THEN it exits 2 and says what is wrong, with the usage
    err = capsys.readouterr().err
    assert status == 2
    assert complaint in err
    assert "usage: triggersqs" in err


def test_the_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the program
    # WHEN asked for its version
    status = exit_status(["--version"])
    # THEN it prints it and exits 0
    assert status == 0
    assert capsys.readouterr().out.startswith("triggersqs ")


# -- send argument rules -----------------------------------------------------------------------

AWS_QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/never-called"


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["send", "--command", "SetStatus"], "--command needs --client-id"),
        (["send", "--command", "SetStatus", "--client-id", ""], "--command needs --client-id"),
        (["send", "--count", "0", "--queue-url", AWS_QUEUE], "--count must be at least 1"),
        (["send", "--count", "-3", "--queue-url", AWS_QUEUE], "--count must be at least 1"),
    ],
    ids=["command-alone", "empty-client-id", "count-0", "count-negative"],
)
def test_send_refuses_what_cannot_be_sent_before_sending_anything(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN send arguments that parse but cannot work
    # WHEN the CLI runs
    status = exit_status(argv)
    # THEN it exits 2 with a one-line message, and sent nothing
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err == f"triggersqs: {complaint}\n"
    assert "sent" not in captured.out


def test_send_refuses_a_missing_file_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a JSON-lines path where no file is
    path = tmp_path / "nowhere.jsonl"
    # WHEN send is asked to read it
    status = exit_status(["send", "--file", str(path), "--queue-url", AWS_QUEUE])
    # THEN it exits 2, naming the file
    assert status == 2
    assert str(path) in capsys.readouterr().err


# -- regions and the dev banner ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("https://sqs.us-east-1.amazonaws.com/123456789012/orders", "us-east-1"),
        ("https://sqs.eu-west-3.amazonaws.com/123456789012/orders.fifo", "eu-west-3"),
        ("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders", "cn-north-1"),
        ("https://us-east-2.queue.amazonaws.com/123456789012/orders", "us-east-2"),
        ("https://sqs.us-gov-west-1.amazonaws.com/123456789012/orders", "us-gov-west-1"),
        ("https://vpce-0a1b2c3d-4e5f.sqs.eu-west-1.vpce.amazonaws.com/123456789012/q", "eu-west-1"),
        ("https://sqs.example.com/us-east-1/orders", None),
        ("http://127.0.0.1:9324/123456789012/triggersqs", None),
        ("http://localhost:4566/000000000000/q", None),
        ("not a url", None),
    ],
)
def test_the_region_of_a_queue_url_comes_from_its_host(url: str, region: str | None) -> None:
    # GIVEN a queue URL
    # WHEN its region is read
    # THEN it is the host's region for AWS URLs, and unknown for local ones
    assert region_of_queue_url(url) == region


@pytest.mark.parametrize(
    ("environ", "region"),
    [
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "ap-south-1"}, "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
        ({"AWS_REGION": "", "AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
        ({}, "us-east-1"),
    ],
    ids=["aws-region-first", "default-region-next", "empty-counts-as-unset", "us-east-1-last"],
)
def test_the_dev_region_comes_from_the_environment(environ: dict[str, str], region: str) -> None:
    # GIVEN an environment
    # WHEN the dev stack picks its region
    # THEN it follows AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1
    assert devstack.region_from(environ) == region


def test_the_banner_names_the_region_and_a_paste_ready_aws_cli_command() -> None:
    # GIVEN the dev stack's addresses in eu-central-1
    endpoint = "http://127.0.0.1:9324"
    queue_url = f"{endpoint}/123456789012/triggersqs"
    dlq_url = f"{endpoint}/123456789012/triggersqs-dlq"
    # WHEN its banner is written
    text = dev_queues.banner(queue_url, dlq_url, "http://127.0.0.1:8000", endpoint, "eu-central-1")
    # THEN it names the region, the queues and the API
    assert "region eu-central-1" in text
    assert queue_url in text
    assert dlq_url in text
    assert "http://127.0.0.1:8000/records" in text
    # ... and one line is an AWS CLI command a shell runs as it stands, sending a valid message
    [line] = [line for line in text.splitlines() if " aws " in line]
    words = shlex.split(line)
    assert words[:3] == ["AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "aws"]
    options = dict(zip(words[3::2], words[4::2], strict=False))
    assert options["--endpoint-url"] == endpoint
    assert options["--region"] == "eu-central-1"
    assert words[words.index("sqs") + 1] == "send-message"
    assert options["--queue-url"] == queue_url
    assert json.loads(options["--message-body"]) == {
        "command": "SetStatus",
        "client_id": "c79da7ce8e5e",
    }


# -- errors and exit statuses -----------------------------------------------------------------


def error_classes(root: type[errors.TriggerSqsError]) -> list[type[errors.TriggerSqsError]]:
    """``root`` and every class under it."""
    return [root, *(c for sub in root.__subclasses__() for c in error_classes(sub))]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.ConfigurationError, 2),
        (errors.UsageError, 2),
        (errors.TriggerSqsError, 1),
        (errors.ApiError, 1),
        (errors.StorageError, 1),
        (errors.StorageUnavailableError, 1),
        (errors.InvalidBatchResponseError, 1),
        (errors.InvalidCursorError, 1),
        (errors.UnsupportedEventError, 1),
        (errors.BatchFailedError, 1),
    ],
)
def test_each_error_maps_to_its_exit_status(
    error: type[errors.TriggerSqsError], status: int
) -> None:
    # GIVEN an error of the tree
    # WHEN the CLI maps it
    # THEN what the user must fix first is 2, any other failure 1
    assert cli.exit_status(error("x")) == status


def test_the_errors_docstring_draws_every_error_of_the_tree() -> None:
    # GIVEN the exception classes of triggersqs.errors
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    # WHEN the tree under TriggerSqsError is walked
    tree = error_classes(errors.TriggerSqsError)
    # THEN every class of the module is in it, and the docstring names each one
    assert set(classes) == set(tree)
    drawn = {line.strip("│├└─ ").split()[0] for line in (errors.__doc__ or "").splitlines() if line}
    assert {c.__name__ for c in tree} <= drawn


def test_bad_configuration_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN settings that cannot work
    for key in [k for k in os.environ if k.startswith("TRIGGERSQS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("TRIGGERSQS_STORE", "cassandra")
    # WHEN a command that needs them runs
    status = exit_status(["invoke", str(tmp_path / "event.json")])
    # THEN it exits 2 with one line naming the setting, and no traceback
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.startswith("triggersqs: invalid configuration: TRIGGERSQS_STORE")
    assert captured.err.count("\n") == 1
    assert captured.out == ""


@pytest.mark.parametrize(
    ("role", "argv"),
    [
        ("api", ["worker", "--queue-url", "http://127.0.0.1:1/123456789012/q"]),
        ("consumer", ["serve", "--port", "1"]),
        ("api", ["dev"]),
        ("consumer", ["dev"]),
    ],
)
def test_a_command_refuses_a_role_that_closes_its_door(
    role: str, argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a role that closes a door the command needs (a worker under api fails every batch)
    for key in [k for k in os.environ if k.startswith("TRIGGERSQS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("TRIGGERSQS_STORE", "memory")
    monkeypatch.setenv("TRIGGERSQS_ROLE", role)
    # WHEN the command runs
    status = exit_status(argv)
    # THEN it exits 2 before starting anything, with one line naming the role
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.startswith(f"triggersqs: triggersqs {argv[0]} needs TRIGGERSQS_ROLE=all")
    assert f"it is {role}" in captured.err
    assert captured.err.count("\n") == 1


def test_a_runtime_failure_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN an address where no API listens
    url = f"http://127.0.0.1:{free_port()}"
    # WHEN records are listed from it
    status = exit_status(["records", "--api-url", url])
    # THEN it exits 1 with one line naming the address
    captured = capsys.readouterr()
    assert status == 1
    assert captured.err.startswith(f"triggersqs: cannot reach the API at {url}")
    assert captured.err.count("\n") == 1
    assert captured.out == ""


def test_ctrl_c_exits_130_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a command interrupted by Ctrl-C
    def interrupted(*_args: object, **_kwargs: object) -> dict[str, object]:
        raise KeyboardInterrupt

    monkeypatch.setattr(api_client, "fetch_records", interrupted)
    # WHEN it runs
    status = exit_status(["records"])
    # THEN it exits 130 without a word or a traceback
    assert status == 130
    assert capsys.readouterr().err == ""
