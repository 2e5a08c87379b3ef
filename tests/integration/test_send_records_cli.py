"""``triggersqs send`` and ``triggersqs records`` as a user runs them (the installed script in a
subprocess): sending to the embedded SQS server, and listing from the HTTP API served by uvicorn
over a filled SQLite store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.factories import new_record
from tests.integration.conftest import uvicorn_in_thread
from tests.integration.sqs_fixtures import counts, create_queue, sqs_client, sqs_server
from tests.servers import free_port
from triggersqs.bootstrap import build_app
from triggersqs.core.records import us_from_utc
from triggersqs.local.sqs_wire import QueueInfo
from triggersqs.settings import Settings
from triggersqs.storage.sqlite import SqliteStore

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

TRIGGERSQS = Path(sys.executable).parent / "triggersqs"
API_KEY = "records-cli-key-0123456789"
T0 = datetime(2025, 11, 24, 16, 0, tzinfo=UTC)


def run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed ``triggersqs`` with no AWS credentials or TRIGGERSQS_* settings of the
    machine's: on loopback it must fall back to throwaway credentials by itself."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "TRIGGERSQS_"))
    }
    environ |= {
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        **(env or {}),
    }
    return subprocess.run(
        [str(TRIGGERSQS), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


# -- send --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqs() -> Iterator[SQSClient]:
    with sqs_server() as endpoint:
        client = sqs_client(endpoint)
        yield client
        client.close()


def drain(sqs: SQSClient, queue: QueueInfo) -> list[dict[str, Any]]:
    """Every message on the queue, received in order and deleted."""
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(dict(message) for message in batch)
        sqs.delete_message_batch(
            QueueUrl=queue.url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )


def test_send_puts_one_message_built_from_command_and_client_id(sqs: SQSClient) -> None:
    # GIVEN an empty queue on the embedded server
    queue = create_queue(sqs)
    # WHEN one message is sent
    done = run(
        "send", "--command", "SetStatus", "--client-id", "c79da7ce8e5e", "--queue-url", queue.url
    )
    # THEN it says so, exits 0, and the queue holds exactly that command
    assert done.returncode == 0, done.stderr
    assert done.stdout == "sent 1, failed 0\n"
    [message] = drain(sqs, queue)
    assert json.loads(message["Body"]) == {"command": "SetStatus", "client_id": "c79da7ce8e5e"}


def test_send_sends_each_json_line_of_a_file_as_is(sqs: SQSClient, tmp_path: Path) -> None:
    # GIVEN a JSON-lines file with a blank line and a line that is not valid JSON
    queue = create_queue(sqs)
    lines = [
        '{"command": "SetStatus", "client_id": "a"}',
        "{not json at all",
        '{"command": "Reset",   "client_id": "b",  "note": "ünïcode"}',
    ]
    path = tmp_path / "messages.jsonl"
    path.write_text(lines[0] + "\n\n" + lines[1] + "\r\n" + lines[2] + "\n", encoding="utf-8")
    # WHEN the file is sent
    done = run("send", "--file", str(path), "--queue-url", queue.url)
    # THEN every non-blank line went out byte for byte, the invalid one too
    assert done.returncode == 0, done.stderr
    assert done.stdout == "sent 3, failed 0\n"
    assert sorted(message["Body"] for message in drain(sqs, queue)) == sorted(lines)


def test_send_reads_json_lines_from_standard_input(sqs: SQSClient) -> None:
    # GIVEN JSON lines on standard input
    queue = create_queue(sqs)
    lines = [json.dumps({"command": "SetStatus", "client_id": f"stdin-{n}"}) for n in range(12)]
    # WHEN they are sent with --file -
    done = run("send", "--file", "-", "--queue-url", queue.url, stdin="\n".join(lines) + "\n")
    # THEN all twelve are on the queue
    assert done.returncode == 0, done.stderr
    assert done.stdout == "sent 12, failed 0\n"
    assert sorted(message["Body"] for message in drain(sqs, queue)) == sorted(lines)


def test_send_count_generates_valid_messages_with_progress(sqs: SQSClient) -> None:
    # GIVEN an empty queue
    queue = create_queue(sqs)
    # WHEN 25 generated messages are sent
    done = run("send", "--count", "25", "--queue-url", queue.url)
    # THEN all 25 arrived as valid commands with distinct client ids, and progress reached 25/25
    assert done.returncode == 0, done.stderr
    assert done.stdout == "sent 25, failed 0\n"
    assert counts(sqs, queue.url).visible == 25
    bodies = [json.loads(message["Body"]) for message in drain(sqs, queue)]
    assert len({body["client_id"] for body in bodies}) == 25
    assert {body["command"] for body in bodies} == {"SetStatus"}
    assert "25/25" in done.stderr.splitlines()[-1]


def test_send_to_a_fifo_queue_uses_the_group_and_keeps_the_order(
    sqs: SQSClient, tmp_path: Path
) -> None:
    # GIVEN a FIFO queue, and 15 lines whose order matters, each of them twice over
    queue = create_queue(sqs, fifo=True)
    lines = [json.dumps({"command": "Step", "client_id": "c", "n": n // 2}) for n in range(15)]
    path = tmp_path / "ordered.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    # WHEN they are sent with a group id
    done = run("send", "--file", str(path), "--group-id", "orders-7", "--queue-url", queue.url)
    # THEN all arrived in the group, in the file's order (identical lines were not deduplicated)
    assert done.returncode == 0, done.stderr
    messages = drain(sqs, queue)
    assert [message["Body"] for message in messages] == lines
    assert {message["Attributes"]["MessageGroupId"] for message in messages} == {"orders-7"}


def test_send_to_a_queue_that_does_not_exist_reports_the_failures(sqs: SQSClient) -> None:
    # GIVEN the URL of a queue that does not exist on the server
    queue = create_queue(sqs)
    missing = queue.url.rsplit("/", 1)[0] + "/no-such-queue-" + queue.url.rsplit("-", 1)[1]
    # WHEN 12 messages are sent to it
    done = run("send", "--count", "12", "--queue-url", missing)
    # THEN it exits 1, counts every message failed, and says why once
    assert done.returncode == 1
    assert done.stdout == "sent 0, failed 12\n"
    reasons = [line for line in done.stderr.splitlines() if line.startswith("  ")]
    assert len(reasons) == 1
    assert "NonExistentQueue" in reasons[0] or "QueueDoesNotExist" in reasons[0]


# -- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Api:
    url: str
    keyed_url: str
    ids: list[str]
    """Message ids in stored order."""
    clients: list[str]
    commands: list[str]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The API (open, and keyed) over a SQLite store of six records one minute apart."""
    path = tmp_path_factory.mktemp("records") / "records.db"
    clock = [us_from_utc(T0)]
    store = SqliteStore(path, clock=lambda: clock[0])
    ids, clients, commands = [], [], []
    for n in range(6):
        client, command = ("c1" if n % 2 == 0 else "c2"), ("Reset" if n % 3 == 2 else "SetStatus")
        clock[0] = us_from_utc(T0 + timedelta(minutes=n))
        item = new_record(command, client)
        store.save([item])
        ids.append(item.envelope.message_id)
        clients.append(client)
        commands.append(command)
    settings = Settings.build(store="sqlite", sqlite_path=str(path))
    keyed = Settings.build(store="sqlite", sqlite_path=str(path), api_key=API_KEY)
    with (
        uvicorn_in_thread(build_app(settings, store)) as url,
        uvicorn_in_thread(build_app(keyed, store)) as keyed_url,
    ):
        yield Api(url, keyed_url, ids, clients, commands)
    store.close()


