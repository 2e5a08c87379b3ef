"""The DynamoDB items of one message: built for writing (the main item and its body parts),
and read back into StoredRecord / StoredRejection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from triggersqs.core.records import (
    Incoming,
    NewRecord,
    StoredRecord,
    StoredRejection,
    preview,
    storable_text,
    utf8_size,
)
from triggersqs.storage.common import stored_record, stored_rejection
from triggersqs.storage.dynamodb.schema import (
    BODY_PART_PREFIX,
    INDEX_KEYS,
    KIND_RECORD,
    KIND_REJECTION,
    LISTED_ATTRIBUTES,
    LISTED_BODY,
    MAIN_SK,
    shard_of,
)
from triggersqs.storage.dynamodb.sizes import (
    INDEX_ENTRY_OVERHEAD,
    WRITE_UNIT_BYTES,
    attribute_size,
    entry_size,
    item_size,
    write_units,
)
from triggersqs.storage.retention import TTL_ATTRIBUTE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    Item = dict[str, AttributeValueTypeDef]

MAIN_BODY_BYTES: Final = 16_384
"""The part of a body kept in the main item. A listing reads the whole main item of a record
whose body is too long for its index entries (DynamoDB charges a read by item size, whatever the
projection), so this bounds the cost of a page; longer bodies continue in part items."""
PART_BODY_BYTES: Final = 380_000
"""Body bytes per part item: under DynamoDB's 400 KB item limit with room for the keys."""

BODY_OBJECT: Final = "body_object"
"""The main item's pointer to its body in S3 (storage/s3_bodies.py), when the body is there."""

STAMP_DIGITS: Final = 20
"""Digits of a stamp in an index sort key: enough for any epoch microsecond count."""


def stamp_key(us: int) -> str:
    """A ``stored_at`` as the zero-padded start of an index sort key: string order is time order."""
    return f"{max(us, 0):0{STAMP_DIGITS}d}"


def items_of(
    item: Incoming, stamp: int, *, expires_at: int | None = None, body_object: str | None = None
) -> tuple[Item, list[Item]]:
    """The main item and the body parts of one message, stored at ``stamp``; each carries
    ``expires_at`` (the table's time-to-live attribute) when it is given. A body already in S3
    (``body_object``: its key) keeps only the listing's preview in the main item, and no parts."""
    envelope = item.envelope
    message_id = storable_text(envelope.message_id)
    # A rejection keeps part of its body (records.py), with the whole one's size and digest.
    body = storable_text(envelope.body) if isinstance(item, NewRecord) else item.body
    head, rest = (preview(body), []) if body_object is not None else split_body(body)
    shard = shard_of(message_id)
    kind = KIND_RECORD if isinstance(item, NewRecord) else KIND_REJECTION
    main: Item = {
        "pk": {"S": message_id},
        "sk": {"S": MAIN_SK},
        "kind": {"S": kind},
        "gsi_all_pk": {"S": f"{kind}#{shard}"},
        "gsi_sk": {"S": f"{stamp_key(stamp)}#{message_id}"},
        "queue_arn": {"S": storable_text(envelope.queue_arn)},
        "stored_at": {"N": str(stamp)},
        "receive_count": {"N": str(envelope.receive_count)},
        "body": {"S": head},
        "body_bytes": {
            "N": str(utf8_size(body) if isinstance(item, NewRecord) else item.body_bytes)
        },
    }
    if rest:
        main["parts"] = {"N": str(len(rest))}
    if body_object is not None:
        main[BODY_OBJECT] = {"S": body_object}
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
        main["status"] = {"S": item.status.value}
        main["body_sha256"] = {"S": item.body_sha256}
    parts: list[Item] = [
        {
            "pk": {"S": message_id},
            "sk": {"S": f"{BODY_PART_PREFIX}{number:04d}"},
            "body": {"S": chunk},
        }
        for number, chunk in enumerate(rest, start=1)
    ]
    if expires_at is not None:
        for written in (main, *parts):
            written[TTL_ATTRIBUTE] = {"N": str(expires_at)}
    if isinstance(item, NewRecord) and not rest and body_object is None:
        _add_listed_body(main, head)
    return main, parts


# Item sizes are AWS's approximations (numbers especially): keep this much clear of a unit's edge.
_SIZE_MARGIN: Final = 16
_LISTED_BODY_MAX_BYTES: Final = WRITE_UNIT_BYTES - INDEX_ENTRY_OVERHEAD


def _add_listed_body(main: Item, body: str) -> None:
    """Give a record's main item ``listed_body`` (a copy of its body, which every index projects)
    when that costs no write unit more on the item or on any of its index entries: then a page
    of it needs no read of the main item. A command's body (~50-300 bytes) always fits."""
    if utf8_size(body) > _LISTED_BODY_MAX_BYTES:
        return
    added = attribute_size(LISTED_BODY, {"S": body}) + _SIZE_MARGIN
    sizes = [item_size(main)]
    sizes += [entry_size(main, key, LISTED_ATTRIBUTES) for key in INDEX_KEYS.values()]
    if all(write_units(size + added) == write_units(size) for size in sizes):
        main[LISTED_BODY] = {"S": body}


def split_body(body: str) -> tuple[str, list[str]]:
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


def kind_of(main: Item) -> str:
    """Whether a main item holds a record or a rejection (``schema.KIND_*``)."""
    return main["kind"].get("S", "")


def record_of(main: Item, body: str, *, listed: bool = False) -> StoredRecord:
    """The record of a main item, with ``body`` (the whole one, or the main item's head)."""
    group = main.get("message_group_id")
    return stored_record(
        cursor=main["gsi_sk"].get("S", ""),
        message_id=main["pk"].get("S", ""),
        command=main["command"].get("S", ""),
        client_id=main["client_id"].get("S", ""),
        queue_arn=main["queue_arn"].get("S", ""),
        sent_at_ms=_int(main.get("sent_at")),
        stored_at_us=int(main["stored_at"].get("N", "0")),
        receive_count=int(main["receive_count"].get("N", "0")),
        message_group_id=None if group is None else group.get("S"),
        body=body,
        body_bytes=int(main["body_bytes"].get("N", "0")),
        listed=listed,
    )


def rejection_of(main: Item, body: str, *, listed: bool = False) -> StoredRejection:
    """The rejected message of a main item, with ``body`` (whole, or the main item's head)."""
    return stored_rejection(
        cursor=main["gsi_sk"].get("S", ""),
        message_id=main["pk"].get("S", ""),
        queue_arn=main["queue_arn"].get("S", ""),
        sent_at_ms=_int(main.get("sent_at")),
        stored_at_us=int(main["stored_at"].get("N", "0")),
        receive_count=int(main["receive_count"].get("N", "0")),
        reason=main["reason"].get("S", ""),
        body=body,
        body_bytes=int(main["body_bytes"].get("N", "0")),
        body_sha256=main["body_sha256"].get("S") if "body_sha256" in main else None,
        listed=listed,
        status=main.get("status", {}).get("S", "kept"),
        replayed_as=main["replayed_as"].get("S") if "replayed_as" in main else None,
    )


def _int(value: AttributeValueTypeDef | None) -> int | None:
    return None if value is None else int(value.get("N", "0"))
