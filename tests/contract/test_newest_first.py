"""The MessageStore contract, newest first (``GET /records?order=desc``, ``GET
/rejected?order=desc``): every adapter lists the exact reverse of its stored order, page by page,
with the same filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from tests.contract.conftest import StoreFactory
from tests.contract.test_store_contract import T0_US, all_records
from tests.support.clock import FakeClock
from tests.support.factories import new_record, new_rejection
from triggersqs.core.ports import MessageStore, RecordFilter, Slice
from triggersqs.core.records import StoredRecord, StoredRejection
from triggersqs.errors import InvalidCursorError

T = TypeVar("T", StoredRecord, StoredRejection)


def walk(fetch: Callable[[str | None], Slice[T]]) -> list[T]:
    """Every item of a listing, page by page, each page fetched after the last one's cursor."""
    found: list[T] = []
    after = None
    while True:
        chunk = fetch(after)
        found.extend(chunk.items)
        if not chunk.more:
            return found
        assert chunk.items, "a slice that says more follow must not be empty"
        after = chunk.items[-1].cursor


def newest_first(
    store: MessageStore, where: RecordFilter | None = None, page: int = 3
) -> list[StoredRecord]:
    """Every record matching ``where``, newest first, walked page by page with cursors."""
    return walk(
        lambda after: store.list_records(
            where or RecordFilter(), after=after, limit=page, newest_first=True
        )
    )


def rejections(
    store: MessageStore, *, page: int = 3, newest: bool = False
) -> list[StoredRejection]:
    """Every rejected message, oldest (or newest) first, walked page by page with cursors."""
    return walk(lambda after: store.list_rejections(after=after, limit=page, newest_first=newest))


def ids(items: list[StoredRecord] | list[StoredRejection]) -> list[str]:
    return [item.message_id for item in items]


def fill(make_store: StoreFactory) -> MessageStore:
    """Five batches of four, one stamp per batch, of two clients and two commands."""
    clock = FakeClock(T0_US)
    store = make_store(clock=clock)
    for minute in range(5):
        clock.now = T0_US + minute * 60_000_000
        store.save([new_record("SetStatus" if n % 2 else "Delete", f"c{n % 2}") for n in range(4)])
    return store


@pytest.mark.parametrize("page", [1, 3, 7, 100])
def test_newest_first_is_the_exact_reverse_of_stored_order_on_any_page_size(
    make_store: StoreFactory, page: int
) -> None:
    # GIVEN twenty records in five batches (records of one batch share their stored_at)
    store = fill(make_store)
    # WHEN they are listed newest first, page by page
    listed = newest_first(store, page=page)
    # THEN it is stored order reversed, each record once
    assert ids(listed) == ids(all_records(store))[::-1]
    assert len(set(ids(listed))) == 20


def test_newest_first_keeps_every_filter(make_store: StoreFactory) -> None:
    # GIVEN records of two clients, two commands and five minutes
    store = fill(make_store)
    t0 = datetime.fromtimestamp(T0_US / 1_000_000, UTC)
    filters = [
        RecordFilter(client_id="c1"),
        RecordFilter(command="Delete"),
        RecordFilter(client_id="c0", command="Delete"),
        RecordFilter(since=t0 + timedelta(minutes=1), until=t0 + timedelta(minutes=3)),
        RecordFilter(since=t0 + timedelta(minutes=3)),
        RecordFilter(until=t0 + timedelta(minutes=2), client_id="c1"),
        RecordFilter(since=t0 + timedelta(minutes=2), until=t0 + timedelta(minutes=2)),
        RecordFilter(client_id="nobody"),
    ]
    for where in filters:
        # WHEN each filter is listed newest first, two at a time
        listed = newest_first(store, where, page=2)
        # THEN it holds what the oldest-first listing holds, reversed
        assert ids(listed) == ids(all_records(store, where))[::-1], where
    assert len(newest_first(store, filters[0])) == 10
    assert len(newest_first(store, filters[3])) == 8