def rows(output: str) -> list[list[str]]:
    """The table's record lines, split into cells (no cell here holds a space)."""
    lines = output.splitlines()
    assert lines[0].split() == ["#", "stored_at", "command", "client_id", "message_id"]
    return [line.split() for line in lines[1:] if not line.startswith(("more:", "(no records)"))]


def test_records_prints_every_record_as_a_table(api: Api) -> None:
    # GIVEN the API over six records
    # WHEN they are listed
    done = run("records", "--api-url", api.url)
    # THEN each is a row, in stored order, with its position, time, command, client and id
    assert done.returncode == 0, done.stderr
    table = rows(done.stdout)
    assert [row[0] for row in table] == ["0", "1", "2", "3", "4", "5"]
    assert [row[4] for row in table] == api.ids
    assert [row[2] for row in table] == api.commands
    assert [row[3] for row in table] == api.clients
    assert table[1][1].startswith("2025-11-24T16:01:00")
    assert "more:" not in done.stdout


def test_records_filters_by_client_and_command(api: Api) -> None:
    # GIVEN the API over six records
    # WHEN only client c1's Reset commands are listed
    done = run("records", "--api-url", api.url, "--client-id", "c1", "--command", "Reset")
    # THEN exactly the matching record is shown
    assert done.returncode == 0, done.stderr
    expected = [
        mid
        for mid, client, command in zip(api.ids, api.clients, api.commands, strict=True)
        if client == "c1" and command == "Reset"
    ]
    assert [row[4] for row in rows(done.stdout)] == expected


