"""The HTTP API served by a real uvicorn and called over loopback with httpx: pagination with
filters, bad input, single items, rejected messages, the API key, health, and the OpenAPI schema.
Every JSON answer is checked against the wire models in triggersqs.api.schemas."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from tests.support.factories import new_record, new_rejection
from tests.support.fakes import BuggyStore
from tests.support.serving import Serve, uvicorn_in_thread
from triggersqs.api import create_app
from triggersqs.api.schemas import (
    ErrorOut,
    HealthcheckOut,
    HealthOut,
    RecordOut,
    RecordPage,
    RejectionOut,
    RejectionPage,
)
from triggersqs.core.records import PREVIEW_BYTES, us_from_utc
from triggersqs.core.service import RecordService
from triggersqs.storage.memory import MemoryStore
from triggersqs.storage.sqlite import SqliteStore

API_KEY = "test-Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5o"
T0 = datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
BIG_NOTE = "«größe»" * 1500  # well over 4 KiB in UTF-8
REPLAYED_AS = "6c9b1e52-0e0f-4f5e-9d39-5b3f2f0c7a11"
DATA_PATHS = ["/records", "/records/{message_id}", "/rejected", "/rejected/{message_id}"]
HEALTH_PATHS = ["/healthcheck", "/health"]


@dataclass(frozen=True)
class Sent:
    """A record the fixture stored, and what the API should say about it."""

    message_id: str
    client_id: str
    command: str
    stored_at: datetime


@dataclass(frozen=True)
class Stored:
    records: list[Sent]
    rejections: list[str]
    big_record_body: str
    big_rejection_body: str


@dataclass(frozen=True)
class Servers:
    open: httpx.Client
    keyed: httpx.Client
    broken: httpx.Client
    stored: Stored


def populate(store: SqliteStore, clock: list[int]) -> Stored:
    """Ten records one minute apart, for two clients and two commands, and three rejections."""
    sent: list[Sent] = []
    big_record_body = ""
    for i in range(10):
        client, command = ("c1" if i % 2 == 0 else "c2"), ("Reset" if i % 3 == 2 else "SetStatus")
        moment = T0 + timedelta(minutes=i)
        clock[0] = us_from_utc(moment)
        extra = {"note": BIG_NOTE} if i == 0 else {}
        text = json.dumps({"command": command, "client_id": client, **extra}, ensure_ascii=False)
        big_record_body = big_record_body or text
        item = new_record(command, client, body_text=text)
        store.save([item])
        sent.append(Sent(item.envelope.message_id, client, command, moment))
    big_rejection_body = '{"command": "' + BIG_NOTE
    clock[0] = us_from_utc(T0 + timedelta(minutes=20))
    rejections = [
        new_rejection(big_rejection_body, "body is not valid JSON (EOF while parsing a string)"),
        new_rejection("Test message.", "body is not valid JSON (expected value)"),
        new_rejection('{"command": "SetStatus"}', "client_id: Field required"),
    ]
    store.save(rejections)
    store.mark_replayed(rejections[2].envelope.message_id, REPLAYED_AS)
    return Stored(
        sent, [r.envelope.message_id for r in rejections], big_record_body, big_rejection_body
    )


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The API over one populated SQLite file, open and keyed, and over a store that fails."""
    folder = tmp_path_factory.mktemp("api")
    clock = [us_from_utc(T0)]
    store = SqliteStore(folder / "records.db", clock=lambda: clock[0])
    stored = populate(store, clock)
    # A directory where the database file should be: SQLite cannot open it.
    broken_store = SqliteStore(folder)
    service = RecordService(store, "sqlite")
    with (
        uvicorn_in_thread(create_app(service)) as open_url,
        uvicorn_in_thread(create_app(service, api_key=API_KEY)) as keyed_url,
        uvicorn_in_thread(create_app(RecordService(broken_store, "sqlite"))) as broken_url,
        httpx.Client(base_url=open_url) as open_client,
        httpx.Client(base_url=keyed_url) as keyed_client,
        httpx.Client(base_url=broken_url) as broken_client,
    ):
        yield Servers(open_client, keyed_client, broken_client, stored)
    store.close()
    broken_store.close()