def test_newest_first_pages_do_not_shift_when_newer_records_arrive(
    make_store: StoreFactory,
) -> None:
    # GIVEN a first page, newest first
    clock = FakeClock(T0_US)
    store = make_store(clock=clock)
    store.save([new_record(client_id="old") for _ in range(4)])
    first = store.list_records(RecordFilter(), after=None, limit=2, newest_first=True)
    # WHEN newer records are stored before the next page is read
    clock.now += 1_000_000
    store.save([new_record(client_id="new")])
    rest = store.list_records(
        RecordFilter(), after=first.items[-1].cursor, limit=10, newest_first=True
    )
    # THEN the next page continues below the cursor: the two older ones, and no newcomer
    assert [r.client_id for r in rest.items] == ["old", "old"]
    assert rest.more is False
    assert set(ids(first.items)).isdisjoint(ids(rest.items))
    # ... and a fresh listing starts with the newcomer
    top = store.list_records(RecordFilter(), after=None, limit=1, newest_first=True)
    assert [r.client_id for r in top.items] == ["new"]


def test_the_newest_record_comes_first_in_a_one_record_page(make_store: StoreFactory) -> None:
    clock = FakeClock(T0_US)
    store = make_store(clock=clock)
    for n in range(3):
        clock.now += 1_000
        store.save([new_record(client_id=f"n{n}")])

    page = store.list_records(RecordFilter(), after=None, limit=1, newest_first=True)

    assert ([r.client_id for r in page.items], page.more) == (["n2"], True)


@pytest.mark.parametrize("cursor", ["abc", "-1", "9" * 40, "' OR 1=1 --"])
def test_newest_first_refuses_a_cursor_the_store_did_not_issue(
    store: MessageStore, cursor: str
) -> None:
    store.save([new_record(), new_rejection()])

    with pytest.raises(InvalidCursorError):
        store.list_records(RecordFilter(), after=cursor, limit=5, newest_first=True)
    with pytest.raises(InvalidCursorError):
        store.list_rejections(after=cursor, limit=5, newest_first=True)


# -- rejected messages ---------------------------------------------------------------------------


def fill_rejections(make_store: StoreFactory) -> MessageStore:
    """Five batches, one stamp per batch, each of three rejections and one record."""
    clock = FakeClock(T0_US)
    store = make_store(clock=clock)
    for minute in range(5):
        clock.now = T0_US + minute * 60_000_000
        store.save([*(new_rejection(f"bad {minute}.{n}") for n in range(3)), new_record()])
    return store


@pytest.mark.parametrize("page", [1, 4, 100])
def test_rejections_newest_first_are_the_exact_reverse_of_stored_order_on_any_page_size(
    make_store: StoreFactory, page: int
) -> None:
    # GIVEN fifteen rejections in five batches (those of one batch share their stored_at),
    # stored beside records
    store = fill_rejections(make_store)
    # WHEN they are listed newest first, page by page
    listed = rejections(store, page=page, newest=True)
    # THEN it is stored order reversed, each rejection once, no record among them
    assert ids(listed) == ids(rejections(store))[::-1]
    assert len(set(ids(listed))) == 15
    assert [r.body for r in listed[:3]] == [f"bad 4.{n}" for n in range(3)][::-1]


def test_rejections_newest_first_do_not_shift_when_newer_ones_arrive(
    make_store: StoreFactory,
) -> None:
    # GIVEN a first page of rejections, newest first
    clock = FakeClock(T0_US)
    store = make_store(clock=clock)
    store.save([new_rejection("old") for _ in range(4)])
    first = store.list_rejections(after=None, limit=2, newest_first=True)
    # WHEN a newer one is stored before the next page is read
    clock.now += 1_000_000
    store.save([new_rejection("new")])
    rest = store.list_rejections(after=first.items[-1].cursor, limit=10, newest_first=True)
    # THEN the next page continues below the cursor: the two older ones, and no newcomer
    assert ([r.body for r in rest.items], rest.more) == (["old", "old"], False)
    assert set(ids(first.items)).isdisjoint(ids(rest.items))
    # ... and a fresh listing starts with the newcomer
    top = store.list_rejections(after=None, limit=1, newest_first=True)
    assert ([r.body for r in top.items], top.more) == (["new"], True)


def test_an_empty_store_lists_no_rejections_newest_first(store: MessageStore) -> None:
    store.save([new_record()])

    assert store.list_rejections(after=None, limit=5, newest_first=True).items == []
