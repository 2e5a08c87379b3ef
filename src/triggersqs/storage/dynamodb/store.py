"""The DynamoDB store: one table shared by every Lambda instance, worker and server in AWS.

Layout (dynamodb_schema.py; docs/dynamodb.md gives the reasoning and the capacity arithmetic):

- one main item per message id (``pk`` = message id, ``sk`` = ``"#"``), written with the condition
  ``attribute_not_exists(pk)``: whichever writer comes first stores it, every other one is told
  it is a duplicate, whatever the kind (record or rejection);
- a body longer than :data:`MAIN_BODY_BYTES` continues in part items (``sk`` = ``"body#0001"``...),
  written with the main item in one transaction, so a stored message is always whole;
- listings merge the sharded partitions of one sparse index, from the cursor on, and then read the
  chosen main items: no page reads more than it shows (plus a small margin), and nothing scans.

Every botocore error is translated here (never by its message text): throttling, timeouts, server
errors and unreachable endpoints become :class:`StorageUnavailableError` (the records go back to
the queue), anything else :class:`StorageError`.
"""

from __future__ import annotations

import heapq
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Final, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, WaiterError
from botocore.exceptions import ConnectionError as EndpointError

from triggersqs.core.clock import Deadline, expired
from triggersqs.core.ports import RecordFilter, SaveStatus, Slice
from triggersqs.core.records import (
    Incoming,
    NewRecord,
    StoredRecord,
    StoredRejection,
    now_us,
    preview,
    storable_text,
    us_from_utc,
    utc_from_ms,
    utc_from_us,
    utf8_size,
)
from triggersqs.errors import InvalidCursorError, StorageError, StorageUnavailableError
from triggersqs.storage.dynamodb.schema import (
    BODY_PART_PREFIX,
    INDEX_CLIENT,
    INDEX_COMMAND,
    INDEX_STORED,
    KIND_RECORD,
    KIND_REJECTION,
    MAIN_SK,
    SHARDS,
    TABLE_DEFINITION,
    shard_of,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        KeysAndAttributesTypeDef,
        QueryInputTypeDef,
        TransactWriteItemTypeDef,
    )

    Item = dict[str, AttributeValueTypeDef]

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_WORKERS: Final = 16
"""Requests one store runs at once: the writes of a batch, or the shard queries of a page."""

MAIN_BODY_BYTES: Final = 16_384
"""The part of a body kept in the main item. Listings read whole main items (DynamoDB charges a
read by item size, whatever the projection), so this bounds the cost of a page; longer bodies
continue in part items."""
PART_BODY_BYTES: Final = 380_000
"""Body bytes per part item: under DynamoDB's 400 KB item limit with room for the keys."""

_STAMP_DIGITS: Final = 20
_MAX_SORT_KEY_BYTES: Final = 1024
_MAX_PARTITION_KEY_BYTES: Final = 2048
_CURSOR: Final = re.compile(rf"[0-9]{{{_STAMP_DIGITS}}}#.+", re.DOTALL)
_BATCH_GET_KEYS: Final = 100  # DynamoDB's limit per BatchGetItem request
_BATCH_GET_TRIES: Final = 6
_TRANSACTION_TRIES: Final = 3
_FIRST_SHARD_LIMIT: Final = 8
# What a listing shows, and no index keys: less to send and to parse (the read costs the same).
_LISTED: Final = (
    *("pk", "kind", "gsi_sk", "command", "client_id", "queue_arn", "sent_at", "stored_at"),
    *("receive_count", "message_group_id", "reason", "body", "body_bytes"),
)
_LISTED_PROJECTION: Final = ", ".join(f"#a{i}" for i in range(len(_LISTED)))
_LISTED_NAMES: Final = {f"#a{i}": name for i, name in enumerate(_LISTED)}

_TRANSIENT_CODES: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
_TRANSIENT_REASONS: Final = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)


