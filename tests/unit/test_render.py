"""Rendering: items as the API shows them, and pages shortened to fit Lambda's 6 MB response."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any, cast

from hypothesis import given
from hypothesis import strategies as st
from mangum import Mangum

from tests.support.events import http_event
from tests.support.factories import new_record, new_rejection
from triggersqs.api import create_app
from triggersqs.api.render import (
    MAX_LAMBDA_PAYLOAD_BYTES,
    record_json,
    rejection_json,
    render_item,
    render_page,
)
from triggersqs.api.schemas import RecordOut, RejectionOut
from triggersqs.core.pagination import decode_cursor
from triggersqs.core.ports import RecordFilter
from triggersqs.core.records import (
    PREVIEW_BYTES,
    StoredRejection,
    us_from_utc,
    utc_from_ms,
    utc_from_us,
)
from triggersqs.core.service import RecordService
from triggersqs.local.context import LocalContext
from triggersqs.storage.memory import MemoryStore

SIX_MB = 6 * 1024 * 1024


def stored(store: MemoryStore, count: int, note: str = "") -> list[str]:
    """Store ``count`` records whose bodies carry ``note``; their message ids, in order."""
    items = [
        new_record(
            "SetStatus",
            f"client-{i}",
            body_text=json.dumps(
                {"command": "SetStatus", "client_id": f"client-{i}", "note": note},
                ensure_ascii=False,
            ),
        )
        for i in range(count)
    ]
    store.save(items)
    return [item.envelope.message_id for item in items]


def test_a_record_is_shown_with_exactly_the_fields_of_the_wire_schema() -> None:
    store = MemoryStore()
    [message_id] = stored(store, 1)
    record = store.get_record(message_id)
    assert record is not None

    shown = record_json(record)

    assert set(shown) == set(RecordOut.model_fields)
    assert shown["stored_at"].endswith("Z")
    assert shown["sent_at"] == "2025-11-24T16:00:00.000Z"
    assert shown["body_truncated"] is False
    RecordOut.model_validate_json(json.dumps(shown), strict=True)


def test_a_listed_body_cut_to_4_kib_is_marked_truncated_with_its_full_size() -> None:
    # GIVEN a record whose body is larger than the listing preview
    store = MemoryStore()
    [message_id] = stored(store, 1, note="é" * PREVIEW_BYTES)
    [listed] = store.list_records(RecordFilter(), after=None, limit=1).items
    whole = store.get_record(message_id)
    assert whole is not None

    # WHEN shown in a listing and alone
    in_listing, alone = record_json(listed), record_json(whole)

    # THEN the listing says it is truncated and gives the size of the whole body
    assert len(in_listing["body"].encode()) <= PREVIEW_BYTES
    assert in_listing["body_truncated"] is True
    assert in_listing["body_bytes"] == len(whole.body.encode()) == alone["body_bytes"]
    assert alone["body_truncated"] is False
    assert alone["body"] == whole.body


def test_a_rejection_is_shown_with_exactly_the_fields_of_the_wire_schema() -> None:
    store = MemoryStore()
    item = new_rejection("x" * (PREVIEW_BYTES + 1), "body is not valid JSON")
    store.save([item])
    [listed] = store.list_rejections(after=None, limit=1).items

    shown = rejection_json(listed)

    assert set(shown) == set(RejectionOut.model_fields)
    assert (shown["reason"], shown["body_bytes"], shown["body_truncated"]) == (
        "body is not valid JSON",
        PREVIEW_BYTES + 1,
        True,
    )
    RejectionOut.model_validate_json(json.dumps(shown), strict=True)


def test_a_page_that_fits_keeps_every_entry_keyed_by_position() -> None:
    store = MemoryStore()
    ids = stored(store, 3)
    page = RecordService(store, "memory").records(RecordFilter(), cursor=None, limit=10)

    rendered = json.loads(render_page("messages", page, record_json))

    assert list(rendered["messages"]) == ["0", "1", "2"]
    assert [m["message_id"] for m in rendered["messages"].values()] == ids
    assert rendered["next_cursor"] is None


def test_a_page_over_its_budget_is_shortened_and_continues_right_after_the_last_kept_entry() -> (
    None
):
    # GIVEN ten equal-sized records, and a budget with room for three and a half once escaped
    store = MemoryStore()
    service = RecordService(store, "memory")
    ids = stored(store, 10, note='"quoted" ünïcödé')
    page = service.records(RecordFilter(), cursor=None, limit=10)
    entry = json.dumps(f'"0":{json.dumps(record_json(page.entries[0].item), ensure_ascii=False)}')
    budget = len(entry) * 7 // 2

    # WHEN the page is rendered within that budget
    rendered = json.loads(render_page("messages", page, record_json, budget=budget))

    # THEN three entries are kept, and the cursor continues exactly after the third
    assert list(rendered["messages"]) == ["0", "1", "2"]
    cursor = rendered["next_cursor"]
    assert cursor is not None
    position, _key = decode_cursor(cursor, page.scope)
    assert position == 3
    following = service.records(RecordFilter(), cursor=cursor, limit=10)
    assert [e.position for e in following.entries] == list(range(3, 10))
    assert [e.item.message_id for e in following.entries] == ids[3:]


def test_a_page_whose_first_entry_exceeds_the_budget_still_serves_that_entry() -> None:
    store = MemoryStore()
    stored(store, 2, note="x" * 1000)
    page = RecordService(store, "memory").records(RecordFilter(), cursor=None, limit=2)

    rendered = json.loads(render_page("messages", page, record_json, budget=10))

    assert list(rendered["messages"]) == ["0"]
    assert rendered["next_cursor"] is not None


def lambda_response(app: Mangum, query: dict[str, str]) -> dict[str, Any]:
    # Mangum's context type lists every attribute of Lambda's; it reads none of them here.
    context = cast("Any", LocalContext.with_timeout(30))
    response: dict[str, Any] = app(http_event("function_url", "/records", query=query), context)
    return response


def test_a_page_too_big_for_a_lambda_response_is_shortened_to_fit_once_escaped() -> None:
    # GIVEN 1000 records whose 4 KiB listed bodies are full of quotes and non-ASCII text, which
    # the Lambda runtime's JSON escapes to several times their size
    store = MemoryStore()
    stored(store, 1000, note='"é«»"😀' * 1000)
    service = RecordService(store, "memory")
    full_page = service.records(RecordFilter(), cursor=None, limit=1000)
    unshortened = render_page("messages", full_page, record_json, budget=10**12)
    assert len(json.dumps({"body": unshortened.decode()})) > SIX_MB

    # WHEN a Lambda Function URL asks for all of them through Mangum
    app = Mangum(create_app(service), lifespan="off")
    response = lambda_response(app, {"limit": "1000"})

    # THEN the whole Lambda response, as the runtime serialises it, is under 6 MB
    assert response["statusCode"] == 200
    assert len(json.dumps(response).encode()) < SIX_MB <= MAX_LAMBDA_PAYLOAD_BYTES
    # AND the page was shortened, its cursor carrying on where it stopped
    page = json.loads(response["body"])
    kept = len(page["messages"])
    assert 0 < kept < 1000
    assert list(page["messages"]) == [str(i) for i in range(kept)]
    following = json.loads(
        lambda_response(app, {"limit": "1000", "cursor": page["next_cursor"]})["body"]
    )
    assert next(iter(following["messages"])) == str(kept)


def legacy_rejection(body: str) -> StoredRejection:
    """A rejection as a store made before bodies were capped may still return one."""
    return StoredRejection(
        message_id="old",
        queue_arn="arn:aws:sqs:us-east-1:123456789012:q",
        sent_at_ms=None,
        stored_at_us=us_from_utc(datetime(2025, 1, 1, tzinfo=UTC)),
        receive_count=1,
        reason="body is not valid JSON",
        body=body,
        body_bytes=len(body.encode()),
        cursor="1",
    )


def test_one_item_too_big_once_escaped_is_cut_to_fit_a_lambda_response() -> None:
    # GIVEN a kept body of 1 MiB of control characters (7 MiB once escaped twice)
    body = "\x01" * 1_048_576
    item = rejection_json(legacy_rejection(body))

    # WHEN it is rendered for one response
    rendered = render_item(item)

    # THEN the response as the Lambda runtime serialises it fits, its body is a marked prefix
    assert len(json.dumps({"statusCode": 200, "body": rendered.decode()})) < SIX_MB
    served = json.loads(rendered)
    assert served["body_truncated"] is True
    assert served["body_bytes"] == len(body)
    assert body.startswith(served["body"])
    assert len(served["body"]) > 500_000  # cut to fit, not emptied


def test_one_item_that_fits_is_rendered_whole() -> None:
    item = rejection_json(legacy_rejection("\x01" * 100_000))

    assert json.loads(render_item(item)) == item


# -- the encoder -----------------------------------------------------------------------------------

# What the API wrote before orjson (issue 15): its answers keep these bytes.
_STDLIB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# Any text that is valid Unicode (stored text always is: core/records.py storable_text).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=5),
    max_leaves=30,
)


def test_every_character_is_written_as_the_standard_library_wrote_it() -> None:
    # GIVEN each Unicode scalar value but the surrogates, alone and inside a record's fields
    text = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)
    item = rejection_json(legacy_rejection(text))

    # WHEN the item is rendered THEN its bytes are json.dumps's (escapes, non-ASCII, key order)
    assert render_item(item, budget=10**9) == _STDLIB(item).encode()


@given(value=JSON_VALUES)
def test_any_json_value_renders_as_the_standard_library_wrote_it(value: Any) -> None:
    assert render_item({"body": value}, budget=10**9) == _STDLIB({"body": value}).encode()


# -- times -----------------------------------------------------------------------------------------


def isoformat_ms(ms: int) -> str:
    """What the API wrote for a SentTimestamp before issue 15: the datetime's isoformat."""
    moment = utc_from_ms(ms)
    assert moment is not None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def isoformat_us(us: int) -> str:
    """What the API wrote for a stored_at before issue 15."""
    return utc_from_us(us).isoformat(timespec="microseconds").replace("+00:00", "Z")


