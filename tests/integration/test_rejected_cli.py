"""``triggersqs rejected list|show|replay``: reads through a real HTTP API (uvicorn), sends through
the embedded SQS server, marks the replay in the SQLite store behind the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.factories import new_rejection
from tests.support.servers import free_port
from tests.support.serving import uvicorn_in_thread
from tests.support.sqs import create_queue, sqs_client, sqs_server
from triggersqs.bootstrap import build_app
from triggersqs.cli.app import main
from triggersqs.settings import Settings
from triggersqs.storage.sqlite import SqliteStore

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from triggersqs.local.sqs_wire import QueueInfo


@dataclass
class Stack:
    api_url: str
    store: SqliteStore
    sqs: SQSClient
    queue: QueueInfo


@pytest.fixture(scope="module")
def sqs() -> Iterator[SQSClient]:
    with sqs_server() as url:
        client = sqs_client(url)
        yield client
        client.close()


@pytest.fixture
def stack(sqs: SQSClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The API over a SQLite file, that file named to the CLI by TRIGGERSQS_SQLITE_PATH."""
    path = tmp_path / "store.db"
    monkeypatch.setenv("TRIGGERSQS_SQLITE_PATH", str(path))
    settings = Settings.build(sqlite_path=str(path))
    store = SqliteStore(path)
    with uvicorn_in_thread(build_app(settings, store)) as url:
        yield Stack(url, store, sqs, create_queue(sqs))
    store.close()


def cli(capsys: pytest.CaptureFixture[str], stack: Stack, *args: str) -> tuple[int, str, str]:
    status = main(["rejected", *args, "--api-url", stack.api_url])
    out, err = capsys.readouterr()
    return status, out, err


def test_list_and_show_read_the_rejections_through_the_api(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = new_rejection('{"command": "SetStatus"', "body is not valid JSON (EOF)")
    stack.store.save([broken, new_rejection("second")])

    status, out, _ = cli(capsys, stack, "list")
    assert status == 0
    assert broken.envelope.message_id in out
    assert out.count("kept") == 2

    status, out, _ = cli(capsys, stack, "show", broken.envelope.message_id)
    assert status == 0
    assert "reason: body is not valid JSON (EOF)" in out
    assert out.rstrip().endswith('{"command": "SetStatus"')


def test_list_newest_shows_the_last_rejection_first_and_its_cursor_goes_on_newest_first(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN three rejections stored one after another
    sent = [new_rejection(f"bad {n}") for n in range(3)]
    for rejection in sent:
        stack.store.save([rejection])
    newest = [r.envelope.message_id for r in reversed(sent)]

    # WHEN the newest two are listed
    status, out, _ = cli(capsys, stack, "list", "--newest", "--limit", "2")

    # THEN the last one stored comes first, and the next page is named with its order
    assert status == 0
    listed = [line.split()[3] for line in out.splitlines()[1:3]]  # under the header
    assert listed == newest[:2]
    more = out.splitlines()[-1]
    assert more.startswith("more: --newest --cursor ")
    # ... which goes on to the oldest one
    status, out, _ = cli(capsys, stack, "list", "--newest", "--json", *more.split()[2:])
    assert status == 0
    page = json.loads(out)
    assert [e["message_id"] for e in page["rejected"].values()] == newest[2:]
    assert page["next_cursor"] is None


def test_replay_sends_the_message_as_it_was_and_marks_the_rejection(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a kept rejection
    rejection = new_rejection("fixed upstream now")
    stack.store.save([rejection])
    message_id = rejection.envelope.message_id

    # WHEN it is replayed onto the queue
    status, out, _ = cli(capsys, stack, "replay", message_id, "--queue-url", stack.queue.url)

    # THEN the queue holds it again under a new id, and /rejected says what became of it
    assert status == 0
    [sent] = stack.sqs.receive_message(QueueUrl=stack.queue.url)["Messages"]
    assert sent["Body"] == "fixed upstream now"
    assert f"as {sent['MessageId']}" in out
    status, out, _ = cli(capsys, stack, "show", message_id, "--json")
    shown = json.loads(out)
    assert (shown["status"], shown["replayed_as"]) == ("replayed", sent["MessageId"])


def test_replay_with_a_corrected_body_sends_that_body(
    stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rejection = new_rejection('{"command": "SetStatus"}', "client_id: Field required")
    stack.store.save([rejection])
    corrected = tmp_path / "fixed.json"
    corrected.write_text('{"command": "SetStatus", "client_id": "c79da7ce8e5e"}')

    status, _, _ = cli(
        capsys,
        stack,
        "replay",
        rejection.envelope.message_id,
        "--body",
        str(corrected),
        "--queue-url",
        stack.queue.url,
    )

    assert status == 0
    [sent] = stack.sqs.receive_message(QueueUrl=stack.queue.url)["Messages"]
    assert json.loads(sent["Body"])["client_id"] == "c79da7ce8e5e"


def test_a_second_replay_needs_again(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    rejection = new_rejection("twice")
    stack.store.save([rejection])
    first = cli(
        capsys, stack, "replay", rejection.envelope.message_id, "--queue-url", stack.queue.url
    )
    assert first[0] == 0

    refused = cli(
        capsys, stack, "replay", rejection.envelope.message_id, "--queue-url", stack.queue.url
    )
    assert refused[0] == 1
    assert "already replayed as" in refused[2]
    assert "--again" in refused[2]

    again = cli(
        capsys,
        stack,
        "replay",
        rejection.envelope.message_id,
        "--queue-url",
        stack.queue.url,
        "--again",
    )
    assert again[0] == 0
    assert (
        len(stack.sqs.receive_message(QueueUrl=stack.queue.url, MaxNumberOfMessages=10)["Messages"])
        == 2
    )


def test_an_unknown_rejection_and_an_unreachable_api_are_one_line_each(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = cli(capsys, stack, "replay", "no-such-id", "--queue-url", stack.queue.url)
    assert status == 1
    assert err.startswith("triggersqs: the API answered 404")
    assert err.count("\n") == 1

    status = main(["rejected", "list", "--api-url", f"http://127.0.0.1:{free_port()}"])
    _, err = capsys.readouterr()
    assert status == 1
    assert err.startswith("triggersqs: cannot reach the API")
    assert "Traceback" not in err
