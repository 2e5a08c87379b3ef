"""The rejection status contract on every store (see conftest.STORES): a rejection is ``kept``
unless saved as ``returned_to_queue``, and a replay marks it ``replayed`` with the new id, seen
by the single read and by the listing alike."""

from __future__ import annotations

import pytest

from tests.support.factories import new_id, new_record, new_rejection
from triggersqs.core.ports import MessageStore
from triggersqs.core.records import NewRejection, RejectionStatus
from triggersqs.errors import StorageUnavailableError


def test_a_rejection_is_kept_unless_saved_as_returned_to_the_queue(store: MessageStore) -> None:
    kept = new_rejection("not json")
    returned = new_rejection("[]", "body is not an object")
    returned = NewRejection(returned.envelope, returned.reason, RejectionStatus.RETURNED_TO_QUEUE)

    store.save([kept, returned])

    got_kept = store.get_rejection(kept.envelope.message_id)
    got_returned = store.get_rejection(returned.envelope.message_id)
    assert got_kept is not None
    assert got_returned is not None
    assert (got_kept.status, got_kept.replayed_as) == (RejectionStatus.KEPT, None)
    assert got_returned.status is RejectionStatus.RETURNED_TO_QUEUE
    listed = store.list_rejections(after=None, limit=10).items
    assert [r.status for r in listed] == ["kept", "returned_to_queue"]


def test_a_replayed_rejection_says_so_and_names_the_new_message(store: MessageStore) -> None:
    # GIVEN two kept rejections
    first, second = new_rejection("x"), new_rejection("y")
    store.save([first, second])
    new_message_id = new_id()

    # WHEN the first is marked replayed
    marked = store.mark_replayed(first.envelope.message_id, new_message_id)

    # THEN it is returned as it now is, and every read sees it
    assert marked is not None
    assert (marked.status, marked.replayed_as) == (RejectionStatus.REPLAYED, new_message_id)
    assert (marked.reason, marked.body) == (first.reason, "x")
    got = store.get_rejection(first.envelope.message_id)
    assert got is not None
    assert (got.status, got.replayed_as) == (RejectionStatus.REPLAYED, new_message_id)
    listed = {r.message_id: r for r in store.list_rejections(after=None, limit=10).items}
    assert listed[first.envelope.message_id].replayed_as == new_message_id
    # AND the other rejection is untouched
    assert listed[second.envelope.message_id].status is RejectionStatus.KEPT


def test_marking_a_replay_again_names_the_latest_message(store: MessageStore) -> None:
    rejection = new_rejection()
    store.save([rejection])
    store.mark_replayed(rejection.envelope.message_id, "first-replay")

    marked = store.mark_replayed(rejection.envelope.message_id, "second-replay")

    assert marked is not None
    assert marked.replayed_as == "second-replay"


def test_only_a_rejection_can_be_marked_replayed(store: MessageStore) -> None:
    record = new_record()
    store.save([record])

    assert store.mark_replayed(record.envelope.message_id, new_id()) is None
    assert store.mark_replayed(new_id(), new_id()) is None
    assert store.get_record(record.envelope.message_id) is not None


def test_a_store_that_is_down_cannot_mark_a_replay(down_store: MessageStore) -> None:
    with pytest.raises(StorageUnavailableError):
        down_store.mark_replayed(new_id(), new_id())
