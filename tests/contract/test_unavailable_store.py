"""The outage half of the MessageStore contract: a store that cannot be reached raises the
port's StorageUnavailableError from every call, on every adapter (conftest.down_store), so
the batch path returns the records to the queue and the API answers 503, whatever the store."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.factories import new_id, new_record, new_rejection
from triggersqs.core.ports import MessageStore, RecordFilter
from triggersqs.errors import StorageUnavailableError

CALLS: dict[str, Callable[[MessageStore], object]] = {
    "save": lambda store: store.save([new_record(), new_rejection()]),
    "ordered-save": lambda store: store.save([new_record(), new_record()], ordered=True),
    "get_record": lambda store: store.get_record(new_id()),
    "get_rejection": lambda store: store.get_rejection(new_id()),
    "list_records": lambda store: store.list_records(RecordFilter(), after=None, limit=10),
    "filtered-list_records": lambda store: store.list_records(
        RecordFilter(client_id="alice", command="SetStatus"), after=None, limit=10
    ),
    "list_rejections": lambda store: store.list_rejections(after=None, limit=10),
    "newest-first-list_rejections": lambda store: store.list_rejections(
        after=None, limit=10, newest_first=True
    ),
    "check": lambda store: store.check(),
}


@pytest.mark.parametrize("call", CALLS)
def test_a_store_that_is_down_raises_storage_unavailable_from_every_call(
    down_store: MessageStore, call: str
) -> None:
    # GIVEN a store that cannot be reached; WHEN it is called
    # THEN it says so with the port's error, never with its driver's or a result
    with pytest.raises(StorageUnavailableError):
        CALLS[call](down_store)
