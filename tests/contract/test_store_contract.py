"""The MessageStore contract: every adapter (see conftest.STORES) must pass all of it."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.contract.conftest import StoreFactory
from tests.support.clock import FakeClock
from tests.support.factories import QUEUE_ARN, SENT_AT_MS, body, new_id, new_record, new_rejection
from triggersqs.core.clock import Deadline
from triggersqs.core.ports import MessageStore, RecordFilter, SaveStatus
from triggersqs.core.records import (
    MAX_KEPT_REJECTED_BODY_BYTES,
    PREVIEW_BYTES,
    Incoming,
    StoredRecord,
    utf8_size,
)
from triggersqs.errors import InvalidCursorError

T0_US = 1_764_000_000_000_000  # 2025-11-24T16:00:00Z


def all_records(
    store: MessageStore, where: RecordFilter | None = None, page: int = 3
) -> list[StoredRecord]:
    """Every record matching ``where``, walked page by page with cursors."""
    found: list[StoredRecord] = []
    after = None
    while True:
        chunk = store.list_records(where or RecordFilter(), after=after, limit=page)
        found.extend(chunk.items)
        if not chunk.more:
            return found
        assert chunk.items, "a slice that says more follow must not be empty"
        after = chunk.items[-1].cursor


# -- writing -------------------------------------------------------------------------------------


def test_a_new_message_is_stored_with_all_its_fields(store: MessageStore) -> None:
    item = new_record("SetStatus", "c79da7ce8e5e", receive_count=2, group="g1")

    assert store.save([item]) == [SaveStatus.STORED]

    got = store.get_record(item.envelope.message_id)
    assert got is not None
    assert (got.message_id, got.command, got.client_id) == (
        item.envelope.message_id,
        "SetStatus",
        "c79da7ce8e5e",
    )
    assert got.queue_arn == QUEUE_ARN
    assert got.sent_at == datetime.fromtimestamp(SENT_AT_MS / 1000, UTC)
    assert got.receive_count == 2
    assert got.message_group_id == "g1"
    assert got.body == item.envelope.body
    assert got.body_bytes == len(item.envelope.body.encode())
    assert got.stored_at.tzinfo is not None


def test_duplicate_message_is_stored_once(store: MessageStore) -> None:
    item = new_record()

    first = store.save([item])
    second = store.save([item])

    assert (first, second) == ([SaveStatus.STORED], [SaveStatus.DUPLICATE])
    assert len(all_records(store)) == 1


def test_duplicate_within_one_batch_is_stored_once(store: MessageStore) -> None:
    item = new_record()

    assert store.save([item, item, new_record()]) == [
        SaveStatus.STORED,
        SaveStatus.DUPLICATE,
        SaveStatus.STORED,
    ]
    assert len(all_records(store)) == 2


def test_a_batch_mixing_new_and_stored_ids_stores_only_the_new_ones(store: MessageStore) -> None:
    old_record, old_rejection = new_record(client_id="old"), new_rejection()
    store.save([old_record, old_rejection])
    fresh = [new_record(client_id=f"new{i}") for i in range(3)]
    as_record = new_record(message_id=old_rejection.envelope.message_id, client_id="again")
    batch: list[Incoming] = [fresh[0], old_record, fresh[1], as_record, old_rejection, fresh[2]]

    statuses = store.save(batch)

    stored, duplicate = SaveStatus.STORED, SaveStatus.DUPLICATE
    assert statuses == [stored, duplicate, stored, duplicate, duplicate, stored]
    assert [r.client_id for r in all_records(store)] == ["old", "new0", "new1", "new2"]


def test_message_ids_are_unique_across_records_and_rejections(store: MessageStore) -> None:
    rejection = new_rejection()
    same_id_as_record = new_record(message_id=rejection.envelope.message_id)

    assert store.save([rejection]) == [SaveStatus.STORED]
    assert store.save([same_id_as_record]) == [SaveStatus.DUPLICATE]
    assert store.get_record(rejection.envelope.message_id) is None


def test_rejected_message_is_kept_with_its_reason_and_raw_body(store: MessageStore) -> None:
    item = new_rejection("{'command': \"O'Brien\"", reason="body is not valid JSON (...)")

    assert store.save([item]) == [SaveStatus.STORED]

    got = store.get_rejection(item.envelope.message_id)
    assert got is not None
    assert got.reason == "body is not valid JSON (...)"
    assert got.body == "{'command': \"O'Brien\""
    assert got.body_bytes == utf8_size(got.body)
    assert store.get_record(item.envelope.message_id) is None


def test_an_empty_save_writes_nothing(store: MessageStore) -> None:
    assert store.save([]) == []
    assert all_records(store) == []


def test_nothing_is_written_once_the_deadline_has_passed(store: MessageStore) -> None:
    items: list[Incoming] = [new_record(), new_rejection()]
    passed = Deadline(at=100.0, clock=lambda: 101.0)

    statuses = store.save(items, deadline=passed)

    assert statuses == [SaveStatus.FAILED, SaveStatus.FAILED]
    assert all_records(store) == []
    assert store.get_rejection(items[1].envelope.message_id) is None


def test_a_deadline_still_ahead_on_its_own_clock_lets_the_write_happen(
    store: MessageStore,
) -> None:
    # GIVEN a deadline whose clock is far from the real one: only its own clock counts
    items: list[Incoming] = [new_record(), new_rejection()]
    ahead = Deadline(at=-50.0, clock=lambda: -100.0)

    statuses = store.save(items, deadline=ahead)

    assert statuses == [SaveStatus.STORED, SaveStatus.STORED]
    assert store.get_rejection(items[1].envelope.message_id) is not None


def test_ordered_save_stores_every_item_in_order(store: MessageStore) -> None:
    items = [new_record(client_id=f"c{i}") for i in range(5)]

    assert store.save(items, ordered=True) == [SaveStatus.STORED] * 5
    assert [r.client_id for r in all_records(store)] == [f"c{i}" for i in range(5)]


@pytest.mark.parametrize(
    "text",
    [
        'O\'Brien "quoted" back\\slash',
        "ünïcödé ✓ 😀 中文",
        "nul\x00inside",
        "'; DROP TABLE records; --",
        "#attr :value = begins_with(x) AND size(y)",
    ],
)
def test_field_values_round_trip_exactly(store: MessageStore, text: str) -> None:
    item = new_record(text, text, body_text=body(text, text))

    store.save([item])

    got = store.get_record(item.envelope.message_id)
    assert got is not None
    assert (got.command, got.client_id, got.body) == (text, text, item.envelope.body)


def test_a_body_of_one_mebibyte_is_kept_whole(store: MessageStore) -> None:
    payload = "x" * (1_048_576 - 80)
    item = new_record(body_text=body(padding=payload))
    assert utf8_size(item.envelope.body) <= 1_048_576

    store.save([item])

    got = store.get_record(item.envelope.message_id)
    assert got is not None
    assert got.body == item.envelope.body


def test_concurrent_writers_store_each_message_once(make_store: StoreFactory) -> None:
    store = make_store()
    items = [new_record(client_id=f"c{i}") for i in range(40)]
    results: list[list[SaveStatus]] = []
    barrier = threading.Barrier(4)

    def writer() -> None:
        barrier.wait()
        results.append(store.save(items))

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stored = sum(status is SaveStatus.STORED for statuses in results for status in statuses)
    assert stored == 40
    assert sorted(r.client_id for r in all_records(store)) == sorted(f"c{i}" for i in range(40))


# -- reading -------------------------------------------------------------------------------------


def test_unknown_message_id_is_not_found(store: MessageStore) -> None:
    assert store.get_record(new_id()) is None
    assert store.get_rejection(new_id()) is None


def test_an_empty_store_lists_nothing(store: MessageStore) -> None:
    assert store.list_records(RecordFilter(), after=None, limit=10).items == []
    assert store.list_records(RecordFilter(), after=None, limit=10).more is False
    assert store.list_rejections(after=None, limit=10).items == []


def test_records_are_listed_in_stored_order_across_pages(make_store: StoreFactory) -> None:
    clock = FakeClock(T0_US)
    store = make_store(clock=clock)
    for batch in range(4):
        clock.now += 1_000
        store.save([new_record(client_id=f"b{batch}-{i}") for i in range(5)])

    listed = [r.client_id for r in all_records(store, page=3)]

    assert [name.split("-")[0] for name in listed] == [f"b{b}" for b in range(4) for _ in range(5)]
    assert len(set(listed)) == 20


def test_a_page_says_whether_more_follow(store: MessageStore) -> None:
    store.save([new_record() for _ in range(4)])

    first = store.list_records(RecordFilter(), after=None, limit=2)
    last = store.list_records(RecordFilter(), after=first.items[-1].cursor, limit=2)
    exact = store.list_records(RecordFilter(), after=None, limit=4)

    assert (len(first.items), first.more) == (2, True)
    assert (len(last.items), last.more) == (2, False)
    assert (len(exact.items), exact.more) == (4, False)


def test_records_written_after_a_cursor_appear_on_later_pages(make_store: StoreFactory) -> None:
    clock = FakeClock(T0_US)
    store = make_store(clock=clock)
    store.save([new_record(client_id="early") for _ in range(2)])
    page = store.list_records(RecordFilter(), after=None, limit=2)

    clock.now += 1_000
    store.save([new_record(client_id="late")])

    rest = store.list_records(RecordFilter(), after=page.items[-1].cursor, limit=10)
    assert [r.client_id for r in rest.items] == ["late"]


def test_stored_at_never_decreases_even_when_the_clock_goes_back(make_store: StoreFactory) -> None:
    clock = FakeClock(T0_US)
    store = make_store(clock=clock)
    for step in [0, 5_000_000, -3_000_000, -3_000_000, 1]:
        clock.now += step
        store.save([new_record()])

    stamps = [r.stored_at for r in all_records(store)]

    assert stamps == sorted(stamps)
    assert len(stamps) == 5


def test_listing_filters_by_client_id_and_command(store: MessageStore) -> None:
    store.save(
        [
            new_record("SetStatus", "alice"),
            new_record("Delete", "alice"),
            new_record("SetStatus", "bob"),
            new_record("SetStatus", "alice"),
            new_record("Delete", "bob"),
        ]
    )

    def listed(client_id: str | None = None, command: str | None = None) -> list[tuple[str, str]]:
        where = RecordFilter(client_id=client_id, command=command)
        return [(r.command, r.client_id) for r in all_records(store, where, page=1)]

    assert listed(client_id="alice") == [
        ("SetStatus", "alice"),
        ("Delete", "alice"),
        ("SetStatus", "alice"),
    ]
    assert listed(command="Delete") == [("Delete", "alice"), ("Delete", "bob")]
    assert listed(client_id="bob", command="SetStatus") == [("SetStatus", "bob")]
    assert listed(client_id="nobody") == []


def test_listing_filters_by_stored_time_since_inclusive_until_exclusive(
    make_store: StoreFactory,
) -> None:
    clock = FakeClock(T0_US)
    store = make_store(clock=clock)
    for minute in range(5):
        clock.now = T0_US + minute * 60_000_000
        store.save([new_record(client_id=f"m{minute}"), new_record(client_id=f"m{minute}")])
    t0 = datetime.fromtimestamp(T0_US / 1_000_000, UTC)

    def listed(since: datetime | None, until: datetime | None, **where: str) -> list[str]:
        flt = RecordFilter(since=since, until=until, **where)
        return [r.client_id for r in all_records(store, flt, page=1)]

    assert listed(t0 + timedelta(minutes=1), t0 + timedelta(minutes=3)) == ["m1", "m1", "m2", "m2"]
    assert listed(t0 + timedelta(minutes=4), None) == ["m4", "m4"]
    assert listed(None, t0 + timedelta(minutes=1)) == ["m0", "m0"]
    assert listed(t0 + timedelta(minutes=9), None) == []
    assert listed(t0 + timedelta(minutes=2), t0 + timedelta(minutes=2)) == []
    assert listed(t0 + timedelta(seconds=30), None, client_id="m3") == ["m3", "m3"]


def test_naive_times_in_a_filter_are_taken_as_utc(make_store: StoreFactory) -> None:
    clock = FakeClock(T0_US)
    store = make_store(clock=clock)
    store.save([new_record()])
    naive = datetime.fromtimestamp(T0_US / 1_000_000, UTC).replace(tzinfo=None)

    assert len(all_records(store, RecordFilter(since=naive))) == 1
    assert all_records(store, RecordFilter(since=naive + timedelta(microseconds=1))) == []


def test_listings_carry_a_preview_of_large_bodies(store: MessageStore) -> None:
    ascii_item = new_record(body_text=body(padding="a" * 10_000))
    wide_item = new_record(body_text=body(padding="é" * 5_000))
    store.save([ascii_item, wide_item])

    listed = {r.message_id: r for r in all_records(store)}
    for item in (ascii_item, wide_item):
        whole = item.envelope.body
        preview = listed[item.envelope.message_id]
        assert preview.body_bytes == utf8_size(whole)
        assert 0 < utf8_size(preview.body) <= PREVIEW_BYTES
        assert PREVIEW_BYTES - utf8_size(preview.body) < 4  # cut at a character boundary
        assert whole.startswith(preview.body)
        got = store.get_record(item.envelope.message_id)
        assert got is not None
        assert got.body == whole


def test_rejections_are_listed_in_stored_order_with_previews(store: MessageStore) -> None:
    items = [new_rejection(f"bad {i} " + "z" * 5000) for i in range(5)]
    store.save(items[:2])
    store.save(items[2:])

    first = store.list_rejections(after=None, limit=3)
    second = store.list_rejections(after=first.items[-1].cursor, limit=3)

    listed = first.items + second.items
    assert [r.message_id for r in listed] == [i.envelope.message_id for i in items]
    assert (first.more, second.more) == (True, False)
    assert all(utf8_size(r.body) == PREVIEW_BYTES and r.body_bytes > PREVIEW_BYTES for r in listed)


@pytest.mark.parametrize("cursor", ["abc", "-1", "1e3", "9" * 40, "", "${jndi}", "' OR 1=1 --"])
def test_a_cursor_the_store_did_not_issue_is_refused(store: MessageStore, cursor: str) -> None:
    store.save([new_record()])

    with pytest.raises(InvalidCursorError):
        store.list_records(RecordFilter(), after=cursor, limit=10)
    with pytest.raises(InvalidCursorError):
        store.list_rejections(after=cursor, limit=10)


def test_filters_with_query_syntax_match_only_equal_values(store: MessageStore) -> None:
    store.save([new_record("SetStatus", "alice"), new_record("SetStatus", "bob")])

    for hostile in ["' OR '1'='1", "alice' --", "*", "%", "alice OR client_id <> ''", ":v"]:
        assert all_records(store, RecordFilter(client_id=hostile)) == []
        assert all_records(store, RecordFilter(command=hostile)) == []


def test_the_store_answers_a_health_check(store: MessageStore) -> None:
    store.check()


def test_sent_at_is_empty_when_sqs_did_not_say(store: MessageStore) -> None:
    item = new_record(sent_at_ms=None)

    store.save([item])

    got = store.get_record(item.envelope.message_id)
    assert got is not None
    assert got.sent_at is None


# -- rejected bodies: kept up to a cap, with their full size and digest (issue 11) ---------------


def test_a_rejected_body_over_the_cap_is_kept_up_to_it_with_its_full_size_and_sha256(
    store: MessageStore,
) -> None:
    # GIVEN a 5 MB garbage body (only a hand-made event can carry one past SQS's 1 MiB)
    garbage = "\x00garbage\x1b" * 500_000
    item = new_rejection(garbage)

    store.save([item])

    # THEN its first MAX_KEPT_REJECTED_BODY_BYTES are kept, beside its whole size and digest
    got = store.get_rejection(item.envelope.message_id)
    assert got is not None
    assert got.body == garbage[:MAX_KEPT_REJECTED_BODY_BYTES]
    assert got.body_bytes == len(garbage)
    assert got.body_sha256 == hashlib.sha256(garbage.encode()).hexdigest()
    (listed,) = store.list_rejections(after=None, limit=10).items
    assert (listed.body_bytes, listed.body_sha256) == (got.body_bytes, got.body_sha256)


def test_a_rejected_body_within_the_cap_is_kept_whole_with_its_sha256(
    store: MessageStore,
) -> None:
    text = "ünïcode, not JSON " * 100
    item = new_rejection(text)

    store.save([item])

    got = store.get_rejection(item.envelope.message_id)
    assert got is not None
    assert got.body == text
    assert got.body_bytes == len(text.encode())
    assert got.body_sha256 == hashlib.sha256(text.encode()).hexdigest()