class DynamoDbStore:
    """A :class:`~triggersqs.core.ports.MessageStore` in one DynamoDB table (see the module doc).

    It takes a boto3 DynamoDB client (thread-safe; built once per process by the bootstrap) and
    runs the requests of one call on up to ``max_workers`` threads.
    """

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        clock: Callable[[], int] = now_us,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock
        self._max_workers = max_workers
        self._lock = threading.Lock()
        self._last_us = 0
        self._pool: ThreadPoolExecutor | None = None

    # -- writing ---------------------------------------------------------------------------------

    def save(
        self, items: Sequence[Incoming], *, ordered: bool = False, deadline: Deadline | None = None
    ) -> list[SaveStatus]:
        """Write each new message id once, concurrently; see :meth:`MessageStore.save`.

        A conditional put per item (BatchWriteItem cannot carry a condition, and a transaction of
        the whole batch would cost twice the write capacity and fail on any duplicate). With
        ``ordered`` the puts run one after another and stop at the first failure.
        """
        if not items:
            return []
        if expired(deadline):
            return [SaveStatus.FAILED] * len(items)
        first_of: dict[str, int] = {}
        for index, item in enumerate(items):
            first_of.setdefault(item.envelope.message_id, index)
        unique = list(first_of.values())
        # Each item gets its own stamp, increasing in batch order, so a batch lists in its order.
        writes = list(zip((items[i] for i in unique), self._stamps(len(unique)), strict=True))
        if ordered:
            outcomes = self._write_in_order(writes, deadline)
        else:
            outcomes = self._write_concurrently(writes, deadline)
        errors = [outcome for outcome in outcomes if isinstance(outcome, StorageError)]
        if errors and not any(outcome in _ANSWERED for outcome in outcomes):
            # Nothing was written or found: report the store's state rather than N failures.
            raise next((e for e in errors if isinstance(e, StorageUnavailableError)), errors[0])
        status_of = {
            items[index].envelope.message_id: outcome if isinstance(outcome, SaveStatus) else _FAIL
            for index, outcome in zip(unique, outcomes, strict=True)
        }
        statuses = []
        for index, item in enumerate(items):
            status = status_of[item.envelope.message_id]
            if first_of[item.envelope.message_id] != index and status is not SaveStatus.FAILED:
                status = SaveStatus.DUPLICATE
            statuses.append(status)
        return statuses

    def _stamps(self, count: int) -> range:
        """``count`` stored_at values, each above every value this store used before."""
        with self._lock:
            first = max(self._clock(), self._last_us + 1)
            self._last_us = first + count - 1
        return range(first, first + count)

    def _write_in_order(
        self, writes: list[tuple[Incoming, int]], deadline: Deadline | None
    ) -> list[SaveStatus | StorageError]:
        outcomes: list[SaveStatus | StorageError] = []
        stopped = False
        for item, stamp in writes:
            outcome = _FAIL if stopped else self._attempt(item, stamp, deadline)
            outcomes.append(outcome)
            stopped = outcome is _FAIL or isinstance(outcome, StorageError)
        return outcomes

    def _write_concurrently(
        self, writes: list[tuple[Incoming, int]], deadline: Deadline | None
    ) -> list[SaveStatus | StorageError]:
        return self._parallel(lambda write: self._attempt(*write, deadline), writes)

    def _attempt(
        self, item: Incoming, stamp: int, deadline: Deadline | None
    ) -> SaveStatus | StorageError:
        """Write one item unless the deadline has passed; returns a storage error, never raises."""
        if expired(deadline):
            return _FAIL
        try:
            return self._write(item, stamp)
        except StorageError as exc:
            return exc

    def _write(self, item: Incoming, stamp: int) -> SaveStatus:
        main, parts = _items_of(item, stamp)
        if not parts:
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=main,
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as exc:
                if _code(exc) == "ConditionalCheckFailedException":
                    return SaveStatus.DUPLICATE
                raise _translate(exc, "PutItem") from exc
            except BotoCoreError as exc:
                raise _translate(exc, "PutItem") from exc
            return SaveStatus.STORED
        return self._write_transaction(main, parts)

    def _write_transaction(self, main: Item, parts: list[Item]) -> SaveStatus:
        """The main item (conditionally) and its body parts, all or nothing."""
        requests: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": main,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        requests.extend({"Put": {"TableName": self._table, "Item": part}} for part in parts)
        for attempt in range(_TRANSACTION_TRIES):
            try:
                # The token makes botocore's own retries of this request idempotent.
                self._client.transact_write_items(
                    TransactItems=requests, ClientRequestToken=str(uuid.uuid4())
                )
            except ClientError as exc:
                if _code(exc) != "TransactionCanceledException":
                    raise _translate(exc, "TransactWriteItems") from exc
                reasons = [
                    r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])
                ]
                if reasons[:1] == ["ConditionalCheckFailed"]:
                    return SaveStatus.DUPLICATE
                if not _TRANSIENT_REASONS.intersection(reasons):
                    raise StorageError(f"DynamoDB TransactWriteItems cancelled: {reasons}") from exc
                if attempt + 1 == _TRANSACTION_TRIES:
                    raise StorageUnavailableError(
                        f"DynamoDB TransactWriteItems cancelled: {reasons}"
                    ) from exc
                # Another writer holds the same message id: wait, then its write decides.
                time.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # noqa: S311 - jitter
            except BotoCoreError as exc:
                raise _translate(exc, "TransactWriteItems") from exc
            else:
                return SaveStatus.STORED
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reading ---------------------------------------------------------------------------------

    def get_record(self, message_id: str) -> StoredRecord | None:
        """The whole record with this message id, if any."""
        found = self._read_whole(message_id)
        if found is None or found[0]["kind"].get("S") != KIND_RECORD:
            return None
        return _record(*found)

    def get_rejection(self, message_id: str) -> StoredRejection | None:
        """The whole rejected message with this message id, if any."""
        found = self._read_whole(message_id)
        if found is None or found[0]["kind"].get("S") != KIND_REJECTION:
            return None
        return _rejection(*found)

    def _read_whole(self, message_id: str) -> tuple[Item, str] | None:
        """The main item and the whole body: one strongly consistent query of the message's keys."""
        message_id = storable_text(message_id)
        if not 0 < utf8_size(message_id) <= _MAX_PARTITION_KEY_BYTES:
            return None
        items: list[Item] = []
        start: Item | None = None
        with _translating("Query"):
            while True:
                params: QueryInputTypeDef = {
                    "TableName": self._table,
                    "KeyConditionExpression": "pk = :id",
                    "ExpressionAttributeValues": {":id": {"S": message_id}},
                    "ConsistentRead": True,
                }
                if start is not None:
                    params["ExclusiveStartKey"] = start
                answer = self._client.query(**params)
                items.extend(answer["Items"])
                if "LastEvaluatedKey" not in answer:
                    break
                start = answer["LastEvaluatedKey"]
        if not items or items[0]["sk"].get("S") != MAIN_SK:
            return None
        main, parts = items[0], items[1:]
        if len(parts) != int(main.get("parts", {"N": "0"}).get("N", "0")):
            # Reads are read-committed per item: a transaction may be landing right now.
            raise StorageUnavailableError(f"message {message_id!r} is being written; try again")
        body = main["body"].get("S", "") + "".join(part["body"].get("S", "") for part in parts)
        return main, body

    def list_records(
        self, where: RecordFilter, *, after: str | None, limit: int
    ) -> Slice[StoredRecord]:
        """One sparse index, all its shards merged: by client, else by command, else all records."""
        span = _Span.of(after, where)
        if where.client_id is not None:
            # by_client projects ``command``, so client and command is a filter on that index.
            listing = _Listing(INDEX_CLIENT, "gsi_client_pk", where.client_id, span, where.command)
        elif where.command is not None:
            listing = _Listing(INDEX_COMMAND, "gsi_command_pk", where.command, span)
        else:
            listing = _Listing(INDEX_STORED, "gsi_all_pk", KIND_RECORD, span)
        keys = self._page_keys(listing, limit)
        items = self._main_items(keys[:limit])
        return Slice(
            [_record(item, item["body"].get("S", ""), listed=True) for item in items],
            more=len(keys) > limit,
        )

    def list_rejections(self, *, after: str | None, limit: int) -> Slice[StoredRejection]:
        """Rejected messages in stored order after the cursor."""
        span = _Span.of(after, RecordFilter())
        keys = self._page_keys(_Listing(INDEX_STORED, "gsi_all_pk", KIND_REJECTION, span), limit)
        items = self._main_items(keys[:limit])
        return Slice(
            [_rejection(item, item["body"].get("S", ""), listed=True) for item in items],
            more=len(keys) > limit,
        )

    def _page_keys(self, listing: _Listing, limit: int) -> list[str]:
        """The first ``limit + 1`` index sort keys of ``listing``, merged over every shard.

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
        while True:
            self._parallel(partial(self._query_shard, listing, batch), pending)
            merged = list(heapq.merge(*(shard.keys for shard in shards)))[:need]
            last = merged[-1] if len(merged) == need else None
            pending = [
                shard
                for shard in shards
                if shard.start is not None and (last is None or shard.frontier < last)
            ]
            if not pending:
                return merged
            batch = min(need, batch * 2)

    def _query_shard(self, listing: _Listing, count: int, shard: _Shard) -> None:
        """Read up to ``count`` more keys of one shard into ``shard``."""
        span = listing.span
        names = {"#p": listing.attribute, "#s": "gsi_sk"}
        values: dict[str, AttributeValueTypeDef] = {":p": {"S": shard.partition}}
        condition = "#p = :p"
        if span.low is not None and span.high is not None:
            condition += " AND #s BETWEEN :low AND :high"
        elif span.low is not None:
            condition += " AND #s >= :low" if span.low_inclusive else " AND #s > :low"
        elif span.high is not None:
            condition += " AND #s < :high"
        if span.low is not None:
            values[":low"] = {"S": span.low}
        if span.high is not None:
            values[":high"] = {"S": span.high}
        params: QueryInputTypeDef = {
            "TableName": self._table,
            "IndexName": listing.index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ProjectionExpression": "#s",
            "Limit": count,
        }
        if listing.command is not None:
            names["#c"] = "command"
            values[":c"] = {"S": storable_text(listing.command)}
            params["FilterExpression"] = "#c = :c"
        if shard.start is not None:
            params["ExclusiveStartKey"] = shard.start
        with _translating("Query"):
            answer = self._client.query(**params)
        for item in answer["Items"]:
            key = item["gsi_sk"].get("S", "")
            if key != span.skip:
                shard.keys.append(key)
        shard.start = answer.get("LastEvaluatedKey")
        if shard.start is not None:
            shard.frontier = shard.start["gsi_sk"].get("S", "")

    def _main_items(self, keys: list[str]) -> list[Item]:
        """The main items of these index keys, in their order.

        Main items never change once written, so an eventually consistent read (half the
        price) returns the final item or nothing; only what it missed, an item so new that its
        index entry overtook its replica, is read again strongly consistent.
        """
        ids = [key.split("#", 1)[1] for key in keys]
        found = self._batch_get(ids, consistent=False)
        missing = [message_id for message_id in ids if message_id not in found]
        if missing:
            found.update(self._batch_get(missing, consistent=True))
        # An index entry always follows its main item, which is never deleted.
        return [found[message_id] for message_id in ids if message_id in found]

    def _batch_get(self, ids: list[str], *, consistent: bool) -> dict[str, Item]:
        chunks = [ids[i : i + _BATCH_GET_KEYS] for i in range(0, len(ids), _BATCH_GET_KEYS)]
        found: dict[str, Item] = {}
        for items in self._parallel(partial(self._batch_get_chunk, consistent), chunks):
            found.update((item["pk"].get("S", ""), item) for item in items)
        return found

    def _batch_get_chunk(self, consistent: bool, ids: list[str]) -> list[Item]:
        request: KeysAndAttributesTypeDef = {
            "Keys": [{"pk": {"S": message_id}, "sk": {"S": MAIN_SK}} for message_id in ids],
            "ConsistentRead": consistent,
            "ProjectionExpression": _LISTED_PROJECTION,
            "ExpressionAttributeNames": _LISTED_NAMES,
        }
        items: list[Item] = []
        for attempt in range(_BATCH_GET_TRIES):
            with _translating("BatchGetItem"):
                answer = self._client.batch_get_item(RequestItems={self._table: request})
            items.extend(answer["Responses"].get(self._table, []))
            unprocessed = answer.get("UnprocessedKeys", {}).get(self._table)
            if not unprocessed or not unprocessed.get("Keys"):
                return items
            # Throttled or over 16 MB: back off, then ask for the rest.
            request["Keys"] = unprocessed["Keys"]
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - backoff jitter
        raise StorageUnavailableError("DynamoDB BatchGetItem: keys left unprocessed (throttled)")

    # -- lifecycle -------------------------------------------------------------------------------

    def check(self) -> None:
        """Read one (absent) item: proves the table answers, with the read permission we use."""
        try:
            with _translating("GetItem"):
                self._client.get_item(
                    TableName=self._table,
                    Key={"pk": {"S": MAIN_SK}, "sk": {"S": MAIN_SK}},
                    ProjectionExpression="pk",
                )
        except StorageUnavailableError:
            raise
        except StorageError as exc:
            raise StorageUnavailableError(str(exc)) from exc

    def close(self) -> None:
        """Stop the worker threads and close the client's connections."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self._client.close()

    def _parallel(self, work: Callable[[T], R], args: Sequence[T]) -> list[R]:
        if len(args) <= 1:
            return [work(arg) for arg in args]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._max_workers, "triggersqs-dynamodb")
            pool = self._pool
        return list(pool.map(work, args))


