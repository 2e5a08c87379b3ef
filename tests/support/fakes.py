"""The fakes tests share: a store writer that records and fails on demand, a store with a bug,
and a Lambda handler that records what the poller hands it.

A store that is merely down is the shipped fake's job: MemoryStore.go_down() and come_back()
(src/triggersqs/storage/memory.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from triggersqs.core.clock import Deadline
from triggersqs.core.ports import RecordFilter, SaveStatus, Slice
from triggersqs.core.records import Incoming, StoredRecord, StoredRejection
from triggersqs.errors import StorageUnavailableError
from triggersqs.local.context import LocalContext
from triggersqs.storage.memory import MemoryStore


class FakeWriter:
    """A MessageWriter (all the batch path needs) that keeps what it is given in a MemoryStore
    (``inner``, to read back), unless told to fail; ``saves`` lists every call it got.

    ``down``: every save raises StorageUnavailableError. ``fail_at``: the item at that index of
    a save fails, and under ``ordered`` every later one of its message group is not attempted,
    as the port specifies.
    """

    def __init__(self, *, down: bool = False, fail_at: int | None = None) -> None:
        self.inner = MemoryStore()
        self.down = down
        self.fail_at = fail_at
        self.saves: list[tuple[list[str], bool, Deadline | None]] = []

    def save(
        self,
        items: Sequence[Incoming],
        *,
        ordered: bool = False,
        deadline: Deadline | None = None,
    ) -> list[SaveStatus]:
        self.saves.append(([item.envelope.message_id for item in items], ordered, deadline))
        if self.down:
            raise StorageUnavailableError("the store is down")
        statuses: list[SaveStatus] = []
        failed_group = (
            items[self.fail_at].envelope.message_group_id
            if self.fail_at is not None and self.fail_at < len(items)
            else None
        )
        for index, item in enumerate(items):
            if self.fail_at is not None and (
                index == self.fail_at
                or (
                    ordered
                    and index > self.fail_at
                    and item.envelope.message_group_id == failed_group
                )
            ):
                statuses.append(SaveStatus.FAILED)
            else:
                statuses.extend(self.inner.save([item]))
        return statuses


class BuggyStore(MemoryStore):
    """A store with a bug: every read and write raises ``error``, which is not a StorageError
    (what callers must survive without leaking it); ``check`` and ``close`` still work."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def save(
        self,
        items: Sequence[Incoming],
        *,
        ordered: bool = False,
        deadline: Deadline | None = None,
    ) -> list[SaveStatus]:
        raise self.error

    def get_record(self, message_id: str) -> StoredRecord | None:
        raise self.error

    def get_rejection(self, message_id: str) -> StoredRejection | None:
        raise self.error

    def list_records(
        self, where: RecordFilter, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[StoredRecord]:
        raise self.error

    def list_rejections(
        self, *, after: str | None, limit: int, newest_first: bool = False
    ) -> Slice[StoredRejection]:
        raise self.error


class RecordingHandler:
    """A Lambda handler that records what it was given, then answers as told.

    ``response``: what it returns (or a function of the event computing it); ``error``: raised
    instead; ``during``: called with the event and context first (to move a clock, set a stop).
    """

    def __init__(
        self,
        response: object = None,
        *,
        error: Exception | None = None,
        during: Callable[[dict[str, Any], LocalContext], object] | None = None,
    ) -> None:
        self.response = response
        self.error = error
        self.during = during
        self.events: list[dict[str, Any]] = []
        self.contexts: list[LocalContext] = []
        self.remaining_ms: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: LocalContext) -> object:
        with self._lock:
            self.events.append(event)
            self.contexts.append(context)
            self.remaining_ms.append(context.get_remaining_time_in_millis())
        if self.during is not None:
            self.during(event, context)
        if self.error is not None:
            raise self.error
        if callable(self.response):
            return self.response(event)
        return self.response

    @property
    def message_ids(self) -> list[str]:
        """Every message id handed over, in order, across all invocations."""
        return [record["messageId"] for event in self.events for record in event["Records"]]

    def batches(self) -> list[list[str]]:
        """The message ids of each invocation."""
        return [[record["messageId"] for record in event["Records"]] for event in self.events]


def fail_ids(*message_ids: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A response function reporting ``message_ids`` failed when they are in the batch."""

    def respond(event: Mapping[str, Any]) -> dict[str, Any]:
        in_batch = [r["messageId"] for r in event["Records"] if r["messageId"] in message_ids]
        return {"batchItemFailures": [{"itemIdentifier": mid} for mid in in_batch]}

    return respond
