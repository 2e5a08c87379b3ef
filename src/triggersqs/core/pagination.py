"""Pages of stored items with their positions, and the opaque cursors that continue them.

A cursor carries the position of the next item (so page two of 100 starts at key "100"), the
store's own key of the last item served, and a check: a SHA-256 digest of both and of the
listing's *scope* (a digest of its filters). A cursor used with other filters, garbled or edited
is refused with :class:`InvalidCursorError`.

No key material goes into a cursor (issue 11): cursors travel in query strings and access logs,
and a tag keyed by the API key let anyone holding one test key guesses offline. A cursor is not a
credential and needs no secret: it only says where a listing goes on, every request is still
authorised on its own, and the store checks the key it carries (storage/common.py). So the same
page gives the same cursor on every instance and across API-key rotations.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, NamedTuple, Protocol, TypeVar

from triggersqs.core.ports import Slice
from triggersqs.errors import InvalidCursorError


class _Keyed(Protocol):
    @property
    def cursor(self) -> str:
        """The store's key of the item's place in the stored order."""
        ...


T = TypeVar("T", bound=_Keyed)

_VERSION = 3
_CHECK_CHARS = 32
MAX_CURSOR_CHARS = 512


class Entry(NamedTuple, Generic[T]):
    """One item of a page and its 0-based position in the whole (filtered) ordering (a named
    tuple: a page makes one per item, issue 15)."""

    position: int
    item: T


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Consecutive entries, whether more follow, and the scope their cursors belong to."""

    entries: list[Entry[T]]
    more: bool
    scope: str

    def cursor_after(self, count: int) -> str | None:
        """The cursor that continues after the first ``count`` entries; None when none follow."""
        if count == 0 or (count == len(self.entries) and not self.more):
            return None
        last = self.entries[count - 1]
        return encode_cursor(last.position + 1, last.item.cursor, self.scope)


def scope_of(*parts: object) -> str:
    """A short fingerprint of what a listing is filtered by."""
    text = json.dumps([str(part) if part is not None else None for part in parts])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check(position: int, key: str, scope: str) -> str:
    message = f"{scope}\x00{position}\x00{key}".encode()
    return hashlib.sha256(message).hexdigest()[:_CHECK_CHARS]


def encode_cursor(position: int, key: str, scope: str) -> str:
    """An opaque, URL-safe cursor, valid only for listings of the same ``scope``."""
    payload = [_VERSION, position, key, _check(position, key, scope)]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, scope: str) -> tuple[int, str]:
    """The position and store key of a cursor issued for ``scope``."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursorError("cursor is too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, position, key, check = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursorError("cursor is not one this service issued") from exc
    if (
        version != _VERSION
        or not isinstance(position, int)
        or isinstance(position, bool)
        or position < 0
        or not isinstance(key, str)
        or not isinstance(check, str)
    ):
        raise InvalidCursorError("cursor is not one this service issued")
    if check != _check(position, key, scope):
        raise InvalidCursorError(
            "cursor does not belong to this listing: it was issued for other filters, or altered"
        )
    return position, key


def paginate(
    fetch: Callable[[str | None, int], Slice[T]],
    *,
    cursor: str | None,
    limit: int,
    scope: str,
) -> Page[T]:
    """Fetch the page a cursor points to, numbering its entries."""
    position, after = (0, None) if cursor is None else decode_cursor(cursor, scope)
    found = fetch(after, limit)
    entries = [Entry(position + offset, item) for offset, item in enumerate(found.items)]
    return Page(entries, found.more, scope)
