"""Render stored items as JSON, and pages that fit in a Lambda response.

A synchronous Lambda response is at most 6 MB *after* the runtime wraps the HTTP body in its own
JSON (escaping quotes, and non-ASCII as ``\\uXXXX``). A page that would not fit is shortened, and
its ``next_cursor`` carries on from the last entry that fits.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import orjson

from triggersqs.core.pagination import Page
from triggersqs.core.records import StoredRecord, StoredRejection, utf8_size

T = TypeVar("T", StoredRecord, StoredRejection)

MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
_ENVELOPE_ALLOWANCE = 64 * 1024  # status, headers, the cursor and the JSON around the body
BODY_BUDGET = MAX_LAMBDA_PAYLOAD_BYTES - _ENVELOPE_ALLOWANCE
# Inside the runtime's JSON a UTF-8 byte takes at most 3 bytes (a 2-byte character becomes a
# 6-byte \uXXXX escape), so most pages are known to fit without measuring each entry exactly.
_WORST_EXPANSION = 3

# orjson writes exactly what json.dumps(ensure_ascii=False, separators=(",", ":")) writes, UTF-8
# encoded (tests/unit/test_render.py compares them), in a tenth of the time: the encoding was a
# quarter of a served page's CPU (docs/benchmarks.md).
_dumps: Callable[[Any], bytes] = orjson.dumps


def _iso(moment: datetime | None, timespec: str = "microseconds") -> str | None:
    return None if moment is None else _iso_cached(moment, timespec)


# A batch's records share their stored_at, and often their sent_at: a cache hit costs a tenth of
# a formatting, and a page formats two times per record.
@functools.lru_cache(maxsize=2048)
def _iso_cached(moment: datetime, timespec: str) -> str:
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def record_json(record: StoredRecord) -> dict[str, Any]:
    """A record as the API shows it (schemas.RecordOut)."""
    return {
        "message_id": record.message_id,
        "command": record.command,
        "client_id": record.client_id,
        "queue_arn": record.queue_arn,
        "message_group_id": record.message_group_id,
        "sent_at": _iso(record.sent_at, "milliseconds"),
        "stored_at": _iso(record.stored_at),
        "receive_count": record.receive_count,
        "body": record.body,
        "body_bytes": record.body_bytes,
        "body_truncated": utf8_size(record.body) < record.body_bytes,
    }


def rejection_json(rejection: StoredRejection) -> dict[str, Any]:
    """A rejected message as the API shows it (schemas.RejectionOut)."""
    return {
        "message_id": rejection.message_id,
        "queue_arn": rejection.queue_arn,
        "reason": rejection.reason,
        "sent_at": _iso(rejection.sent_at, "milliseconds"),
        "stored_at": _iso(rejection.stored_at),
        "receive_count": rejection.receive_count,
        "body": rejection.body,
        "body_bytes": rejection.body_bytes,
        "body_truncated": utf8_size(rejection.body) < rejection.body_bytes,
        "status": rejection.status.value,
        "replayed_as": rejection.replayed_as,
        "body_sha256": rejection.body_sha256,
    }


def render_item(item: dict[str, Any], budget: int = BODY_BUDGET) -> bytes:
    """One item as compact UTF-8 JSON; its body cut (and marked truncated) until the runtime's
    escaping of it fits ``budget``.

    Kept bodies are capped (core/records.py), but a store may hold older, larger ones, and a
    control character costs 7 bytes once escaped twice: a 1 MiB body made a 7 MiB response.
    """
    data = _dumps(item)
    if _WORST_EXPANSION * len(data) <= budget or _escaped_size(data) <= budget:
        return data
    body: str = item["body"]
    keep = len(body)
    while True:
        size = _escaped_size(data)
        if size <= budget or keep == 0:
            return data
        # Shrink in proportion to the excess, a little more, until it fits: two or three rounds.
        keep = max(0, min(keep - 1, int(keep * budget / size * 0.98)))
        data = _dumps({**item, "body": body[:keep], "body_truncated": True})


def _escaped_size(data: bytes) -> int:
    """The size of ``data`` once the Lambda runtime puts it in its JSON response."""
    return len(json.dumps(data.decode()))


def render_page(
    key: str, page: Page[T], to_json: Callable[[T], dict[str, Any]], budget: int = BODY_BUDGET
) -> bytes:
    """``{key: {"<position>": item, ...}, "next_cursor": ...}``, shortened to fit ``budget``."""
    items = {str(entry.position): to_json(entry.item) for entry in page.entries}
    # The usual case, a page that fits even at the worst expansion: one call of the encoder.
    whole = _dumps({key: items, "next_cursor": page.cursor_after(len(items))})
    if _WORST_EXPANSION * len(whole) <= budget:
        return whole
    pieces = [b'"%s":%s' % (position.encode(), _dumps(item)) for position, item in items.items()]
    keep = len(pieces)
    if _WORST_EXPANSION * sum(len(piece) + 1 for piece in pieces) > budget:
        keep = _fitting(pieces, budget)
    cursor = page.cursor_after(keep)
    return b'{"%s":{%s},"next_cursor":%s}' % (
        key.encode(),
        b",".join(pieces[:keep]),
        _dumps(cursor),
    )


def _fitting(pieces: list[bytes], budget: int) -> int:
    """How many leading pieces fit once escaped as the runtime will; always at least one."""
    total = 0
    for count, piece in enumerate(pieces):
        total += _escaped_size(piece) - 1  # the runtime's escaping, plus one separator
        if total > budget:
            return max(count, 1)
    return len(pieces)
