"""``triggersqs rejected replay``: send a rejected message (as it was, or corrected) back onto a
queue, then mark its rejection ``replayed`` with the new message id, so ``/rejected`` shows what
became of it.

The rejection is read through the HTTP API, as ``records`` and ``rejected list`` read; the mark
is a write, which that API (read-only, by design) does not take: it goes to the store the
``TRIGGERSQS_*`` settings name, through the store port's ``mark_replayed``. The send comes first:
if the mark then fails, the message is on its way all the same and the error says under which id.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from triggersqs.core.ports import RejectionMarker
from triggersqs.errors import ReplayError, StorageError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@dataclass(frozen=True, slots=True)
class Replayed:
    """What a replay did."""

    message_id: str
    new_message_id: str
    queue_url: str


def replay(
    sqs: SQSClient,
    queue_url: str,
    rejection: Mapping[str, Any],
    marker: RejectionMarker,
    *,
    body: str | None = None,
    group_id: str | None = None,
    again: bool = False,
) -> Replayed:
    """Send ``body`` (default: the rejection's own) to ``queue_url``, then mark the rejection."""
    message_id = str(rejection["message_id"])
    if rejection.get("status") == "replayed" and not again:
        raise ReplayError(
            f"{message_id} was already replayed as {rejection.get('replayed_as')}:"
            " add --again to send it once more"
        )
    if body is None:
        if rejection.get("body_truncated"):
            raise ReplayError(
                f"the kept body of {message_id} is not whole: give the message with --body FILE"
            )
        body = str(rejection["body"])
    request: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": body}
    if queue_url.endswith(".fifo"):
        if group_id is None:
            raise ReplayError("a FIFO queue needs --group-id")
        request |= {"MessageGroupId": group_id, "MessageDeduplicationId": uuid.uuid4().hex}
    new_message_id = sqs.send_message(**request)["MessageId"]
    try:
        marked = marker.mark_replayed(message_id, new_message_id)
    except StorageError as exc:
        raise ReplayError(
            f"sent as {new_message_id}, but the rejection could not be marked replayed: {exc}"
        ) from None
    if marked is None:
        raise ReplayError(
            f"sent as {new_message_id}, but the store the TRIGGERSQS_* settings name holds no"
            f" rejection {message_id} to mark (is it the store behind the API?)"
        )
    return Replayed(message_id, new_message_id, queue_url)
