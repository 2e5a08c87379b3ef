"""The in-memory store's simulated outage, which makes it a fake of a store that goes away (the
rest of its behaviour is the contract's, tests/contract)."""

from __future__ import annotations

import pytest

from tests.support.factories import new_record
from triggersqs.core.ports import RecordFilter
from triggersqs.errors import StorageUnavailableError
from triggersqs.storage.memory import MemoryStore


def test_a_simulated_outage_refuses_every_call_and_the_store_comes_back_with_what_it_held() -> None:
    # GIVEN a store holding one record, which then goes down
    store = MemoryStore()
    kept, lost = new_record(), new_record()
    store.save([kept])
    store.go_down("disk unplugged")

    # WHEN a write and a read are attempted during the outage
    with pytest.raises(StorageUnavailableError, match="disk unplugged"):
        store.save([lost])
    with pytest.raises(StorageUnavailableError, match="disk unplugged"):
        store.get_record(kept.envelope.message_id)

    # THEN once back, it answers with what it held before, and nothing from the outage
    store.come_back()
    store.check()
    assert store.get_record(kept.envelope.message_id) is not None
    assert store.get_record(lost.envelope.message_id) is None
    assert len(store.list_records(RecordFilter(), after=None, limit=10).items) == 1
