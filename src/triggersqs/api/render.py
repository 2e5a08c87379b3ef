"""Render stored items as JSON, and pages that fit in a Lambda response.

A synchronous Lambda response is at most 6 MB *after* the runtime wraps the HTTP body in its own
JSON (escaping quotes, and non-ASCII as ``\\uXXXX``). A page that would not fit is shortened, and
its ``next_cursor`` carries on from the last entry that fits.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from triggersqs.core.pagination import Page
from triggersqs.core.records import (
    StoredRecord,
    StoredRejection,
    utc_from_ms,
    utc_from_us,
    utf8_size,
)

T = TypeVar("T", StoredRecord, StoredRejection)

MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024
_ENVELOPE_ALLOWANCE = 64 * 1024  # status, headers, the cursor and the JSON around the body
BODY_BUDGET = MAX_LAMBDA_PAYLOAD_BYTES - _ENVELOPE_ALLOWANCE
# Inside the runtime's JSON a UTF-8 byte takes at most 3 bytes (a 2-byte character becomes a
# 6-byte \uXXXX escape), so most pages are known to fit without measuring each entry exactly.
_WORST_EXPANSION = 3

# orjson writes exactly what json.dumps(ensure_ascii=False, separators=(",", ":")) writes, UTF-8
# encoded (tests/unit/test_render.py compares them), several times faster: the encoding was one
# of the largest costs of a served page (docs/benchmarks.md, section 4).
_dumps: Callable[[Any], bytes] = orjson.dumps


# Times are written from the stores' epoch integers (core/records.py), as datetime.isoformat
# wrote them before: a cached "YYYY-MM-DDTHH:MM:SS" per second and the digits after it, much
# cheaper than a datetime and its isoformat for each. Outside the range where the two surely
# agree (before 1970; SentTimestamps after 2106, near where the float seconds the datetime is made
# from stop being exact to the microsecond), the datetime writes them, as before.
_FIRST_INEXACT_MS = 2**32 * 1000
_END_US = 253_402_300_800 * 1_000_000  # 10000-01-01: datetime's range ends


@functools.lru_cache(maxsize=4096)
def _second(epoch_seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_seconds))


def _iso_us(us: int) -> str:
    """Epoch microseconds as ISO 8601 UTC, to the microsecond: ``...T16:00:00.005000Z``."""
    if 0 <= us < _END_US:
        seconds, fraction = divmod(us, 1_000_000)
        return f"{_second(seconds)}.{fraction:06d}Z"
    return utc_from_us(us).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _iso_ms(ms: int | None) -> str | None:
    """Epoch milliseconds as ISO 8601 UTC, to the millisecond: ``...T16:00:00.000Z``."""
    if ms is None:
        return None
    if 0 <= ms < _FIRST_INEXACT_MS:
        seconds, fraction = divmod(ms, 1000)
        return f"{_second(seconds)}.{fraction:03d}Z"
    moment = utc_from_ms(ms)
    assert moment is not None  # noqa: S101 - ms is not None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_json(record: StoredRecord) -> dict[str, Any]:
    """A record as the API shows it (schemas.RecordOut)."""
    return {
        "message_id": record.message_id,
        "command": record.command,
        "client_id": record.client_id,
        "queue_arn": record.queue_arn,
        "message_group_id": record.message_group_id,
        "sent_at": _iso_ms(record.sent_at_ms),
        "stored_at": _iso_us(record.stored_at_us),
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
        "sent_at": _iso_ms(rejection.sent_at_ms),
        "stored_at": _iso_us(rejection.stored_at_us),
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