@pytest.fixture
def api(servers: Servers) -> httpx.Client:
    return servers.open


@pytest.fixture
def stored(servers: Servers) -> Stored:
    return servers.stored


def checked(response: httpx.Response, model: type[BaseModel]) -> dict[str, Any]:
    """The JSON body, after checking it is exactly what ``model`` describes."""
    assert response.headers["content-type"] == "application/json"
    assert "Traceback" not in response.text
    model.model_validate_json(response.text, strict=True)
    body: dict[str, Any] = response.json()
    assert set(body) <= set(model.model_fields) | {"detail"}
    # Pages: every entry carries exactly the fields of its item model, nothing more.
    entries: dict[type[BaseModel], tuple[str, type[BaseModel]]] = {
        RecordPage: ("messages", RecordOut),
        RejectionPage: ("rejected", RejectionOut),
    }
    if model in entries:
        key, item_model = entries[model]
        for item in body[key].values():
            assert set(item) == set(item_model.model_fields)
    return body


def error(response: httpx.Response, status: int) -> str:
    """The message of an error answer with ``status``."""
    assert response.status_code == status, response.text
    return str(checked(response, ErrorOut)["message"])


def walk(api: httpx.Client, path: str, key: str, **query: str) -> list[dict[str, Any]]:
    """Every page of a listing; each page's items with their position keys."""
    pages: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = dict(query) | ({"cursor": cursor} if cursor else {})
        response = api.get(path, params=params)
        assert response.status_code == 200, response.text
        page = checked(response, RecordPage if key == "messages" else RejectionPage)
        pages.append(page[key])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not end"


# -- health ----------------------------------------------------------------------------------------


def test_healthcheck_answers_health_check(api: httpx.Client) -> None:
    response = api.get("/healthcheck")

    assert response.status_code == 200
    assert checked(response, HealthcheckOut) == {"message": "health check"}


def test_health_reports_that_the_store_answers(api: httpx.Client) -> None:
    response = api.get("/health")

    assert response.status_code == 200
    assert checked(response, HealthOut) == {"status": "ok", "store": "sqlite"}


def test_health_is_503_with_a_json_message_when_the_store_cannot_be_opened(
    servers: Servers,
) -> None:
    message = error(servers.broken.get("/health"), 503)

    assert "unavailable" in message
    assert "sqlite3" not in message


def test_listing_records_is_503_not_500_when_the_store_cannot_be_opened(servers: Servers) -> None:
    assert "unavailable" in error(servers.broken.get("/records"), 503)


def test_the_liveness_check_answers_even_when_the_store_cannot(servers: Servers) -> None:
    assert servers.broken.get("/healthcheck").status_code == 200


# -- pagination ------------------------------------------------------------------------------------


def test_pages_walk_every_record_in_stored_order_with_positions_continuing(
    api: httpx.Client, stored: Stored
) -> None:
    # GIVEN ten stored records WHEN listed three at a time
    pages = walk(api, "/records", "messages", limit="3")

    # THEN four pages; keys are positions in the whole ordering; the last cursor is null
    assert [list(page) for page in pages] == [
        ["0", "1", "2"],
        ["3", "4", "5"],
        ["6", "7", "8"],
        ["9"],
    ]
    ids = [item["message_id"] for page in pages for item in page.values()]
    assert ids == [r.message_id for r in stored.records]


def test_page_two_of_limit_n_starts_at_key_n(api: httpx.Client) -> None:
    first = checked(api.get("/records", params={"limit": 4}), RecordPage)
    second = checked(
        api.get("/records", params={"limit": 4, "cursor": first["next_cursor"]}), RecordPage
    )

    assert list(second["messages"]) == ["4", "5", "6", "7"]
    assert second["next_cursor"] is not None


