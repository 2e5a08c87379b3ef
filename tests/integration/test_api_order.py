"""``GET /records?order=desc`` and ``GET /rejected?order=desc`` over real uvicorn: newest first,
positions and cursors as for the default order, every filter kept, and cursors that belong to one
order only."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from tests.integration.test_api import Servers, Stored, checked, error, openapi, servers, walk
from triggersqs.api.schemas import RecordPage, RejectionPage

__all__ = ["servers"]  # the module-scoped fixture of test_api.py, shared

LISTINGS = pytest.mark.parametrize(
    ("path", "model"), [("/records", RecordPage), ("/rejected", RejectionPage)]
)


def message_ids(pages: list[dict[str, dict[str, str]]]) -> list[str]:
    return [item["message_id"] for page in pages for item in page.values()]


def test_order_desc_walks_every_record_newest_first_with_positions_continuing(
    servers: Servers,
) -> None:
    api = servers.open
    # GIVEN ten records stored one minute apart
    # WHEN they are listed newest first, three a page
    pages = walk(api, "/records", "messages", limit="3", order="desc")
    # THEN every record comes once, in the reverse of the default order, positions from 0 on
    oldest_first = message_ids(walk(api, "/records", "messages", limit="1000"))
    assert message_ids(pages) == oldest_first[::-1]
    assert [key for page in pages for key in page] == [str(n) for n in range(10)]


def test_order_desc_walks_every_rejection_newest_first_with_positions_continuing(
    servers: Servers,
) -> None:
    api = servers.open
    stored: Stored = servers.stored
    # GIVEN three rejections stored in one batch, after the records
    # WHEN they are listed newest first, two a page
    pages = walk(api, "/rejected", "rejected", limit="2", order="desc")
    # THEN the last one stored comes first, each once, positions from 0 on
    assert message_ids(pages) == stored.rejections[::-1]
    assert [list(page) for page in pages] == [["0", "1"], ["2"]]
    # ... and the replayed one (stored last) says so at the top
    assert next(iter(pages[0].values()))["status"] == "replayed"


def test_order_desc_keeps_the_filters(servers: Servers) -> None:
    api = servers.open
    query = {"client_id": "c1", "since": "2025-11-24T16:02:00Z", "until": "2025-11-24T16:09:00Z"}

    newest = message_ids(walk(api, "/records", "messages", limit="2", order="desc", **query))
    oldest = message_ids(walk(api, "/records", "messages", limit="2", **query))

    assert newest == oldest[::-1]
    assert len(newest) == 4  # client c1's minutes 2, 4, 6 and 8


@LISTINGS
def test_order_asc_is_the_default(servers: Servers, path: str, model: type[BaseModel]) -> None:
    api = servers.open

    explicit = checked(api.get(path, params={"order": "asc"}), model)
    default = checked(api.get(path), model)

    assert explicit == default


@LISTINGS
def test_a_cursor_of_one_order_is_refused_by_the_other(
    servers: Servers, path: str, model: type[BaseModel]
) -> None:
    api = servers.open
    newest = checked(api.get(path, params={"limit": 2, "order": "desc"}), model)["next_cursor"]
    oldest = checked(api.get(path, params={"limit": 2}), model)["next_cursor"]

    assert "cursor" in error(api.get(path, params={"limit": 2, "cursor": newest}), 400)
    assert "cursor" in error(
        api.get(path, params={"limit": 2, "cursor": oldest, "order": "desc"}), 400
    )


@pytest.mark.parametrize("path", ["/records", "/rejected"])
def test_an_unknown_order_is_a_4xx_with_a_json_message(servers: Servers, path: str) -> None:
    api = servers.open

    response = api.get(path, params={"order": "newest"})

    assert 400 <= response.status_code < 500
    assert "order" in response.json()["message"]


def test_openapi_describes_the_order_of_the_rejected_listing(servers: Servers) -> None:
    operation = openapi(servers.open)["paths"]["/rejected"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    assert set(parameters) == {"limit", "cursor", "order"}
    order = parameters["order"]["schema"]
    assert (order["enum"], order["default"]) == (["asc", "desc"], "asc")
    assert "newest first" in parameters["order"]["description"]
