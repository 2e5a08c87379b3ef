"""The columns the SQLite store reads, and its rows as StoredRecord / StoredRejection."""

from __future__ import annotations

from typing import Any, Final

from triggersqs.core.records import PREVIEW_BYTES, StoredRecord, StoredRejection
from triggersqs.storage.common import stored_record, stored_rejection

RECORD_COLUMNS: Final = (
    "seq, message_id, command, client_id, queue_arn, sent_at, stored_at, receive_count,"
    " message_group_id"
)
REJECTION_COLUMNS: Final = (
    "seq, message_id, queue_arn, sent_at, stored_at, receive_count, reason, status, replayed_as,"
    " body_sha256"
)
WHOLE_BODY: Final = "body, body_bytes"
# Listings read a bounded prefix of each body: at most 4 bytes per character in UTF-8.
BODY_PREVIEW: Final = f"substr(body, 1, {PREVIEW_BYTES}), body_bytes"


def record(row: tuple[Any, ...], *, listed: bool = False) -> StoredRecord:
    """A row of :data:`RECORD_COLUMNS` and a body column pair; its ``seq`` is the cursor."""
    seq, message_id, command, client_id, queue_arn, sent_at, stored_at, count, group, body, size = (
        row
    )
    # By position (common.stored_record's order): a listing maps a hundred rows.
    return stored_record(
        str(seq),
        message_id,
        command,
        client_id,
        queue_arn,
        sent_at,
        stored_at,
        count,
        group,
        body,
        size,
        listed,
    )


def rejection(row: tuple[Any, ...], *, listed: bool = False) -> StoredRejection:
    """A row of :data:`REJECTION_COLUMNS` and a body column pair; its ``seq`` is the cursor."""
    seq, message_id, queue_arn, sent_at, stored_at, count, reason, status, replayed, digest = row[
        :10
    ]
    body, size = row[10:]
    return stored_rejection(
        cursor=str(seq),
        message_id=message_id,
        queue_arn=queue_arn,
        sent_at_ms=sent_at,
        stored_at_us=stored_at,
        receive_count=count,
        reason=reason,
        body=body,
        body_bytes=size,
        body_sha256=digest,
        listed=listed,
        status=status,
        replayed_as=replayed,
    )