_FAIL: Final = SaveStatus.FAILED
_ANSWERED: Final = (SaveStatus.STORED, SaveStatus.DUPLICATE)


@dataclass(frozen=True, slots=True)
class _Listing:
    """What a page reads: one index, the partitions of one value, a key span, a command filter."""

    index: str
    attribute: str
    value: str
    span: _Span
    command: str | None = None

    def partition(self, shard: int) -> str:
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


@dataclass(frozen=True, slots=True)
class _Span:
    """The index sort-key range a listing reads: after the cursor, within since/until."""

    low: str | None = None
    low_inclusive: bool = True
    high: str | None = None
    """Exclusive; a bare stamp, which no key equals (keys are ``<stamp>#<message id>``)."""
    skip: str | None = None
    """The cursor's own key, dropped when ``low`` includes it (only BETWEEN can bound both ends)."""
    empty: bool = False

    @classmethod
    def of(cls, after: str | None, where: RecordFilter) -> _Span:
        if after is not None and not (
            _CURSOR.fullmatch(after) and utf8_size(after) <= _MAX_SORT_KEY_BYTES
        ):
            raise InvalidCursorError("cursor does not point into this store")
        since = None if where.since is None else _stamp(us_from_utc(where.since))
        high = None if where.until is None else _stamp(us_from_utc(where.until))
        low: str | None = since
        inclusive = True
        if after is not None and (since is None or after >= since):
            low, inclusive = after, False
        if low is not None and high is not None:
            if low >= high:
                return cls(empty=True)
            return cls(low, True, high, None if inclusive else low)
        return cls(low, inclusive, high)