def written(to_text: Any, value: int) -> str:
    try:
        return str(to_text(value))
    except (ValueError, OverflowError, OSError) as exc:
        return type(exc).__name__


def shown_times(sent_at_ms: int, stored_at_us: int) -> tuple[str, str]:
    record = legacy_rejection("x")._replace(sent_at_ms=sent_at_ms, stored_at_us=stored_at_us)
    shown = rejection_json(record)
    return shown["sent_at"], shown["stored_at"]


@given(
    ms=st.integers(-(2**40), 2**48) | st.integers(0, 2**35 * 1000),
    us=st.integers(-(2**50), 2**58) | st.integers(0, 2**34 * 1_000_000),
)
def test_times_are_written_as_their_datetime_isoformat_wrote_them(ms: int, us: int) -> None:
    # GIVEN any epoch times a store may hold WHEN an item is shown THEN its times read as the
    # datetimes' isoformat wrote them (or fail as it failed, beyond datetime's range)
    expected = (written(isoformat_ms, ms), written(isoformat_us, us))
    shown = written(lambda _: shown_times(ms, us), 0)
    if shown in {"ValueError", "OverflowError", "OSError"}:
        assert shown in expected
    else:
        assert shown == str(expected)


def test_times_across_the_years_are_written_as_before() -> None:
    # GIVEN the edges of the range written from integers, and times spread evenly up to 3058
    # (the float seconds the old datetimes were made from lose a microsecond from 2242 on)
    spread = random.Random(15)
    ms_values = [0, 999, 1000, 1_764_000_000_123, 2**32 * 1000 - 1, 2**32 * 1000, 2**33 * 1000]
    ms_values += [spread.randrange(2**35 * 1000) for _ in range(20_000)]
    us_values = [0, 1, 999_999, 1_764_000_000_005_000, 253_402_300_800 * 10**6 - 1]
    us_values += [spread.randrange(253_402_300_800 * 10**6) for _ in range(20_000)]

    # WHEN they are shown THEN each reads as its datetime's isoformat wrote it
    for ms, us in zip(ms_values, us_values, strict=False):
        assert shown_times(ms, us) == (isoformat_ms(ms), isoformat_us(us)), (ms, us)
