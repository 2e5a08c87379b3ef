"""Query injection: SQL metacharacters and DynamoDB expression syntax in every filter of the
HTTP API, over the SQLite store and the DynamoDB store (DynamoDB Local). Each filter means exact
equality and nothing else: the answers equal what exact matching over the stored records gives,
nothing else leaks, and no request gets a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest

from tests.support.factories import new_record, new_rejection
from tests.support.figures import Figures
from tests.support.servers import dynamodb_client, fresh_table
from tests.support.serving import uvicorn_in_thread
from triggersqs.api import create_app
from triggersqs.core.ports import MessageStore
from triggersqs.core.service import RecordService
from triggersqs.storage.sqlite import SqliteStore

SQL = [
    "' OR '1'='1",
    "c1' --",
    "c1'; DROP TABLE records; --",
    '" OR ""="',
    "1 OR 1=1",
    "%",
    "c%",
    "_",
    "*",
    "?",
    "' UNION SELECT message_id, body FROM rejected --",
    "c1\\",
    "c1\x00",
    "NULL",
]
DYNAMODB = [
    "attribute_exists(pk)",
    ":p",
    "#p",
    "#c = :c OR #c <> :c",
    "c1#0",
    "c1#",
    "#",
    "record",
    "rejection#0",
    "begins_with(pk, :x)",
    "c1 OR 1=1",
    "size(body) > :zero",
]
PAYLOADS = SQL + DYNAMODB
PLAIN = ["c1", "c2", "SetStatus", "Reset"]
SECRET = "secret-rejected-body"


@dataclass(frozen=True)
class Stored:
    """What was stored: (message id, client id, command) of each record."""

    records: list[tuple[str, str, str]]
    rejection_id: str


def populate(store: MessageStore) -> Stored:
    """Records whose client ids and commands are plain values and the payloads themselves."""
    rows: list[tuple[str, str, str]] = []
    items = []
    values = PLAIN + PAYLOADS
    for n, client in enumerate(values):
        command = values[(n * 7 + 3) % len(values)]
        item = new_record(
            command,
            client,
            body_text=json.dumps({"command": command, "client_id": client}),
        )
        items.append(item)
        rows.append((item.envelope.message_id, client, command))
    for start in range(0, len(items), 10):
        store.save(items[start : start + 10])
    rejection = new_rejection(SECRET)
    store.save([rejection])
    return Stored(rows, rejection.envelope.message_id)


@pytest.fixture(scope="module", params=["sqlite", "dynamodb-local"])
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx.Client, Stored]]:
    """The HTTP API over a populated store of each kind."""
    store: MessageStore
    with ExitStack() as tables:
        if request.param == "sqlite":
            store = SqliteStore(tmp_path_factory.mktemp("injection") / "store.db")
        else:
            from triggersqs.storage.dynamodb import DynamoDbStore

            endpoint: str = request.getfixturevalue("dynamodb_local_endpoint")
            table = tables.enter_context(fresh_table(endpoint, "injection"))
            store = DynamoDbStore(dynamodb_client(endpoint), table)

        stored = populate(store)
        app = create_app(RecordService(store, request.param))
        with uvicorn_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            yield client, stored
        store.close()


def no_leak(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    text = response.text
    for leak in ("Traceback", "sqlite", "SQLite", "syntax", "ValidationException", SECRET):
        assert leak not in text, (leak, text[:300])


def listed(api: httpx.Client, **query: str) -> list[str]:
    """The message ids of every record the filtered listing shows, page after page."""
    found: list[str] = []
    params: dict[str, str | int] = {**query, "limit": 10}
    while True:
        response = api.get("/records", params=params)
        no_leak(response)
        assert response.status_code == 200, response.text
        page = response.json()
        found.extend(record["message_id"] for record in page["messages"].values())
        if page["next_cursor"] is None:
            return found
        params["cursor"] = page["next_cursor"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_filter_holding_query_syntax_matches_exactly_that_value_and_nothing_else(
    api: tuple[httpx.Client, Stored], figures: Figures, payload: str
) -> None:
    client, stored = api
    figures.add("injection", payloads=1)
    for field, column in (("client_id", 1), ("command", 2)):
        # WHEN a listing is filtered by the payload
        got = listed(client, **{field: payload})

        # THEN it holds exactly the records whose field equals it, in stored order
        assert got == [row[0] for row in stored.records if row[column] == payload]
        figures.add("injection", requests=1, matched=len(got))
    # ... also combined with a plain value of the other filter, both ways
    both = [{"client_id": payload, "command": "SetStatus"}, {"client_id": "c1", "command": payload}]
    for query in both:
        got = listed(client, **query)
        assert got == [
            row[0]
            for row in stored.records
            if row[1] == query["client_id"] and row[2] == query["command"]
        ]
        figures.add("injection", requests=1, matched=len(got))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_query_syntax_in_ids_cursors_times_and_limits_is_refused_or_not_found_never_5xx(
    api: tuple[httpx.Client, Stored], figures: Figures, payload: str
) -> None:
    client, stored = api
    responses = [
        client.get(f"/records/{quote(payload, safe='')}"),
        client.get(f"/rejected/{quote(payload, safe='')}"),
        client.get("/records", params={"cursor": payload}),
        client.get("/rejected", params={"cursor": payload}),
        client.get("/records", params={"since": payload}),
        client.get("/records", params={"until": payload}),
        client.get("/records", params={"limit": payload}),
    ]
    for response in responses:
        no_leak(response)
        assert response.status_code in {400, 404, 422}, (response.request.url, response.text)
        assert response.json()["message"]
    figures.add("injection", requests=len(responses), server_errors=0)
    # ... and the records are all still there, one each
    assert sorted(listed(client)) == sorted(row[0] for row in stored.records)