def test_a_page_that_reaches_the_end_exactly_has_a_null_cursor(api: httpx.Client) -> None:
    page = checked(api.get("/records", params={"limit": 10}), RecordPage)

    assert len(page["messages"]) == 10
    assert page["next_cursor"] is None


@pytest.mark.parametrize(
    "query",
    [
        {"client_id": "c1"},
        {"client_id": "c2"},
        {"command": "Reset"},
        {"command": "SetStatus", "client_id": "c2"},
        {"since": (T0 + timedelta(minutes=4)).isoformat()},
        {"until": (T0 + timedelta(minutes=4)).isoformat()},
        {
            "since": (T0 + timedelta(minutes=2)).isoformat(),
            "until": (T0 + timedelta(minutes=8)).isoformat(),
            "client_id": "c1",
        },
        {"since": "2025-11-24T17:03:00+01:00"},
        {"since": "2025-11-24T16:03:00"},
    ],
    ids=[
        "client-c1",
        "client-c2",
        "command",
        "command-and-client",
        "since",
        "until",
        "since-until-client",
        "since-with-offset",
        "since-without-zone-is-utc",
    ],
)
def test_filtered_pages_hold_only_matching_records_with_positions_continuing(
    api: httpx.Client, stored: Stored, query: dict[str, str]
) -> None:
    # GIVEN the records a filter should select (since inclusive, until exclusive)
    since = datetime.fromisoformat(query["since"]) if "since" in query else None
    until = datetime.fromisoformat(query["until"]) if "until" in query else None
    since = since.replace(tzinfo=since.tzinfo or UTC) if since else None
    expected = [
        r.message_id
        for r in stored.records
        if query.get("client_id", r.client_id) == r.client_id
        and query.get("command", r.command) == r.command
        and (since is None or r.stored_at >= since)
        and (until is None or r.stored_at < until)
    ]
    assert 0 < len(expected) < 10

    # WHEN the filtered listing is walked two at a time
    pages = walk(api, "/records", "messages", limit="2", **query)

    # THEN it holds exactly those records, keyed 0, 1, 2, ... across pages
    items = [(key, item) for page in pages for key, item in page.items()]
    assert [key for key, _ in items] == [str(i) for i in range(len(expected))]
    assert [item["message_id"] for _, item in items] == expected
    assert all(len(page) == 2 for page in pages[:-1])


def test_a_filter_matching_nothing_gives_one_empty_page(api: httpx.Client) -> None:
    page = checked(api.get("/records", params={"client_id": "nobody"}), RecordPage)

    assert page == {"messages": {}, "next_cursor": None}


def test_the_default_page_holds_100_records(serve: Serve) -> None:
    store = MemoryStore()
    store.save([new_record(client_id=f"c{i}") for i in range(150)])
    with httpx.Client(base_url=serve(create_app(RecordService(store, "memory")))) as api:
        page = checked(api.get("/records"), RecordPage)
        rest = checked(api.get("/records", params={"cursor": page["next_cursor"]}), RecordPage)

    assert list(page["messages"]) == [str(i) for i in range(100)]
    assert list(rest["messages"]) == [str(i) for i in range(100, 150)]
    assert rest["next_cursor"] is None


def test_a_cursor_from_other_filters_is_refused_with_400(api: httpx.Client) -> None:
    # GIVEN a cursor from the listing of client c1
    cursor = checked(api.get("/records", params={"client_id": "c1", "limit": 1}), RecordPage)[
        "next_cursor"
    ]

    # WHEN it is used for client c2 THEN it is refused
    message = error(api.get("/records", params={"client_id": "c2", "cursor": cursor}), 400)
    assert "other filters" in message


