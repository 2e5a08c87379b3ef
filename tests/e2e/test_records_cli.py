"""``triggersqs records`` as a user runs it (the installed script in a subprocess), listing from
the HTTP API served by uvicorn over a filled SQLite store: the table, filters, pages, JSON, the API
key, and the failures it reports."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.factories import new_record
from tests.support.servers import free_port
from tests.support.serving import uvicorn_in_thread
from tests.support.stack import run_triggersqs
from triggersqs.bootstrap import build_app
from triggersqs.core.records import us_from_utc
from triggersqs.settings import Settings
from triggersqs.storage.sqlite import SqliteStore

API_KEY = "records-Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5o"
T0 = datetime(2025, 11, 24, 16, 0, tzinfo=UTC)


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
    done = run_triggersqs("records", "--api-url", api.url)
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
    done = run_triggersqs(
        "records", "--api-url", api.url, "--client-id", "c1", "--command", "Reset"
    )
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
    done = run_triggersqs(
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
    first = run_triggersqs("records", "--api-url", api.url, "--limit", "2")
    # THEN two rows show, then the option that gets the next page
    assert first.returncode == 0, first.stderr
    assert [row[4] for row in rows(first.stdout)] == api.ids[:2]
    last_line = first.stdout.splitlines()[-1]
    assert last_line.startswith("more: --cursor ")
    # AND WHEN that option is passed, the next two follow, numbered on from the first page
    second = run_triggersqs("records", "--api-url", api.url, "--limit", "2", *last_line.split()[1:])
    assert second.returncode == 0, second.stderr
    table = rows(second.stdout)
    assert [row[4] for row in table] == api.ids[2:4]
    assert [row[0] for row in table] == ["2", "3"]


def test_records_says_so_when_nothing_matches(api: Api) -> None:
    # GIVEN the API over six records, none of client "nobody"
    # WHEN that client's records are listed
    done = run_triggersqs("records", "--api-url", api.url, "--client-id", "nobody")
    # THEN the table says there are none, and the exit status is 0
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["(no records)"]


def test_records_json_prints_the_apis_page(api: Api) -> None:
    # GIVEN the API over six records
    # WHEN three are asked for as JSON
    done = run_triggersqs("records", "--api-url", api.url, "--limit", "3", "--json")
    # THEN the output is the API's page, untouched
    assert done.returncode == 0, done.stderr
    page = json.loads(done.stdout)
    assert list(page["messages"]) == ["0", "1", "2"]
    assert [record["message_id"] for record in page["messages"].values()] == api.ids[:3]
    assert page["next_cursor"]


def test_records_sends_the_api_key_from_the_environment(api: Api) -> None:
    # GIVEN an API that needs a key
    # WHEN records are listed with the key in TRIGGERSQS_API_KEY, and without it
    keyed = run_triggersqs(
        "records", "--api-url", api.keyed_url, env={"TRIGGERSQS_API_KEY": API_KEY}
    )
    refused = run_triggersqs("records", "--api-url", api.keyed_url)
    # THEN the first lists them, the second says the API refused and exits 1
    assert keyed.returncode == 0, keyed.stderr
    assert [row[4] for row in rows(keyed.stdout)] == api.ids
    assert refused.returncode == 1
    assert refused.stderr.startswith("triggersqs: the API answered 401")
    assert refused.stdout == ""


def test_records_reports_a_refused_query_clearly(api: Api) -> None:
    # GIVEN the API
    # WHEN a limit it refuses is asked for
    done = run_triggersqs("records", "--api-url", api.url, "--limit", "0")
    # THEN the API's answer is reported in one line, with exit status 1
    assert done.returncode == 1
    assert done.stderr.startswith("triggersqs: the API answered 422")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_records_reports_an_unreachable_api_clearly() -> None:
    # GIVEN an address where no API listens
    url = f"http://127.0.0.1:{free_port()}"
    # WHEN records are listed from it
    done = run_triggersqs("records", "--api-url", url)
    # THEN it exits 1 with one line naming the address
    assert done.returncode == 1
    assert done.stderr.startswith(f"triggersqs: cannot reach the API at {url}")
    assert done.stderr.count("\n") == 1
    assert done.stdout == ""


# -- a hostile or moved API ------------------------------------------------------------------------


@dataclass
class Seen:
    """What a scripted HTTP server received, and what it answers."""

    answer: Callable[[BaseHTTPRequestHandler], None]
    headers: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def scripted_server(answer: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[tuple[str, Seen]]:
    """An HTTP server on loopback that records each request's headers and lets ``answer`` reply."""
    seen = Seen(answer)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.headers.append(dict(self.headers.items()))
            seen.answer(self)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def reply(handler: BaseHTTPRequestHandler, status: int, body: object, **headers: str) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    for name, value in {"Content-Type": "application/json", **headers}.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


EMPTY_PAGE: dict[str, object] = {"messages": {}, "next_cursor": None}


def test_records_does_not_send_the_api_key_on_to_another_origin_after_a_redirect() -> None:
    # GIVEN an API that redirects to another origin (another port is another origin)
    with scripted_server(lambda h: reply(h, 200, EMPTY_PAGE)) as (elsewhere, there):
        redirect = lambda h: reply(h, 302, {}, Location=f"{elsewhere}/records")  # noqa: E731
        with scripted_server(redirect) as (url, here):
            # WHEN records are listed with the key
            done = run_triggersqs("records", "--api-url", url, env={"TRIGGERSQS_API_KEY": API_KEY})

    # THEN the key went to the API asked, never to the other origin
    assert done.returncode == 0, done.stderr
    assert here.headers[0]["Authorization"] == f"Bearer {API_KEY}"
    assert len(there.headers) == 1
    assert "Authorization" not in there.headers[0]


def test_records_keeps_the_api_key_on_a_redirect_within_the_same_origin() -> None:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        if handler.path.startswith("/records"):
            reply(handler, 301, {}, Location="/v2/records?limit=20")
        else:
            reply(handler, 200, EMPTY_PAGE)

    with scripted_server(answer) as (url, seen):
        done = run_triggersqs("records", "--api-url", url, env={"TRIGGERSQS_API_KEY": API_KEY})

    assert done.returncode == 0, done.stderr
    assert [h.get("Authorization") for h in seen.headers] == [f"Bearer {API_KEY}"] * 2


def test_records_prints_a_hostile_api_error_message_without_its_control_characters() -> None:
    # GIVEN an API whose error message would retitle and clear the operator's terminal
    message = "\x1b]0;pwned\x07\x1b[2J\rall good\u202e"
    with scripted_server(lambda h: reply(h, 404, {"message": message})) as (url, _):
        done = run_triggersqs("records", "--api-url", url)

    # THEN the one line on stderr shows them as escapes
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "\x1b" not in done.stderr
    assert "\r" not in done.stderr
    assert "\u202e" not in done.stderr
    assert "\\x1b]0;pwned" in done.stderr