def test_records_filters_by_time(api: Api) -> None:
    # GIVEN the API over six records stored one minute apart from 16:00
    # WHEN those stored from 16:02 (inclusive) until 16:04 (exclusive) are listed
    done = run(
        "records",
        "--api-url",
        api.url,
        "--since",
        "2025-11-24T16:02:00Z",
        "--until",
        "2025-11-24T16:04:00Z",
    )
    # THEN the third and fourth are shown
    assert done.returncode == 0, done.stderr
    assert [row[4] for row in rows(done.stdout)] == api.ids[2:4]


def test_records_limit_pages_with_a_cursor_to_paste(api: Api) -> None:
    # GIVEN the API over six records
    # WHEN two are listed
    first = run("records", "--api-url", api.url, "--limit", "2")
    # THEN two rows show, then the option that gets the next page
    assert first.returncode == 0, first.stderr
    assert [row[4] for row in rows(first.stdout)] == api.ids[:2]
    last_line = first.stdout.splitlines()[-1]
    assert last_line.startswith("more: --cursor ")
    # AND WHEN that option is passed, the next two follow, numbered on from the first page
    second = run("records", "--api-url", api.url, "--limit", "2", *last_line.split()[1:])
    assert second.returncode == 0, second.stderr
    table = rows(second.stdout)
    assert [row[4] for row in table] == api.ids[2:4]
    assert [row[0] for row in table] == ["2", "3"]


def test_records_says_so_when_nothing_matches(api: Api) -> None:
    # GIVEN the API over six records, none of client "nobody"
    # WHEN that client's records are listed
    done = run("records", "--api-url", api.url, "--client-id", "nobody")
    # THEN the table says there are none, and the exit status is 0
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["(no records)"]


def test_records_json_prints_the_apis_page(api: Api) -> None:
    # GIVEN the API over six records
    # WHEN three are asked for as JSON
    done = run("records", "--api-url", api.url, "--limit", "3", "--json")
    # THEN the output is the API's page, untouched
    assert done.returncode == 0, done.stderr
    page = json.loads(done.stdout)
    assert list(page["messages"]) == ["0", "1", "2"]
    assert [record["message_id"] for record in page["messages"].values()] == api.ids[:3]
    assert page["next_cursor"]


def test_records_sends_the_api_key_from_the_environment(api: Api) -> None:
    # GIVEN an API that needs a key
    # WHEN records are listed with the key in TRIGGERSQS_API_KEY, and without it
    keyed = run("records", "--api-url", api.keyed_url, env={"TRIGGERSQS_API_KEY": API_KEY})
    refused = run("records", "--api-url", api.keyed_url)
    # THEN the first lists them, the second says the API refused and exits 1
    assert keyed.returncode == 0, keyed.stderr
    assert [row[4] for row in rows(keyed.stdout)] == api.ids
    assert refused.returncode == 1
    assert refused.stderr.startswith("triggersqs: the API answered 401")
    assert refused.stdout == ""


def test_records_reports_a_refused_query_clearly(api: Api) -> None:
    # GIVEN the API
    # WHEN a limit it refuses is asked for
    done = run("records", "--api-url", api.url, "--limit", "0")
    # THEN the API's answer is reported in one line, with exit status 1
    assert done.returncode == 1
    assert done.stderr.startswith("triggersqs: the API answered 422")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_records_reports_an_unreachable_api_clearly() -> None:
    # GIVEN an address where no API listens
    url = f"http://127.0.0.1:{free_port()}"
    # WHEN records are listed from it
    done = run("records", "--api-url", url)
    # THEN it exits 1 with one line naming the address
    assert done.returncode == 1
    assert done.stderr.startswith(f"triggersqs: cannot reach the API at {url}")
    assert done.stderr.count("\n") == 1
    assert done.stdout == ""