def _stamp(us: int) -> str:
    return f"{max(us, 0):0{_STAMP_DIGITS}d}"


def _items_of(item: Incoming, stamp: int) -> tuple[Item, list[Item]]:
    """The main item and the body parts of one message."""
    envelope = item.envelope
    message_id = storable_text(envelope.message_id)
    body = storable_text(envelope.body)
    head, rest = _split_body(body)
    shard = shard_of(message_id)
    kind = KIND_RECORD if isinstance(item, NewRecord) else KIND_REJECTION
    main: Item = {
        "pk": {"S": message_id},
        "sk": {"S": MAIN_SK},
        "kind": {"S": kind},
        "gsi_all_pk": {"S": f"{kind}#{shard}"},
        "gsi_sk": {"S": f"{_stamp(stamp)}#{message_id}"},
        "queue_arn": {"S": storable_text(envelope.queue_arn)},
        "stored_at": {"N": str(stamp)},
        "receive_count": {"N": str(envelope.receive_count)},
        "body": {"S": head},
        "body_bytes": {"N": str(utf8_size(body))},
    }
    if rest:
        main["parts"] = {"N": str(len(rest))}
    if envelope.sent_at_ms is not None:
        main["sent_at"] = {"N": str(envelope.sent_at_ms)}
    if isinstance(item, NewRecord):
        command, client_id = storable_text(item.command), storable_text(item.client_id)
        main["command"] = {"S": command}
        main["client_id"] = {"S": client_id}
        main["gsi_client_pk"] = {"S": f"{client_id}#{shard}"}
        main["gsi_command_pk"] = {"S": f"{command}#{shard}"}
        if envelope.message_group_id is not None:
            main["message_group_id"] = {"S": storable_text(envelope.message_group_id)}
    else:
        main["reason"] = {"S": storable_text(item.reason)}
    parts: list[Item] = [
        {
            "pk": {"S": message_id},
            "sk": {"S": f"{BODY_PART_PREFIX}{number:04d}"},
            "body": {"S": chunk},
        }
        for number, chunk in enumerate(rest, start=1)
    ]
    return main, parts


