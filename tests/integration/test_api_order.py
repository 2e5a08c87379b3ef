"""``GET /records?order=desc`` over real uvicorn: newest first, positions and cursors as for the
default order, every filter kept, and cursors that belong to one order only."""

from __future__ import annotations

from tests.integration.test_api import Servers, checked, error, servers, walk
from triggersqs.api.schemas import RecordPage

__all__ = ["servers"]  # the module-scoped fixture of test_api.py, shared


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


def test_order_desc_keeps_the_filters(servers: Servers) -> None:
    api = servers.open
    query = {"client_id": "c1", "since": "2025-11-24T16:02:00Z", "until": "2025-11-24T16:09:00Z"}

    newest = message_ids(walk(api, "/records", "messages", limit="2", order="desc", **query))
    oldest = message_ids(walk(api, "/records", "messages", limit="2", **query))

    assert newest == oldest[::-1]
    assert len(newest) == 4  # client c1's minutes 2, 4, 6 and 8


def test_order_asc_is_the_default(servers: Servers) -> None:
    api = servers.open

    explicit = checked(api.get("/records", params={"order": "asc"}), RecordPage)
    default = checked(api.get("/records"), RecordPage)

    assert explicit == default


def test_a_cursor_of_one_order_is_refused_by_the_other(servers: Servers) -> None:
    api = servers.open
    cursor = checked(api.get("/records", params={"limit": 2, "order": "desc"}), RecordPage)[
        "next_cursor"
    ]

    message = error(api.get("/records", params={"limit": 2, "cursor": cursor}), 400)

    assert "cursor" in message


def test_an_unknown_order_is_a_4xx_with_a_json_message(servers: Servers) -> None:
    api = servers.open

    response = api.get("/records", params={"order": "newest"})

    assert 400 <= response.status_code < 500
    assert "order" in response.text