def test_a_records_cursor_is_refused_by_the_rejected_listing(api: httpx.Client) -> None:
    cursor = checked(api.get("/records", params={"limit": 1}), RecordPage)["next_cursor"]

    assert error(api.get("/rejected", params={"cursor": cursor}), 400).startswith("invalid cursor")


# -- bad input -------------------------------------------------------------------------------------


def forged(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/records", {"limit": "0"}),
        ("/records", {"limit": "5000"}),
        ("/records", {"limit": "abc"}),
        ("/records", {"limit": "-1"}),
        ("/records", {"limit": "2.5"}),
        ("/records", {"limit": "99999999999999999999999999"}),
        ("/records", {"cursor": "abc"}),
        ("/records", {"cursor": "not a cursor at all"}),
        ("/records", {"cursor": forged([1, 0, "1", "0123456789abcdef"])}),
        ("/records", {"cursor": forged({"position": 100})}),
        ("/records", {"cursor": ""}),
        ("/records", {"cursor": "A" * 600}),
        ("/records", {"since": "yesterday"}),
        ("/records", {"since": "2025-13-01"}),
        ("/records", {"until": "2025-11-24T25:00:00"}),
        ("/records", {"until": "1e20"}),
        ("/records", {"client_id": "c" * 257}),
        ("/records", {"client_id": ""}),
        ("/records", {"command": "x" * 257}),
        ("/rejected", {"limit": "0"}),
        ("/rejected", {"limit": "1001"}),
        ("/rejected", {"cursor": "garbage"}),
    ],
)
def test_bad_input_is_a_4xx_with_a_json_message_never_a_5xx(
    api: httpx.Client, path: str, query: dict[str, str]
) -> None:
    response = api.get(path, params=query)

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body["message"], str)
    assert body["message"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "query",
    [
        {"since": "0001-01-01T00:00:00+01:00"},
        {"until": "9999-12-31T23:59:59-14:00"},
        {"since": "2025-11-24"},
        {"since": "1764000000"},
        {"client_id": "\x00"},
        {"client_id": "é" * 256},
        {"since": "2025-11-25T00:00:00Z", "until": "2025-11-24T00:00:00Z"},
    ],
    ids=[
        "year-one",
        "year-9999",
        "date-only",
        "epoch-seconds",
        "nul-client",
        "256-chars",
        "since-after-until",
    ],
)
def test_odd_but_valid_filters_are_answered(api: httpx.Client, query: dict[str, str]) -> None:
    response = api.get("/records", params=query)

    assert response.status_code == 200, response.text
    checked(response, RecordPage)


def test_an_unknown_route_is_a_json_404(api: httpx.Client) -> None:
    assert error(api.get("/nothing/here"), 404) == "Not Found"


def test_a_write_method_is_a_json_405(api: httpx.Client) -> None:
    assert error(api.post("/records", json={"command": "x"}), 405) == "Method Not Allowed"


def test_an_unexpected_error_is_a_json_500_without_details(serve: Serve) -> None:
    # GIVEN a store with a bug
    store = BuggyStore(RuntimeError("secret internals"))

    with httpx.Client(base_url=serve(create_app(RecordService(store, "memory")))) as api:
        response = api.get("/records/any")

    # THEN the client learns only that it failed
    assert error(response, 500) == "internal error"
    assert "secret internals" not in response.text


# -- single items ----------------------------------------------------------------------------------


def test_one_record_is_served_with_its_whole_body(api: httpx.Client, stored: Stored) -> None:
    first = stored.records[0]

    record = checked(api.get(f"/records/{first.message_id}"), RecordOut)

    assert record["body"] == stored.big_record_body
    assert record["body_bytes"] == len(stored.big_record_body.encode()) > PREVIEW_BYTES
    assert record["body_truncated"] is False
    assert (record["client_id"], record["command"]) == (first.client_id, first.command)
    assert datetime.fromisoformat(record["stored_at"]) == first.stored_at


