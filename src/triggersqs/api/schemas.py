"""The API's wire schemas: what clients receive, kept apart from the stored models.

Responses are rendered by :mod:`triggersqs.api.render` for speed; these models define the
OpenAPI schema, and the tests check every rendered response against them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class RecordOut(BaseModel):
    """A stored message."""

    message_id: str = Field(description="The SQS message id; unique in the store.")
    command: str
    client_id: str
    queue_arn: str = Field(description="The queue the message came from.")
    message_group_id: str | None = Field(description="The FIFO message group, if any.")
    sent_at: datetime | None = Field(description="When SQS accepted the message (UTC).")
    stored_at: datetime = Field(description="When triggersqs stored the message (UTC).")
    receive_count: int = Field(description="SQS's receive count when it was stored.")
    body: str = Field(description="The raw body; in listings cut to its first 4 KiB.")
    body_bytes: int = Field(description="The size of the whole raw body in UTF-8 bytes.")
    body_truncated: bool = Field(description="True when `body` holds only the start of it.")


class RecordPage(BaseModel):
    """One page of records, keyed by 0-based position in the whole filtered ordering."""

    messages: dict[str, RecordOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class RejectionOut(BaseModel):
    """A message that failed validation, kept with the reason."""

    message_id: str
    queue_arn: str
    reason: str = Field(description="Why the message was rejected.")
    sent_at: datetime | None
    stored_at: datetime
    receive_count: int
    body: str = Field(
        description="The raw body, kept up to 256 KiB; in listings cut to its first 4 KiB."
    )
    body_bytes: int = Field(description="The size of the whole raw body in UTF-8 bytes.")
    body_truncated: bool
    status: Literal["kept", "returned_to_queue", "replayed"] = Field(
        description="`kept`: acknowledged, kept here; `returned_to_queue`: the reason is kept and"
        " the message went back to the queue (TRIGGERSQS_INVALID_MESSAGES=retry), on to the DLQ;"
        " `replayed`: sent again onto the queue by `triggersqs rejected replay`."
    )
    replayed_as: str | None = Field(description="The message id it was replayed as, if any.")
    body_sha256: str | None = Field(
        description="The SHA-256 (hex) of the whole raw body's UTF-8 bytes; null for a message"
        " rejected before triggersqs kept it."
    )


class RejectionPage(BaseModel):
    """One page of rejected messages, keyed by 0-based position."""

    rejected: dict[str, RejectionOut]
    next_cursor: str | None


class ErrorOut(BaseModel):
    """What every error response carries."""

    message: str


class HealthcheckOut(BaseModel):
    """The liveness answer (the process is up)."""

    message: str


class HealthOut(BaseModel):
    """The readiness answer (the store answers)."""

    status: str
    store: str
