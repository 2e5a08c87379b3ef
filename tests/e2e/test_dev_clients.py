"""`triggersqs dev` on ports other than the defaults, and the client commands run beside it from the
same folder with no flags: the banner's commands as printed, the precedence of flags, environment
and the running dev, message ids printed by `send`, and `records --newest`."""

from __future__ import annotations

import json
import shlex
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import free_port
from tests.support.sqs import send_bodies
from tests.support.stack import DevStack, body, dev_stack, run_triggersqs
from tests.support.waiting import wait_for
from triggersqs.local.devstate import STATE_FILE, read_state

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("project")


@pytest.fixture(scope="module")
def stack(folder: Path) -> Iterator[DevStack]:
    """One dev stack on free ports (never 9324 and 8000) in ``folder``, with the client
    variables set in its own environment: the service must not refuse them."""
    client_variables = {
        "TRIGGERSQS_QUEUE_URL": "http://127.0.0.1:9/123456789012/elsewhere",
        "TRIGGERSQS_API_URL": "http://127.0.0.1:9",
    }
    with dev_stack(folder, env=client_variables) as running:
        yield running


def banner_command(stack: DevStack, starts: str) -> list[str]:
    """The banner's command line that starts with ``starts``, as argv for the installed script."""
    [line] = [line.strip() for line in stack.banner.splitlines() if line.strip().startswith(starts)]
    words = shlex.split(line)
    assert words[0] == ".venv/bin/triggersqs"
    return words[1:]


def test_the_commands_the_banner_prints_work_as_printed_on_other_ports(
    stack: DevStack, folder: Path
) -> None:
    # GIVEN dev on other ports, and its banner's send and records commands
    assert ":9324" not in stack.endpoint
    assert ":8000" not in stack.api_url
    send = banner_command(stack, ".venv/bin/triggersqs send")
    records = banner_command(stack, ".venv/bin/triggersqs records")
    # WHEN they run from the same folder, as printed (no flags, no environment)
    sent = run_triggersqs(*send, cwd=folder)
    # THEN send prints the message id SQS gave the message, and records finds it stored
    assert sent.returncode == 0, sent.stderr
    [message_id] = sent.stdout.split()
    assert "sent 1, failed 0" in sent.stderr

    def listed() -> str:
        done = run_triggersqs(*records, cwd=folder)
        assert done.returncode == 0, done.stderr
        return done.stdout

    wait_for(lambda: message_id in listed(), 30, "the sent message listed by `records`")
    # ... and the banner's curl URL answers with it too
    [curl] = [line for line in stack.banner.splitlines() if line.strip().startswith("curl")]
    with urllib.request.urlopen(curl.split()[-1], timeout=10) as response:  # noqa: S310
        page = json.load(response)
    assert message_id in {r["message_id"] for r in page["messages"].values()}


@pytest.mark.parametrize("suffix", ["", "/", "/records", "/records/", "/docs"])
def test_api_url_takes_the_base_url_with_or_without_a_path(
    stack: DevStack, folder: Path, suffix: str
) -> None:
    send_bodies(stack.sqs(), stack.queue_url, [body("with-a-path")])
    wait_for(lambda: len(stack.all_records()) >= 1, 30, "a stored record")

    done = run_triggersqs("records", "--api-url", stack.api_url + suffix, "--json", cwd=folder)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["messages"]


def test_flags_come_before_the_environment_before_the_running_dev(
    stack: DevStack, folder: Path
) -> None:
    # GIVEN a second queue on the running dev, and an API URL where nothing listens
    other = stack.sqs().create_queue(QueueName="other-queue")["QueueUrl"]
    nowhere = f"http://127.0.0.1:{free_port()}"
    # WHEN TRIGGERSQS_QUEUE_URL names the second queue, send goes there, not to the dev's queue
    via_env = run_triggersqs(
        "send", "--count", "3", "--quiet", env={"TRIGGERSQS_QUEUE_URL": other}, cwd=folder
    )
    assert via_env.returncode == 0, via_env.stderr
    assert stack.queue_depth(other) == 3
    # ... and --queue-url beats the environment
    via_flag = run_triggersqs(
        "send", "--count", "2", "--quiet", "--queue-url", other,
        env={"TRIGGERSQS_QUEUE_URL": stack.queue_url + "-missing"}, cwd=folder,
    )  # fmt: skip
    assert via_flag.returncode == 0, via_flag.stderr
    assert stack.queue_depth(other) == 5
    # WHEN TRIGGERSQS_API_URL names another API, records asks it, not the running dev
    env_api = run_triggersqs("records", env={"TRIGGERSQS_API_URL": nowhere}, cwd=folder)
    assert env_api.returncode == 1
    assert f"cannot reach the API at {nowhere}" in env_api.stderr
    # ... and --api-url beats the environment
    flag_api = run_triggersqs(
        "records", "--api-url", stack.api_url, env={"TRIGGERSQS_API_URL": nowhere}, cwd=folder
    )
    assert flag_api.returncode == 0, flag_api.stderr