def _split_body(body: str) -> tuple[str, list[str]]:
    """The head kept in the main item and the parts after it, each cut at a character boundary."""
    if len(body) <= MAIN_BODY_BYTES // 4 or (body.isascii() and len(body) <= MAIN_BODY_BYTES):
        return body, []
    data = body.encode("utf-8")
    if len(data) <= MAIN_BODY_BYTES:
        return body, []
    chunks: list[str] = []
    start, size = 0, MAIN_BODY_BYTES
    while start < len(data):
        end = min(start + size, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte
            end -= 1
        chunks.append(data[start:end].decode("utf-8"))
        start, size = end, PART_BODY_BYTES
    return chunks[0], chunks[1:]


def _int(value: AttributeValueTypeDef | None) -> int | None:
    return None if value is None else int(value.get("N", "0"))


def _record(item: Item, body: str, *, listed: bool = False) -> StoredRecord:
    group = item.get("message_group_id")
    return StoredRecord(
        message_id=item["pk"].get("S", ""),
        command=item["command"].get("S", ""),
        client_id=item["client_id"].get("S", ""),
        queue_arn=item["queue_arn"].get("S", ""),
        sent_at=utc_from_ms(_int(item.get("sent_at"))),
        stored_at=utc_from_us(int(item["stored_at"].get("N", "0"))),
        receive_count=int(item["receive_count"].get("N", "0")),
        message_group_id=None if group is None else group.get("S"),
        body=preview(body) if listed else body,
        body_bytes=int(item["body_bytes"].get("N", "0")),
        cursor=item["gsi_sk"].get("S", ""),
    )


def _rejection(item: Item, body: str, *, listed: bool = False) -> StoredRejection:
    return StoredRejection(
        message_id=item["pk"].get("S", ""),
        queue_arn=item["queue_arn"].get("S", ""),
        sent_at=utc_from_ms(_int(item.get("sent_at"))),
        stored_at=utc_from_us(int(item["stored_at"].get("N", "0"))),
        receive_count=int(item["receive_count"].get("N", "0")),
        reason=item["reason"].get("S", ""),
        body=preview(body) if listed else body,
        body_bytes=int(item["body_bytes"].get("N", "0")),
        cursor=item["gsi_sk"].get("S", ""),
    )


# -- errors --------------------------------------------------------------------------------------


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _translate(exc: ClientError | BotoCoreError, action: str) -> StorageError:
    """The storage error for a botocore error, chosen by its class or its error code."""
    if isinstance(exc, ClientError):
        code = _code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _TRANSIENT_CODES or status >= 500:
            return StorageUnavailableError(f"DynamoDB {action}: {code or status} (retry later)")
        return StorageError(f"DynamoDB {action}: {code}: {exc}")
    if isinstance(exc, EndpointError | HTTPClientError):
        return StorageUnavailableError(f"DynamoDB {action}: {type(exc).__name__}: {exc}")
    return StorageError(f"DynamoDB {action}: {type(exc).__name__}: {exc}")


@contextmanager
def _translating(action: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise _translate(exc, action) from exc


# -- the table -----------------------------------------------------------------------------------


def create_table(client: DynamoDBClient, table_name: str, *, wait_seconds: int = 300) -> bool:
    """Create the table (on-demand capacity) and wait until it is ACTIVE; False if it existed."""
    try:
        client.create_table(TableName=table_name, **TABLE_DEFINITION)
        created = True
    except ClientError as exc:
        if _code(exc) != "ResourceInUseException":
            raise _translate(exc, "CreateTable") from exc
        created = False
    except BotoCoreError as exc:
        raise _translate(exc, "CreateTable") from exc
    try:
        client.get_waiter("table_exists").wait(
            TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": wait_seconds}
        )
    except WaiterError as exc:
        raise StorageError(f"DynamoDB table {table_name} did not become ACTIVE: {exc}") from exc
    except (ClientError, BotoCoreError) as exc:
        raise _translate(exc, "DescribeTable") from exc
    return created
