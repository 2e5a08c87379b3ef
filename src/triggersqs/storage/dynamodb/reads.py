"""How the DynamoDB store reads items by key: one message whole (main item and body parts), and
the main items of a page in batches."""

from __future__ import annotations

import random
from functools import partial
from typing import TYPE_CHECKING, Final

from triggersqs.core.records import storable_text, utf8_size
from triggersqs.errors import StorageError, StorageUnavailableError
from triggersqs.storage.dynamodb.errors import translating
from triggersqs.storage.dynamodb.items import BODY_OBJECT
from triggersqs.storage.dynamodb.schema import MAIN_SK
from triggersqs.storage.dynamodb.table import Table
from triggersqs.storage.retention import TTL_ATTRIBUTE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesTypeDef, QueryInputTypeDef

    from triggersqs.storage.dynamodb.items import Item

MAX_PARTITION_KEY_BYTES: Final = 2048
_BATCH_GET_KEYS: Final = 100  # DynamoDB's limit per BatchGetItem request
_BATCH_GET_TRIES: Final = 6
# What a listing shows, and no index keys: less to send and to parse (the read costs the same).
_LISTED: Final = (
    *("pk", "kind", "gsi_sk", "command", "client_id", "queue_arn", "sent_at", "stored_at"),
    *("receive_count", "message_group_id", "reason", "body", "body_bytes", "body_sha256"),
    *("status", "replayed_as"),
)
_LISTED_PROJECTION: Final = ", ".join(f"#a{i}" for i in range(len(_LISTED)))
_LISTED_NAMES: Final = {f"#a{i}": name for i, name in enumerate(_LISTED)}


def read_whole(table: Table, message_id: str, now_s: int) -> tuple[Item, str] | None:
    """The main item and the whole body: one strongly consistent query of the message's keys
    (and the body's S3 object, when it is there). None when absent, or expired and half gone
    (time to live deletes a message's items one by one, days after ``expires_at``)."""
    message_id = storable_text(message_id)
    if not 0 < utf8_size(message_id) <= MAX_PARTITION_KEY_BYTES:
        return None
    items: list[Item] = []
    start: Item | None = None
    with translating("Query"):
        while True:
            params: QueryInputTypeDef = {
                "TableName": table.name,
                "KeyConditionExpression": "pk = :id",
                "ExpressionAttributeValues": {":id": {"S": message_id}},
                "ConsistentRead": True,
            }
            if start is not None:
                params["ExclusiveStartKey"] = start
            answer = table.client.query(**params)
            items.extend(answer["Items"])
            if "LastEvaluatedKey" not in answer:
                break
            start = answer["LastEvaluatedKey"]
    if not items or items[0]["sk"].get("S") != MAIN_SK:
        return None
    main, parts = items[0], items[1:]
    if len(parts) != int(main.get("parts", {"N": "0"}).get("N", "0")):
        if _expired(main, now_s):
            return None
        # Reads are read-committed per item: a transaction may be landing right now.
        raise StorageUnavailableError(f"message {message_id!r} is being written; try again")
    pointer = main.get(BODY_OBJECT)
    if pointer is not None:
        body = _from_s3(table, main, pointer.get("S", ""), now_s)
        return None if body is None else (main, body)
    body = main["body"].get("S", "") + "".join(part["body"].get("S", "") for part in parts)
    return main, body


def _from_s3(table: Table, main: Item, key: str, now_s: int) -> str | None:
    """The body a main item points to in S3; None when the object expired with its item."""
    if table.bodies is None:
        raise StorageError(
            f"the body of message {main['pk'].get('S')!r} is in S3 ({key}):"
            " set TRIGGERSQS_BODY_BUCKET to the bucket it was written to"
        )
    body = table.bodies.get(key)
    if body is None:
        if _expired(main, now_s):
            return None
        # Never written after its object (the claim check), so never missing before expiry.
        raise StorageError(f"the body of message {main['pk'].get('S')!r} is missing: S3 {key}")
    return body


def _expired(main: Item, now_s: int) -> bool:
    expires = main.get(TTL_ATTRIBUTE)
    return expires is not None and int(expires.get("N", "0")) <= now_s


def main_items(table: Table, keys: list[str]) -> list[Item]:
    """The main items of these index keys, in their order.

    Main items never change once written (time to live only deletes them; a rejection's status
    is set once, by a replay), so an eventually consistent read (half the price) returns the
    final item or nothing (or, for a moment after a replay, the status before it); only what it
    missed, an item so new that its index entry overtook its replica, is read again strongly
    consistent.
    """
    ids = [key.split("#", 1)[1] for key in keys]
    found = _batch_get(table, ids, consistent=False)
    missing = [message_id for message_id in ids if message_id not in found]
    if missing:
        found.update(_batch_get(table, missing, consistent=True))
    # An index entry follows its main item; one left behind by an item that time to live just
    # deleted finds nothing, and is left out.
    return [found[message_id] for message_id in ids if message_id in found]


def _batch_get(table: Table, ids: list[str], *, consistent: bool) -> dict[str, Item]:
    chunks = [ids[i : i + _BATCH_GET_KEYS] for i in range(0, len(ids), _BATCH_GET_KEYS)]
    found: dict[str, Item] = {}
    for items in table.parallel(partial(_batch_get_chunk, table, consistent), chunks):
        found.update((item["pk"].get("S", ""), item) for item in items)
    return found


def _batch_get_chunk(table: Table, consistent: bool, ids: list[str]) -> list[Item]:
    request: KeysAndAttributesTypeDef = {
        "Keys": [{"pk": {"S": message_id}, "sk": {"S": MAIN_SK}} for message_id in ids],
        "ConsistentRead": consistent,
        "ProjectionExpression": _LISTED_PROJECTION,
        "ExpressionAttributeNames": _LISTED_NAMES,
    }
    items: list[Item] = []
    for attempt in range(_BATCH_GET_TRIES):
        with translating("BatchGetItem"):
            answer = table.client.batch_get_item(RequestItems={table.name: request})
        items.extend(answer["Responses"].get(table.name, []))
        unprocessed = answer.get("UnprocessedKeys", {}).get(table.name)
        if not unprocessed or not unprocessed.get("Keys"):
            return items
        # Throttled or over 16 MB: back off, then ask for the rest.
        request["Keys"] = unprocessed["Keys"]
        table.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - backoff jitter
    raise StorageUnavailableError("DynamoDB BatchGetItem: keys left unprocessed (throttled)")