def test_from_another_folder_the_running_dev_is_not_found(stack: DevStack, tmp_path: Path) -> None:
    # GIVEN the dev stack runs in another folder, with a record stored
    send_bodies(stack.sqs(), stack.queue_url, [body("only-over-there")])
    wait_for(lambda: len(stack.all_records()) >= 1, 30, "a stored record")
    # WHEN records runs here without flags
    done = run_triggersqs("records", "--json", cwd=tmp_path)
    # THEN it asks the default address, not that stack
    assert "only-over-there" not in done.stdout
    assert stack.api_url not in done.stderr
    if done.returncode != 0:
        assert "http://127.0.0.1:8000" in done.stderr


def test_send_prints_each_message_id_in_order_and_quiet_prints_none(
    stack: DevStack, folder: Path
) -> None:
    lines = [json.dumps({"command": "SetStatus", "client_id": f"ids-{n}"}) for n in range(12)]

    loud = run_triggersqs("send", "--file", "-", stdin="\n".join(lines), cwd=folder)
    quiet = run_triggersqs("send", "--file", "-", "--quiet", stdin=lines[0], cwd=folder)

    assert loud.returncode == 0, loud.stderr
    ids = loud.stdout.split()
    assert len(ids) == len(set(ids)) == 12
    wait_for(
        lambda: {r["message_id"] for r in stack.all_records()} >= set(ids), 30, "all 12 stored"
    )
    by_id = {r["message_id"]: r["client_id"] for r in stack.all_records()}
    assert [by_id[i] for i in ids] == [f"ids-{n}" for n in range(12)]
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == ""
    assert "sent 1, failed 0" in quiet.stderr


def test_records_newest_shows_the_last_message_first(stack: DevStack, folder: Path) -> None:
    # GIVEN many stored records, then one more
    run_triggersqs("send", "--count", "30", "--quiet", cwd=folder)
    wait_for(lambda: len(stack.all_records()) >= 30, 30, "30 stored")
    last = run_triggersqs("send", "--command", "Last", "--client-id", "newest", cwd=folder)
    last_id = last.stdout.strip()
    wait_for(lambda: last_id in {r["message_id"] for r in stack.all_records()}, 30, "the last")
    # WHEN records --newest runs beside the stack
    done = run_triggersqs("records", "--newest", "--limit", "5", cwd=folder)
    # THEN the first row is that last message, and a cursor leads to older ones
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert rows[1].split()[0] == "0"
    assert rows[1].split()[-1] == last_id
    # The next page's options, pasted as printed (a cursor goes on only in its own order)
    assert rows[-1].startswith("more: --newest --cursor ")
    older = run_triggersqs("records", "--limit", "5", *rows[-1].split()[1:], cwd=folder)
    assert older.returncode == 0, older.stderr
    assert last_id not in older.stdout
    assert older.stdout.splitlines()[1].split()[0] == "5"


def test_the_state_file_says_where_the_stack_is_and_holds_no_secret(
    stack: DevStack, folder: Path
) -> None:
    state = json.loads((folder / STATE_FILE).read_text())

    assert state["queue_url"] == stack.queue_url
    assert state["api_url"] == stack.api_url
    assert state["pid"] == stack.process.pid
    assert set(state) == {"pid", "sqs_endpoint", "queue_url", "dlq_url", "region", "api_url"}


def test_the_state_file_goes_when_dev_stops(tmp_path: Path) -> None:
    with dev_stack(tmp_path):
        assert read_state(tmp_path) is not None
    assert not (tmp_path / STATE_FILE).exists()
    assert read_state(tmp_path) is None


def test_the_dlq_and_rejected_commands_find_a_dev_on_other_ports_with_no_flags(
    tmp_path: Path,
) -> None:
    # GIVEN dev on free ports, in retry mode, and a message that is refused
    folder = tmp_path / "project"
    folder.mkdir()
    with dev_stack(
        folder, "--max-receive-count", "1", env={"TRIGGERSQS_INVALID_MESSAGES": "retry"}
    ) as stack:
        sent = run_triggersqs("send", "--file", "-", cwd=folder, stdin="not json\n")
        assert sent.returncode == 0, sent.stderr
        [message_id] = sent.stdout.split()

        # WHEN the operator runs the client commands in the same folder, with no flags
        def dead() -> bool:
            listed = run_triggersqs("dlq", "list", "--json", cwd=folder)
            return listed.returncode == 0 and message_id in listed.stdout

        wait_for(dead, 30, "the refused message in the DLQ", 0.5)
        rejected = run_triggersqs("rejected", "list", cwd=folder)

    # THEN they reached this stack's DLQ and API (on its own ports, not the defaults)
    assert not stack.api_url.endswith(":8000")
    assert rejected.returncode == 0, rejected.stderr
    assert message_id in rejected.stdout