def test_the_same_record_in_a_listing_carries_only_the_first_4_kib(
    api: httpx.Client, stored: Stored
) -> None:
    listed = checked(api.get("/records", params={"limit": 1}), RecordPage)["messages"]["0"]

    assert listed["body_truncated"] is True
    assert len(listed["body"].encode()) <= PREVIEW_BYTES
    assert stored.big_record_body.startswith(listed["body"])
    assert listed["body_bytes"] == len(stored.big_record_body.encode())


def test_an_unknown_record_is_a_json_404(api: httpx.Client) -> None:
    assert "no record" in error(api.get("/records/no-such-id"), 404)


def test_a_rejected_message_is_not_served_as_a_record(api: httpx.Client, stored: Stored) -> None:
    error(api.get(f"/records/{stored.rejections[0]}"), 404)


def test_one_rejected_message_is_served_with_its_whole_raw_body(
    api: httpx.Client, stored: Stored
) -> None:
    rejection = checked(api.get(f"/rejected/{stored.rejections[0]}"), RejectionOut)

    assert rejection["body"] == stored.big_rejection_body
    assert rejection["body_truncated"] is False
    assert rejection["reason"].startswith("body is not valid JSON")


def test_an_unknown_rejected_message_is_a_json_404(api: httpx.Client, stored: Stored) -> None:
    assert "no rejected message" in error(api.get("/rejected/no-such-id"), 404)
    error(api.get(f"/rejected/{stored.records[0].message_id}"), 404)


# -- rejected messages -----------------------------------------------------------------------------


def test_rejected_messages_are_listed_with_reason_and_bodies_cut_to_4_kib(
    api: httpx.Client, stored: Stored
) -> None:
    page = checked(api.get("/rejected"), RejectionPage)

    entries = page["rejected"]
    assert list(entries) == ["0", "1", "2"]
    assert [e["message_id"] for e in entries.values()] == stored.rejections
    big, text, partial = entries.values()
    assert big["body_truncated"] is True
    assert len(big["body"].encode()) <= PREVIEW_BYTES
    assert stored.big_rejection_body.startswith(big["body"])
    assert big["body_bytes"] == len(stored.big_rejection_body.encode())
    assert (text["body"], text["body_truncated"]) == ("Test message.", False)
    assert partial["reason"] == "client_id: Field required"
    assert all(e["queue_arn"] and e["stored_at"] for e in entries.values())
    assert page["next_cursor"] is None


def test_rejected_messages_say_what_became_of_them(api: httpx.Client, stored: Stored) -> None:
    # GIVEN two kept rejections and one replayed (see populate)
    entries = checked(api.get("/rejected"), RejectionPage)["rejected"].values()

    # THEN the listing and the single read say so, naming the message it was replayed as
    assert [(e["status"], e["replayed_as"]) for e in entries] == [
        ("kept", None),
        ("kept", None),
        ("replayed", REPLAYED_AS),
    ]
    one = checked(api.get(f"/rejected/{stored.rejections[2]}"), RejectionOut)
    assert (one["status"], one["replayed_as"]) == ("replayed", REPLAYED_AS)


def test_rejected_messages_page_with_positions_continuing(api: httpx.Client) -> None:
    pages = walk(api, "/rejected", "rejected", limit="2")

    assert [list(page) for page in pages] == [["0", "1"], ["2"]]


# -- the API key -----------------------------------------------------------------------------------


def data_urls(stored: Stored) -> list[str]:
    return [
        "/records",
        f"/records/{stored.records[0].message_id}",
        "/rejected",
        f"/rejected/{stored.rejections[0]}",
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key-0123456789"},
        {"Authorization": f"Bearer {API_KEY[:-1]}"},
        {"Authorization": f"Bearer {API_KEY}x"},
        {"Authorization": f"Basic {API_KEY}"},
        {"Authorization": API_KEY},
        {"X-Api-Key": API_KEY},
    ],
    ids=["none", "wrong", "prefix", "longer", "basic-scheme", "no-scheme", "other-header"],
)
def test_every_data_endpoint_needs_the_api_key(servers: Servers, headers: dict[str, str]) -> None:
    for url in data_urls(servers.stored):
        response = servers.keyed.get(url, headers=headers)

        assert error(response, 401) == "missing or wrong API key"
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_the_right_api_key_opens_every_data_endpoint(servers: Servers, scheme: str) -> None:
    for url in data_urls(servers.stored):
        response = servers.keyed.get(url, headers={"Authorization": f"{scheme} {API_KEY}"})

        assert response.status_code == 200, (url, response.text)


