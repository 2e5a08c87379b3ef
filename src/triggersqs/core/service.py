"""The read side of triggersqs: what the HTTP API asks of the store, with positions and cursors."""

from __future__ import annotations

from triggersqs.core.pagination import Page, paginate, scope_of
from triggersqs.core.ports import MessageReader, RecordFilter
from triggersqs.core.records import StoredRecord, StoredRejection, is_unicode


class RecordService:
    """Pages, single items and health of one store; its cursors hold no secret (pagination.py)."""

    def __init__(self, store: MessageReader, store_name: str) -> None:
        self.store_name = store_name
        self._store = store

    def records(
        self, where: RecordFilter, *, cursor: str | None, limit: int, newest_first: bool = False
    ) -> Page[StoredRecord]:
        """A page of records matching ``where``, oldest first unless ``newest_first``; raises
        InvalidCursorError for a bad cursor (one issued for the other order is one)."""
        listing = _listing("records", newest_first=newest_first)
        scope = scope_of(listing, where.client_id, where.command, where.since, where.until)
        return paginate(
            lambda after, count: self._store.list_records(
                where, after=after, limit=count, newest_first=newest_first
            ),
            cursor=cursor,
            limit=limit,
            scope=scope,
        )

    def rejections(
        self, *, cursor: str | None, limit: int, newest_first: bool = False
    ) -> Page[StoredRejection]:
        """A page of rejected messages, oldest first unless ``newest_first`` (cursors as for
        :meth:`records`)."""
        return paginate(
            lambda after, count: self._store.list_rejections(
                after=after, limit=count, newest_first=newest_first
            ),
            cursor=cursor,
            limit=limit,
            scope=scope_of(_listing("rejected", newest_first=newest_first)),
        )

    def record(self, message_id: str) -> StoredRecord | None:
        """One whole record; none for an id that is not valid Unicode (none is ever stored)."""
        return self._store.get_record(message_id) if is_unicode(message_id) else None

    def rejection(self, message_id: str) -> StoredRejection | None:
        """One whole rejected message; none for an id that is not valid Unicode."""
        return self._store.get_rejection(message_id) if is_unicode(message_id) else None

    def check(self) -> None:
        """Raise StorageUnavailableError unless the store answers."""
        self._store.check()


def _listing(name: str, *, newest_first: bool) -> str:
    """The scope name of a listing in one order: a cursor of one order is refused by the other
    (their positions count from opposite ends). The oldest-first name is the listing's own, as
    before there was an order, so cursors issued then still work."""
    return f"{name}-newest-first" if newest_first else name
