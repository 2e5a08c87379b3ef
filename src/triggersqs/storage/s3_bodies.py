"""Large bodies in S3 (a claim check): one object per body, written before the item that points
to it, so an item never points to nothing.

The key is the message id and the body's SHA-256 (``bodies/<message id>/<sha256>``): a retry of a
message (SQS redelivers after a crash between the object and the item) overwrites the same
object with the same bytes and then writes the item; a different body under an id already
stored (a forged or replayed event) lands beside it and never changes what was stored. An object
whose item was never written is an orphan, deleted by the bucket's lifecycle rule (the template
sets it from the retention). Reads check the bytes against the SHA-256 in the key.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from triggersqs.core.clock import Deadline
from triggersqs.errors import StorageError
from triggersqs.storage.aws_errors import error_code, translate
from triggersqs.storage.budget import Budgeted

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PREFIX: Final = "bodies/"
_PLAIN_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,200}")
_TRANSIENT: Final = frozenset(
    {"SlowDown", "RequestTimeout", "ServiceUnavailable", "InternalError", "RequestLimitExceeded"}
)
_MISSING: Final = frozenset({"NoSuchKey", "404"})


class BodyBucket:
    """Bodies over ``threshold_bytes`` in one S3 bucket, through one client per time budget."""

    def __init__(
        self,
        client: S3Client | Budgeted[S3Client],
        bucket: str,
        *,
        threshold_bytes: int = 16_384,
    ) -> None:
        self.clients: Budgeted[S3Client] = Budgeted.of(client)
        self.bucket = bucket
        self.threshold_bytes = threshold_bytes

    def takes(self, size: int) -> bool:
        """Whether a body of ``size`` UTF-8 bytes goes to S3."""
        return size > self.threshold_bytes

    def put(self, message_id: str, data: bytes, deadline: Deadline | None) -> str | None:
        """Write one body; its key, or None when no write could end before ``deadline``.

        Raises StorageError (StorageUnavailableError when retrying may work) if S3 refuses it.
        """
        client = self.clients.within(deadline)
        if client is None:
            return None
        key = key_of(message_id, data)
        try:
            client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType="text/plain; charset=utf-8",
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, "PutObject") from exc
        return key

    def get(self, key: str) -> str | None:
        """The body under ``key``, or None when the object is gone (expired by the lifecycle)."""
        try:
            answer = self.clients.default.get_object(Bucket=self.bucket, Key=key)
            data = answer["Body"].read()
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return None
            raise _translate(exc, "GetObject") from exc
        except BotoCoreError as exc:
            raise _translate(exc, "GetObject") from exc
        if hashlib.sha256(data).hexdigest() != key.rsplit("/", 1)[-1]:
            raise StorageError(f"S3 object {key} does not hold the body it was written with")
        return data.decode("utf-8")

    def close(self) -> None:
        """Close every client's connections."""
        for client in self.clients.clients:
            client.close()


def key_of(message_id: str, data: bytes) -> str:
    """``bodies/<message id>/<sha256 of the body>``; an id unfit for a key is hashed too."""
    name = message_id if _PLAIN_ID.fullmatch(message_id) else "id-sha256-" + _sha256(message_id)
    return f"{PREFIX}{name}/{hashlib.sha256(data).hexdigest()}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()


def _translate(exc: ClientError | BotoCoreError, action: str) -> StorageError:
    """Throttled, failing or unreachable S3 is unavailable (retry later); the rest is an error."""
    return translate(exc, "S3", action, _TRANSIENT)
