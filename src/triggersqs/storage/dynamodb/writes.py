"""How the DynamoDB store writes: one conditional put per message (a transaction when its body
continues in part items), concurrently, or one after another for an ordered batch.

A conditional put per item, because BatchWriteItem cannot carry a condition, and a transaction
of the whole batch would cost twice the write capacity and fail on any duplicate.

Every request ends before the deadline: each takes the widest client whose worst case fits in
the time left (storage/budget.py), and a write that no client fits does not start: its item is
FAILED alone, back to the queue.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from triggersqs.core.clock import Deadline, expired
from triggersqs.core.ports import SaveStatus
from triggersqs.core.records import Incoming, NewRecord, RejectionStatus, storable_text, utf8_size
from triggersqs.errors import StorageError, StorageUnavailableError
from triggersqs.storage.common import Stamps, decided_before_writing
from triggersqs.storage.dynamodb.errors import TRANSIENT_REASONS, error_code, translate
from triggersqs.storage.dynamodb.items import items_of
from triggersqs.storage.dynamodb.reads import MAX_PARTITION_KEY_BYTES
from triggersqs.storage.dynamodb.schema import KIND_REJECTION, MAIN_SK
from triggersqs.storage.dynamodb.table import Table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from triggersqs.storage.dynamodb.items import Item

_TRANSACTION_TRIES: Final = 3
_FAIL: Final = SaveStatus.FAILED
_ANSWERED: Final = (SaveStatus.STORED, SaveStatus.DUPLICATE)

Outcome = SaveStatus | StorageError
"""What one write came to: a status, or the storage error that stopped it (never raised)."""


def save(
    table: Table,
    stamps: Stamps,
    items: Sequence[Incoming],
    *,
    ordered: bool,
    deadline: Deadline | None,
) -> list[SaveStatus]:
    """Write each new message id once; see :meth:`MessageWriter.save`."""
    if (decided := decided_before_writing(items, deadline)) is not None:
        return decided
    first_of: dict[str, int] = {}
    for index, item in enumerate(items):
        first_of.setdefault(item.envelope.message_id, index)
    unique = list(first_of.values())
    # Each item gets its own stamp, increasing in batch order, so a batch lists in its order.
    writes = list(zip((items[i] for i in unique), stamps.distinct(len(unique)), strict=True))
    if ordered:
        outcomes = _write_in_order(table, writes, deadline)
    else:
        outcomes = table.parallel(lambda write: _attempt(table, *write, deadline), writes)
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


def _write_in_order(
    table: Table, writes: list[tuple[Incoming, int]], deadline: Deadline | None
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    held: set[str | None] = set()  # message groups with a failed write: the rest wait
    for item, stamp in writes:
        group = item.envelope.message_group_id
        outcome = _FAIL if group in held else _attempt(table, item, stamp, deadline)
        outcomes.append(outcome)
        if outcome is _FAIL or isinstance(outcome, StorageError):
            held.add(group)
    return outcomes


def _attempt(table: Table, item: Incoming, stamp: int, deadline: Deadline | None) -> Outcome:
    """Write one item unless the deadline has passed; returns a storage error, never raises."""
    if expired(deadline):
        return _FAIL
    try:
        return _write(table, item, stamp, deadline)
    except StorageError as exc:
        return exc


def _write(table: Table, item: Incoming, stamp: int, deadline: Deadline | None) -> SaveStatus:
    body_object = None
    if table.bodies is not None:
        # A rejection keeps only part of its body (core/records.py): that part is what goes out.
        kept = storable_text(item.envelope.body) if isinstance(item, NewRecord) else item.body
        data = kept.encode("utf-8")
        if table.bodies.takes(len(data)):
            # The claim check: the object first, then the item that points to it.
            body_object = table.bodies.put(item.envelope.message_id, data, deadline)
            if body_object is None:
                return _FAIL  # no time left for the object: the item waits with it
    expires_at = table.retention.expires_at(stamp)
    main, parts = items_of(item, stamp, expires_at=expires_at, body_object=body_object)
    if parts:
        return _write_transaction(table, main, parts, deadline)
    client = table.clients.within(deadline)
    if client is None:
        return _FAIL  # no put could end before the deadline: do not start one
    try:
        client.put_item(
            TableName=table.name, Item=main, ConditionExpression="attribute_not_exists(pk)"
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return SaveStatus.DUPLICATE
        raise translate(exc, "PutItem") from exc
    except BotoCoreError as exc:
        raise translate(exc, "PutItem") from exc
    return SaveStatus.STORED


def _write_transaction(
    table: Table, main: Item, parts: list[Item], deadline: Deadline | None
) -> SaveStatus:
    """The main item (conditionally) and its body parts, all or nothing; each try starts only
    if it can end before the deadline."""
    requests: list[TransactWriteItemTypeDef] = [
        {
            "Put": {
                "TableName": table.name,
                "Item": main,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    ]
    requests.extend({"Put": {"TableName": table.name, "Item": part}} for part in parts)
    for attempt in range(_TRANSACTION_TRIES):
        client = table.clients.within(deadline)
        if client is None:
            return _FAIL
        try:
            # The token makes botocore's own retries of this request idempotent.
            client.transact_write_items(
                TransactItems=requests, ClientRequestToken=str(uuid.uuid4())
            )
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise translate(exc, "TransactWriteItems") from exc
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return SaveStatus.DUPLICATE
            if not TRANSIENT_REASONS.intersection(reasons):
                raise StorageError(f"DynamoDB TransactWriteItems cancelled: {reasons}") from exc
            if attempt + 1 == _TRANSACTION_TRIES:
                raise StorageUnavailableError(
                    f"DynamoDB TransactWriteItems cancelled: {reasons}"
                ) from exc
            # Another writer holds the same message id: wait, then its write decides (the next
            # try starts only if a client still fits in what the wait leaves).
            table.sleep(random.uniform(0.01, 0.05) * 2**attempt)  # noqa: S311 - jitter
        except BotoCoreError as exc:
            raise translate(exc, "TransactWriteItems") from exc
        else:
            return SaveStatus.STORED
    raise AssertionError("unreachable")  # pragma: no cover


def mark_replayed(table: Table, message_id: str, replayed_as: str) -> bool:
    """Set a rejection's status to replayed; False when no rejection has this message id."""
    key = storable_text(message_id)
    if not 0 < utf8_size(key) <= MAX_PARTITION_KEY_BYTES:
        return False
    try:
        table.client.update_item(
            TableName=table.name,
            Key={"pk": {"S": key}, "sk": {"S": MAIN_SK}},
            UpdateExpression="SET #status = :replayed, replayed_as = :as",
            ConditionExpression="#kind = :rejection",
            ExpressionAttributeNames={"#status": "status", "#kind": "kind"},  # reserved words
            ExpressionAttributeValues={
                ":replayed": {"S": RejectionStatus.REPLAYED.value},
                ":as": {"S": storable_text(replayed_as)},
                ":rejection": {"S": KIND_REJECTION},
            },
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise translate(exc, "UpdateItem") from exc
    except BotoCoreError as exc:
        raise translate(exc, "UpdateItem") from exc
    return True