def test_the_health_checks_need_no_api_key(servers: Servers) -> None:
    assert servers.keyed.get("/healthcheck").status_code == 200
    assert servers.keyed.get("/health").status_code == 200


def test_without_a_configured_key_no_authorization_is_needed(servers: Servers) -> None:
    for url in data_urls(servers.stored):
        assert servers.open.get(url).status_code == 200


# -- OpenAPI ---------------------------------------------------------------------------------------


def openapi(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def test_openapi_lists_every_endpoint_with_a_unique_operation_id(api: httpx.Client) -> None:
    paths = openapi(api)["paths"]

    assert set(paths) == set(DATA_PATHS + HEALTH_PATHS)
    assert all(set(operations) == {"get"} for operations in paths.values())
    ids = [operations["get"]["operationId"] for operations in paths.values()]
    assert len(set(ids)) == len(ids) == 6


def test_openapi_describes_every_model_and_response(api: httpx.Client) -> None:
    schema = openapi(api)
    components = schema["components"]["schemas"]
    paths = schema["paths"]

    for model in (RecordOut, RecordPage, RejectionOut, RejectionPage, ErrorOut, HealthOut):
        assert set(components[model.__name__]["properties"]) == set(model.model_fields)

    def ref(path: str, status: str) -> str:
        content = paths[path]["get"]["responses"][status]["content"]["application/json"]
        return str(content["schema"]["$ref"]).rsplit("/", 1)[-1]

    assert ref("/records", "200") == "RecordPage"
    assert ref("/records/{message_id}", "200") == "RecordOut"
    assert ref("/rejected", "200") == "RejectionPage"
    assert ref("/rejected/{message_id}", "200") == "RejectionOut"
    assert ref("/health", "200") == "HealthOut"
    assert ref("/healthcheck", "200") == "HealthcheckOut"
    assert ref("/records/{message_id}", "404") == "ErrorOut"
    assert ref("/records", "400") == "ErrorOut"
    assert ref("/health", "503") == "ErrorOut"


def test_openapi_describes_the_listing_query_parameters(api: httpx.Client) -> None:
    parameters = {p["name"]: p for p in openapi(api)["paths"]["/records"]["get"]["parameters"]}

    assert set(parameters) == {"limit", "cursor", "client_id", "command", "since", "until", "order"}
    limit = parameters["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 1000, 100)
    order = parameters["order"]["schema"]
    assert (order["enum"], order["default"]) == (["asc", "desc"], "asc")


def test_openapi_of_a_keyed_api_documents_bearer_auth_on_data_endpoints_only(
    servers: Servers,
) -> None:
    response = servers.keyed.get("/openapi.json", headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 200
    schema = response.json()

    schemes = schema["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values()] == ["bearer"]
    for path in DATA_PATHS:
        operation = schema["paths"][path]["get"]
        assert operation["security"], path
        assert "401" in operation["responses"], path
    for path in HEALTH_PATHS:
        assert "security" not in schema["paths"][path]["get"], path


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_a_keyed_api_does_not_describe_itself_to_callers_without_the_key(
    servers: Servers, path: str
) -> None:
    response = servers.keyed.get(path)

    assert response.status_code in {401, 404}
    assert response.json()["message"]
    assert servers.keyed.get(
        path, headers={"Authorization": "Bearer wrong-key-0123456789"}
    ).status_code in {401, 404}
