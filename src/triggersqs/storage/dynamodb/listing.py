"""How the DynamoDB store lists in stored order: the sharded partitions of one sparse index
merged from the cursor on, within a key span; a record is listed from its index entry (every
index projects what a listing shows, schema.py), or, when its body is too long to be there, from
its main item (reads.py).

No page reads more than it shows (plus a small margin), and nothing scans.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Final

from triggersqs.core.ports import RecordFilter, Slice
from triggersqs.core.records import (
    StoredRecord,
    StoredRejection,
    storable_text,
    us_from_utc,
    utf8_size,
)
from triggersqs.errors import InvalidCursorError
from triggersqs.storage.dynamodb.errors import translating
from triggersqs.storage.dynamodb.items import STAMP_DIGITS, record_of, rejection_of, stamp_key
from triggersqs.storage.dynamodb.reads import main_items
from triggersqs.storage.dynamodb.schema import (
    INDEX_CLIENT,
    INDEX_COMMAND,
    INDEX_STORED,
    KIND_RECORD,
    KIND_REJECTION,
    LISTED_BODY,
    SHARDS,
)
from triggersqs.storage.dynamodb.table import Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryInputTypeDef

    from triggersqs.storage.dynamodb.items import Item

_MAX_SORT_KEY_BYTES: Final = 1024
_CURSOR: Final = re.compile(rf"[0-9]{{{STAMP_DIGITS}}}#.+", re.DOTALL)
"""An index sort key (``items.stamp_key`` + ``#`` + message id): the only cursor issued here."""
_FIRST_SHARD_LIMIT: Final = 8


def list_records(
    table: Table, where: RecordFilter, *, after: str | None, limit: int, newest_first: bool = False
) -> Slice[StoredRecord]:
    """One sparse index, all its shards merged: by client, else by command, else all records;
    ``newest_first`` reads each shard backwards and merges them in reverse."""
    span = Span.of(after, where, newest_first=newest_first)
    if where.client_id is not None:
        # The index projects ``command``, so client and command is a filter on that index.
        listing = Listing(INDEX_CLIENT, "gsi_client_pk", where.client_id, span, where.command)
    elif where.command is not None:
        listing = Listing(INDEX_COMMAND, "gsi_command_pk", where.command, span)
    else:
        listing = Listing(INDEX_STORED, "gsi_all_pk", KIND_RECORD, span)
    entries: dict[str, Item] = {}
    keys = _page_keys(table, listing, limit, entries)
    return Slice(_records(table, keys[:limit], entries), more=len(keys) > limit)


def _records(table: Table, keys: list[str], entries: dict[str, Item]) -> list[StoredRecord]:
    """The records of these index keys, in their order: from their index entries, which carry a
    whole listed record when its body is short (items.py); the rest from their main items."""
    missing = [key for key in keys if key not in entries]
    # An index written before the projection (keys only) has no entries: every record is read.
    found = {item["gsi_sk"].get("S", ""): item for item in main_items(table, missing)}
    records = []
    for key in keys:
        entry = entries.get(key)
        if entry is not None:
            records.append(record_of(entry, entry[LISTED_BODY].get("S", ""), listed=True))
        elif (item := found.get(key)) is not None:
            records.append(record_of(item, item["body"].get("S", ""), listed=True))
    return records


def list_rejections(
    table: Table, *, after: str | None, limit: int, newest_first: bool = False
) -> Slice[StoredRejection]:
    """Rejected messages in stored order after the cursor; ``newest_first`` as for records."""
    span = Span.of(after, RecordFilter(), newest_first=newest_first)
    keys = _page_keys(table, Listing(INDEX_STORED, "gsi_all_pk", KIND_REJECTION, span), limit)
    items = main_items(table, keys[:limit])
    return Slice(
        [rejection_of(item, item["body"].get("S", ""), listed=True) for item in items],
        more=len(keys) > limit,
    )


@dataclass(frozen=True, slots=True)
class Span:
    """The index sort-key range a listing reads: after the cursor, within since/until."""

    low: str | None = None
    low_inclusive: bool = True
    high: str | None = None
    """Exclusive: a bare stamp, which no key equals (keys are ``<stamp>#<message id>``), or,
    newest first, the cursor's key."""
    skip: str | None = None
    """The cursor's own key, dropped when a bound includes it (only BETWEEN bounds both ends)."""
    empty: bool = False
    descending: bool = False
    """Read each shard from its newest key down (newest first)."""

    @classmethod
    def of(cls, after: str | None, where: RecordFilter, *, newest_first: bool = False) -> Span:
        """The span of a cursor and a time filter; refuses a cursor this store did not issue."""
        if after is not None and not (
            _CURSOR.fullmatch(after) and utf8_size(after) <= _MAX_SORT_KEY_BYTES
        ):
            raise InvalidCursorError("cursor does not point into this store")
        since = None if where.since is None else stamp_key(us_from_utc(where.since))
        high = None if where.until is None else stamp_key(us_from_utc(where.until))
        if newest_first:
            return cls._backwards(after, since, high)
        low: str | None = since
        inclusive = True
        if after is not None and (since is None or after >= since):
            low, inclusive = after, False
        if low is not None and high is not None:
            if low >= high:
                return cls(empty=True)
            return cls(low, True, high, None if inclusive else low)
        return cls(low, inclusive, high)

    @classmethod
    def _backwards(cls, after: str | None, since: str | None, until: str | None) -> Span:
        """Newest first: keys below the cursor (and ``until``), down to ``since``."""
        high, skip = until, None
        if after is not None and (until is None or after < until):
            high, skip = after, after  # exclusive: "<" alone, or BETWEEN and a skip
        if since is not None and high is not None and since >= high:
            return cls(empty=True)
        return cls(since, True, high, skip if since is not None else None, descending=True)


@dataclass(frozen=True, slots=True)
class Listing:
    """What a page reads: one index, the partitions of one value, a key span, a command filter."""

    index: str
    attribute: str
    value: str
    span: Span
    command: str | None = None

    def partition(self, shard: int) -> str:
        """The index partition key of one shard of this listing's value."""
        return f"{storable_text(self.value)}#{shard}"


@dataclass(slots=True)
class _Shard:
    """How far one index partition has been read for the page being built."""

    partition: str
    keys: list[str] = field(default_factory=list)
    start: Item | None = None
    """Where to continue (DynamoDB's LastEvaluatedKey); None before the first read and once done."""
    frontier: str = ""
    """The last key the previous read examined: every key up to it is in ``keys`` or filtered."""
    entries: dict[str, Item] = field(default_factory=dict)
    """The entries read that carry a whole listed record, by key (when asked for)."""


def _page_keys(
    table: Table, listing: Listing, limit: int, entries: dict[str, Item] | None = None
) -> list[str]:
    """The first ``limit + 1`` index sort keys of ``listing``, merged over every shard; with
    ``entries``, the index entries that carry a whole listed record, by key, go there too.

    Each shard is read from the span's start, a few keys at first; a shard is read further
    only while its unread keys could still belong to the page (its last read key is below
    the page's last key), so a page reads about ``limit`` keys, not ``SHARDS * limit``.
    """
    if listing.span.empty:
        return []
    need = limit + 1
    shards = [_Shard(listing.partition(shard)) for shard in range(SHARDS)]
    pending = shards
    batch = min(need, max(_FIRST_SHARD_LIMIT, -(-2 * need // SHARDS)))
    down = listing.span.descending
    query = partial(_query_shard, table, listing, entries is not None)
    while True:
        table.parallel(partial(query, batch), pending)
        merged = list(heapq.merge(*(shard.keys for shard in shards), reverse=down))[:need]
        last = merged[-1] if len(merged) == need else None
        pending = [
            shard
            for shard in shards
            if shard.start is not None
            and (last is None or (shard.frontier > last if down else shard.frontier < last))
        ]
        if not pending:
            if entries is not None:
                for shard in shards:
                    entries.update(shard.entries)
            return merged
        batch = min(need, batch * 2)


def _query_shard(table: Table, listing: Listing, entries: bool, count: int, shard: _Shard) -> None:
    """Read up to ``count`` more keys of one shard into ``shard``; with ``entries``, what the
    index projects too (a read unit is charged by entry size, whatever is asked for)."""
    span = listing.span
    names = {"#p": listing.attribute}
    values: dict[str, AttributeValueTypeDef] = {":p": {"S": shard.partition}}
    sort_condition = _sort_key_condition(span, values)
    params: QueryInputTypeDef = {
        "TableName": table.name,
        "IndexName": listing.index,
        "KeyConditionExpression": f"#p = :p{sort_condition}",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "Limit": count,
        "ScanIndexForward": not span.descending,
    }
    if not entries:
        params["ProjectionExpression"] = "#s"
    if sort_condition or not entries:  # DynamoDB refuses a name no expression uses
        names["#s"] = "gsi_sk"
    if listing.command is not None:
        names["#c"] = "command"
        values[":c"] = {"S": storable_text(listing.command)}
        params["FilterExpression"] = "#c = :c"
    if shard.start is not None:
        params["ExclusiveStartKey"] = shard.start
    with translating("Query"):
        answer = table.client.query(**params)
    for item in answer["Items"]:
        key = item["gsi_sk"].get("S", "")
        if key != span.skip:
            shard.keys.append(key)
            if entries and LISTED_BODY in item:
                shard.entries[key] = item
    shard.start = answer.get("LastEvaluatedKey")
    if shard.start is not None:
        shard.frontier = shard.start["gsi_sk"].get("S", "")


def _sort_key_condition(span: Span, values: dict[str, AttributeValueTypeDef]) -> str:
    """The sort-key part of a query's key condition (``#s`` is ``gsi_sk``), its values put in
    ``values``; empty for a span without bounds."""
    if span.low is not None:
        values[":low"] = {"S": span.low}
    if span.high is not None:
        values[":high"] = {"S": span.high}
    if span.low is not None and span.high is not None:
        return " AND #s BETWEEN :low AND :high"
    if span.low is not None:
        return " AND #s >= :low" if span.low_inclusive else " AND #s > :low"
    if span.high is not None:
        return " AND #s < :high"
    return ""
