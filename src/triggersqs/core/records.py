"""What the service stores: accepted records, rejected messages, and the SQS metadata of both."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

PREVIEW_BYTES = 4096
"""Listings carry at most this many bytes of each body; single-item reads carry all of it."""
MAX_KEPT_REJECTED_BODY_BYTES = 262_144
"""A rejected body is kept up to this many bytes (256 KiB), beside its whole size and SHA-256."""


class Envelope(NamedTuple):
    """One SQS message as it arrived: its body and what SQS says about it.

    An immutable value, built once per record of every batch: a named tuple is built in C, three
    times as fast as a frozen dataclass (docs/benchmarks.md).
    """

    message_id: str
    queue_arn: str
    body: str
    sent_at_ms: int | None
    """``SentTimestamp``: when SQS accepted the message, in epoch milliseconds."""
    receive_count: int
    """``ApproximateReceiveCount``: 1 on first delivery."""
    message_group_id: str | None = None
    defect: str | None = None
    """Set when the record itself is unusable (for example its body is not a string)."""


class NewRecord(NamedTuple):
    """A valid message, ready to store (an immutable value, built per record, as Envelope)."""

    envelope: Envelope
    command: str
    client_id: str


class RejectionStatus(StrEnum):
    """What became of a rejected message (the ``status`` of ``/rejected``)."""

    KEPT = "kept"
    """Acknowledged: the store's copy is the only one (TRIGGERSQS_INVALID_MESSAGES=store)."""
    RETURNED_TO_QUEUE = "returned_to_queue"
    """The reason is kept and the message went back to the queue, on to the DLQ (``retry``)."""
    REPLAYED = "replayed"
    """Sent again onto the queue by ``triggersqs rejected replay``, as ``replayed_as``."""


@dataclass(frozen=True, slots=True)
class NewRejection:
    """A message that failed validation, to keep in quarantine with its reason.

    What a store keeps of the body is ``body``: at most :data:`MAX_KEPT_REJECTED_BODY_BYTES` of
    it (a 5 MB garbage body was stored whole, issue 11), with ``body_bytes`` and ``body_sha256``
    of the whole body, so an operator can still tell it apart and match it to the sender's copy.
    """

    envelope: Envelope
    reason: str
    status: RejectionStatus = RejectionStatus.KEPT
    body: str = field(init=False)
    """The kept part of the body (valid UTF-8: unpaired surrogates escaped)."""
    body_bytes: int = field(init=False)
    """The size of the whole body in UTF-8 bytes."""
    body_sha256: str = field(init=False)
    """The SHA-256 of the whole body's UTF-8 bytes, in hex."""

    def __post_init__(self) -> None:
        data = storable_text(self.envelope.body).encode("utf-8")
        kept = data[:MAX_KEPT_REJECTED_BODY_BYTES].decode("utf-8", "ignore")
        object.__setattr__(self, "body", kept)
        object.__setattr__(self, "body_bytes", len(data))
        object.__setattr__(self, "body_sha256", hashlib.sha256(data).hexdigest())


Incoming = NewRecord | NewRejection


class StoredRecord(NamedTuple):
    """A stored message, as the store returns it.

    Made for every item of every page the API serves, so made cheaply (issue 15; the figures are
    in docs/benchmarks.md): an immutable named tuple, built in a third of the time of a frozen
    dataclass, and its times kept as the store holds them, epoch integers, which the API writes
    as text without making datetimes (api/render.py). ``sent_at`` and ``stored_at`` are the
    datetimes, made when asked for.
    """

    message_id: str
    command: str
    client_id: str
    queue_arn: str
    sent_at_ms: int | None
    """``SentTimestamp``: when SQS accepted the message, in epoch milliseconds."""
    stored_at_us: int
    """When it was stored, in epoch microseconds."""
    receive_count: int
    message_group_id: str | None
    body: str
    """The raw body; in listings only its first :data:`PREVIEW_BYTES` bytes."""
    body_bytes: int
    """The size of the whole raw body in UTF-8 bytes."""
    cursor: str
    """The store's opaque key of this record's place in the stored order."""

    @property
    def sent_at(self) -> datetime | None:
        """When SQS accepted the message (UTC), if SQS said."""
        return utc_from_ms(self.sent_at_ms)

    @property
    def stored_at(self) -> datetime:
        """When it was stored (UTC)."""
        return utc_from_us(self.stored_at_us)


class StoredRejection(NamedTuple):
    """A rejected message kept in quarantine, as the store returns it (an immutable named tuple
    with epoch times, as :class:`StoredRecord`)."""

    message_id: str
    queue_arn: str
    sent_at_ms: int | None
    stored_at_us: int
    receive_count: int
    reason: str
    body: str
    """The kept body (its first :data:`MAX_KEPT_REJECTED_BODY_BYTES`); in listings only its first
    :data:`PREVIEW_BYTES` bytes."""
    body_bytes: int
    """The size of the whole raw body in UTF-8 bytes."""
    cursor: str
    status: RejectionStatus = RejectionStatus.KEPT
    replayed_as: str | None = None
    """The message id it was sent again as (status ``replayed``)."""
    body_sha256: str | None = None
    """The SHA-256 of the whole raw body; None for a rejection stored before it was kept."""

    @property
    def sent_at(self) -> datetime | None:
        """When SQS accepted the message (UTC), if SQS said."""
        return utc_from_ms(self.sent_at_ms)

    @property
    def stored_at(self) -> datetime:
        """When it was stored (UTC)."""
        return utc_from_us(self.stored_at_us)


def now_us() -> int:
    """The current time in epoch microseconds."""
    return time.time_ns() // 1000


def utf8_size(text: str) -> int:
    """The size of ``text`` in UTF-8 bytes."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def preview(text: str, limit: int = PREVIEW_BYTES) -> str:
    """The longest prefix of ``text`` that fits in ``limit`` UTF-8 bytes."""
    if len(text) <= limit // 4 or (text.isascii() and len(text) <= limit):
        return text
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def utc_from_ms(ms: int | None) -> datetime | None:
    """An aware UTC datetime from epoch milliseconds."""
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_from_us(us: int) -> datetime:
    """An aware UTC datetime from epoch microseconds, exactly.

    Adding to the epoch takes half the time of ``fromtimestamp``: listings convert one per item.
    """
    return _EPOCH + timedelta(microseconds=us)


def us_from_utc(moment: datetime) -> int:
    """Epoch microseconds of an aware datetime (naive ones are taken as UTC), exactly."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def is_unicode(text: str) -> bool:
    """Whether ``text`` is valid Unicode: no unpaired surrogate, so it encodes as UTF-8."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable_text(text: str) -> str:
    """``text`` itself, or with unpaired surrogates escaped when it cannot be encoded as UTF-8.

    Not injective (``"\ud800"`` the surrogate and the six characters of its escape give the
    same text), so it is never used to make a key: a message id that is not valid Unicode is
    refused instead (core/batch.py), and only bodies, reasons and metadata pass through here.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
