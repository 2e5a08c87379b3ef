"""The DynamoDB table's schema: one definition used by ``create-table`` and checked against
``deploy/template.yaml`` by the tests. docs/dynamodb.md explains the design.

Items (all in one table):

- main item, ``pk`` = message id, ``sk`` = ``"#"``: the record or rejection, with the first part of
  its body. A conditional put on this key (``attribute_not_exists(pk)``) makes every message id
  stored once, whatever its kind and however many writers race.
- body parts, ``pk`` = message id, ``sk`` = ``"body#0001"``...: the rest of a body longer than the
  main item keeps (16 KiB, ``dynamodb.MAIN_BODY_BYTES``, so that listings, which read whole main
  items, stay cheap; items are at most 400 KB and SQS bodies up to 1 MiB), written in the same
  transaction as the main item.

Listing in stored order without a hot partition: each main item carries a shard number
(0..SHARDS-1, from a hash of its message id) and a sort key ``gsi_sk`` = zero-padded ``stored_at``
microseconds + ``#`` + message id. Each index partition key ends in ``#<shard>``, so at
10,000 writes/s each index partition takes 10,000 / SHARDS writes/s, well under DynamoDB's
1,000 WCU/s per partition key value. A page queries every shard of one index from the cursor's
``gsi_sk`` on and merges them; each index projects what a listing shows of a record
(``LISTED_ATTRIBUTES``), so only the main items of records whose body is too long to be there
are fetched.

Every item carries ``expires_at`` (epoch seconds; :data:`TTL_ATTRIBUTE`), the table's time to live
attribute, unless the retention is 0 (storage/retention.py); the template and ``create_table``
turn time to live on for it.
"""

from __future__ import annotations

import zlib
from typing import Any, Final

from triggersqs.storage import retention

TTL_ATTRIBUTE: Final = retention.TTL_ATTRIBUTE
"""The table's time-to-live attribute (``expires_at``, epoch seconds)."""

SHARDS: Final = 16
"""Write shards per index partition; fixed for the life of a table (readers query all of them)."""

KIND_RECORD: Final = "record"
KIND_REJECTION: Final = "rejection"
"""The ``kind`` of a main item, and the first part of its ``gsi_all_pk``."""

MAIN_SK: Final = "#"
BODY_PART_PREFIX: Final = "body#"

INDEX_STORED: Final = "by_stored"
"""All main items of one kind in stored order: ``gsi_all_pk`` = ``"<kind>#<shard>"``."""
INDEX_CLIENT: Final = "by_client"
"""Records of one client: ``gsi_client_pk`` = ``"<client_id>#<shard>"``; projects ``command``."""
INDEX_COMMAND: Final = "by_command"
"""Records of one command: ``gsi_command_pk`` = ``"<command>#<shard>"``."""


def shard_of(message_id: str) -> int:
    """The write shard of a message id: CRC-32 of its UTF-8 bytes, the same in every process.

    (Python's ``hash()`` of a string is salted per process, so writers would disagree.)
    """
    return zlib.crc32(message_id.encode("utf-8")) % SHARDS


LISTED_BODY: Final = "listed_body"
"""A record's body again, on its main item and so on its index entries, when it is short enough
to cost no write unit more anywhere (items.py): a page of such records is read from the index
alone, with no ``BatchGetItem`` of the main items (listing.py)."""

LISTED_ATTRIBUTES: Final = (
    "command",
    "client_id",
    "queue_arn",
    "sent_at",
    "stored_at",
    "receive_count",
    "message_group_id",
    "body_bytes",
    LISTED_BODY,
)
"""What a listing shows of a record beyond the keys: each index projects it (an index entry then
holds a whole listed record, ~450 bytes for a command: still one write unit)."""

INDEX_KEYS: Final = {
    INDEX_STORED: ("gsi_all_pk", "gsi_sk"),
    INDEX_CLIENT: ("gsi_client_pk", "gsi_sk"),
    INDEX_COMMAND: ("gsi_command_pk", "gsi_sk"),
}
"""Each index's partition and sort key attributes."""

_LISTED: Final = {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(LISTED_ATTRIBUTES)}

KEYS_ONLY_PROJECTIONS: Final[dict[str, dict[str, Any]]] = {
    INDEX_STORED: {"ProjectionType": "KEYS_ONLY"},
    INDEX_CLIENT: {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["command"]},
    INDEX_COMMAND: {"ProjectionType": "KEYS_ONLY"},
}
"""The indexes' projections in tables made before they carried listings. DynamoDB (and so
CloudFormation) cannot change an index's projection, so such tables keep them, and the store
reads them too: every record of a page then comes from its main item (listing.py). The
template's ``IndexProjection=keys-only`` keeps a stack made then deployable."""


def _index(name: str, projection: dict[str, Any] = _LISTED) -> dict[str, Any]:
    partition_key, sort_key = INDEX_KEYS[name]
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": partition_key, "KeyType": "HASH"},
            {"AttributeName": sort_key, "KeyType": "RANGE"},
        ],
        "Projection": projection,
    }


def keys_only_indexes() -> list[dict[str, Any]]:
    """``TABLE_DEFINITION``'s indexes as tables made before listings were projected have them."""
    return [_index(name, projection) for name, projection in KEYS_ONLY_PROJECTIONS.items()]


TABLE_DEFINITION: Final[dict[str, Any]] = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "gsi_all_pk", "AttributeType": "S"},
        {"AttributeName": "gsi_client_pk", "AttributeType": "S"},
        {"AttributeName": "gsi_command_pk", "AttributeType": "S"},
        {"AttributeName": "gsi_sk", "AttributeType": "S"},
    ],
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "GlobalSecondaryIndexes": [_index(INDEX_STORED), _index(INDEX_CLIENT), _index(INDEX_COMMAND)],
    "BillingMode": "PAY_PER_REQUEST",
}
"""``CreateTable`` parameters, all but ``TableName``."""
