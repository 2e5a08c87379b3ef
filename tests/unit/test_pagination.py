"""Pagination cursors: they round-trip, carry the position on, and are refused when tampered
with, forged, or used with other filters."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest

from triggersqs.core.pagination import (
    MAX_CURSOR_CHARS,
    Entry,
    Page,
    decode_cursor,
    encode_cursor,
    paginate,
    scope_of,
)
from triggersqs.core.ports import Slice
from triggersqs.errors import InvalidCursorError

SCOPE = scope_of("records", "c1", None, None, None)


@dataclass(frozen=True)
class Item:
    cursor: str


def raw_cursor(payload: object) -> str:
    """A cursor-shaped string holding any JSON, as a forger would make one."""
    text = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(text).rstrip(b"=").decode()


def test_a_cursor_round_trips_its_position_and_store_key() -> None:
    cursor = encode_cursor(100, "seq-417", SCOPE)

    assert decode_cursor(cursor, SCOPE) == (100, "seq-417")


def test_a_cursor_is_url_safe_text() -> None:
    cursor = encode_cursor(12345, "key/with+odd=chars?&", SCOPE)

    assert cursor.isascii()
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_cursor_issued_for_other_filters_is_refused() -> None:
    cursor = encode_cursor(100, "417", scope_of("records", "c1", None, None, None))

    with pytest.raises(InvalidCursorError, match="other filters"):
        decode_cursor(cursor, scope_of("records", "c2", None, None, None))


def test_a_records_cursor_is_refused_by_the_rejected_listing() -> None:
    cursor = encode_cursor(1, "1", scope_of("records", None, None, None, None))

    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor, scope_of("rejected"))


def test_a_filter_set_to_the_text_none_is_not_the_same_as_no_filter() -> None:
    assert scope_of("records", None) != scope_of("records", "None")
    assert scope_of("records", "a", None) != scope_of("records", None, "a")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "!!!!",
        "é",
        "AAAA",
        encode_cursor(100, "417", SCOPE)[:-3],
        encode_cursor(100, "417", SCOPE) + "Zm9v",
    ],
    ids=["spaces", "punctuation", "non-ascii", "zero-bytes", "cut-short", "extended"],
)
def test_a_tampered_or_garbled_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor, SCOPE)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        7,
        "text",
        {"position": 1, "key": "1"},
        [1, 1, "1"],
        [1, 1, "1", SCOPE, "extra"],
        [2, 1, "1", SCOPE],
        [1, -1, "1", SCOPE],
        [1, 1.5, "1", SCOPE],
        [1, True, "1", SCOPE],
        [1, "1", "1", SCOPE],
        [1, 1, 1, SCOPE],
        [1, 1, None, SCOPE],
    ],
    ids=[
        "null",
        "number",
        "string",
        "object",
        "three-fields",
        "five-fields",
        "other-version",
        "negative-position",
        "fractional-position",
        "boolean-position",
        "string-position",
        "number-key",
        "null-key",
    ],
)
def test_a_forged_cursor_is_refused(payload: object) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(raw_cursor(payload), SCOPE)


def test_a_cursor_longer_than_the_limit_is_refused_before_decoding() -> None:
    cursor = encode_cursor(1, "k" * MAX_CURSOR_CHARS, SCOPE)

    with pytest.raises(InvalidCursorError, match="too long"):
        decode_cursor(cursor, SCOPE)


@pytest.mark.parametrize("field", [1, 2], ids=["position", "store-key"])
def test_a_cursor_whose_position_or_key_was_edited_is_refused(field: int) -> None:
    # GIVEN a cursor the service issued, decoded, one field changed, and encoded again
    issued = encode_cursor(100, "417", SCOPE)
    payload = json.loads(base64.urlsafe_b64decode(issued + "=" * (-len(issued) % 4)))
    payload[field] = 5 if field == 1 else "5"
    edited = raw_cursor(payload)

    # THEN the service refuses it: the check no longer matches
    with pytest.raises(InvalidCursorError, match="altered"):
        decode_cursor(edited, SCOPE)


def test_a_cursor_is_the_same_string_for_the_same_place_and_filters() -> None:
    # Cursors hold no secret (issue 11): any instance, with any API key, issues the same one
    assert encode_cursor(100, "417", SCOPE) == encode_cursor(100, "417", SCOPE)
    assert decode_cursor(encode_cursor(100, "417", SCOPE), SCOPE) == (100, "417")


# -- pages -----------------------------------------------------------------------------------------


def page_of(count: int, *, start: int = 0, more: bool = False) -> Page[Item]:
    entries = [Entry(start + i, Item(f"k{start + i}")) for i in range(count)]
    return Page(entries, more, SCOPE)


def test_the_cursor_after_a_page_continues_at_the_next_position_and_store_key() -> None:
    page = page_of(3, start=100, more=True)

    cursor = page.cursor_after(3)

    assert cursor is not None
    assert decode_cursor(cursor, SCOPE) == (103, "k102")


def test_there_is_no_cursor_after_the_last_page() -> None:
    assert page_of(3, more=False).cursor_after(3) is None


def test_a_shortened_page_continues_after_its_last_kept_entry_even_on_the_last_page() -> None:
    cursor = page_of(5, start=10, more=False).cursor_after(2)

    assert cursor is not None
    assert decode_cursor(cursor, SCOPE) == (12, "k11")


def test_an_empty_page_has_no_cursor() -> None:
    assert page_of(0, more=False).cursor_after(0) is None


def test_paginate_numbers_entries_from_the_cursor_position_and_passes_the_store_key_on() -> None:
    # GIVEN a store whose next slice after key "k99" holds two items
    asked: list[tuple[str | None, int]] = []

    def fetch(after: str | None, limit: int) -> Slice[Item]:
        asked.append((after, limit))
        return Slice([Item("k100"), Item("k101")], more=True)

    # WHEN the page a cursor points to is fetched
    page = paginate(fetch, cursor=encode_cursor(100, "k99", SCOPE), limit=2, scope=SCOPE)

    # THEN the store was asked for what follows the key, and positions carry on from 100
    assert asked == [("k99", 2)]
    assert [entry.position for entry in page.entries] == [100, 101]
    assert page.more


def test_paginate_without_a_cursor_starts_at_position_zero() -> None:
    page = paginate(
        lambda after, limit: Slice([Item("a")], more=False), cursor=None, limit=5, scope=SCOPE
    )

    assert [entry.position for entry in page.entries] == [0]
    assert page.cursor_after(1) is None


def test_paginate_refuses_a_cursor_of_other_filters_before_reading_the_store() -> None:
    def fetch(after: str | None, limit: int) -> Slice[Item]:
        raise AssertionError("the store must not be read")

    with pytest.raises(InvalidCursorError):
        paginate(fetch, cursor=encode_cursor(1, "1", scope_of("x")), limit=5, scope=SCOPE)
