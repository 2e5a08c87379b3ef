"""Reaching SQS: the endpoint and credentials of a client, the region of a queue, the queue's
attributes, and the API's limit of ten entries per request."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlparse

from triggersqs.errors import ConfigurationError, QueueUnavailableError, UsageError
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_ENTRIES = 10
"""SQS's limit per ReceiveMessage and per batch request (send, delete, change visibility)."""
DEFAULT_REGION = "us-east-1"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SqsEndpoint:
    """Where the SQS API is and as whom to call it; None values fall back to boto3's defaults."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None

    def client(self) -> SQSClient:
        """A new SQS client (each poller thread gets its own)."""
        import boto3
        from botocore.config import Config
        from botocore.exceptions import NoRegionError

        try:
            return boto3.client(
                "sqs",
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id=self.access_key_id,
                aws_secret_access_key=self.secret_access_key,
                # Long polls last up to 20 s: the read timeout must outlast them.
                config=Config(
                    connect_timeout=5,
                    read_timeout=30,
                    retries={"mode": "standard", "max_attempts": 3},
                ),
            )
        except NoRegionError:
            raise ConfigurationError(
                "no AWS region for SQS: pass --region, or set AWS_REGION"
            ) from None


_REGION_LABEL = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}(?:\.fifo)?$")
_AWS_DOMAINS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


def check_queue_url(url: str) -> str:
    """``url`` if it can be a queue URL (http(s), a host, a queue name last); else UsageError."""
    parts = urlparse(url)
    name = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if parts.scheme not in {"http", "https"} or not parts.hostname or not _QUEUE_NAME.match(name):
        raise UsageError(
            f"not a queue URL: {url!r} (expected like"
            " https://sqs.us-east-1.amazonaws.com/123456789012/orders)"
        )
    return url


def is_aws_url(url: str) -> bool:
    """Whether ``url``'s host is one of AWS's (a queue elsewhere is its own endpoint)."""
    host = (urlparse(url).hostname or "").lower()
    return host.endswith(_AWS_DOMAINS)


def origin_of(url: str) -> str:
    """``scheme://host:port`` of ``url``: the endpoint of a queue that is not on AWS."""
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}"


def region_of_queue_url(url: str) -> str | None:
    """The region named in an SQS queue URL's host, if any.

    ``https://sqs.us-east-1.amazonaws.com/...``, the legacy
    ``https://us-east-2.queue.amazonaws.com/...`` and VPC endpoint hosts all name it in a label.
    """
    labels = (urlparse(url).hostname or "").split(".")
    if not labels or labels[-1] not in {"com", "cn"} or "amazonaws" not in labels:
        return None
    return next((label for label in labels if _REGION_LABEL.match(label)), None)


def region_of_environ(environ: Mapping[str, str]) -> str | None:
    """``AWS_REGION``, else ``AWS_DEFAULT_REGION``; None when neither is set (empty is unset)."""
    return environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None


def open_queue(sqs: SQSClient, url: str) -> QueueInfo:
    """The queue's attributes; a clear ConfigurationError when it cannot be used."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    except NoCredentialsError:
        raise ConfigurationError(
            "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and"
            " AWS_SECRET_ACCESS_KEY, or run where an IAM role provides them"
        ) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if "NonExistentQueue" in code or code == "QueueDoesNotExist":
            raise ConfigurationError(f"the queue does not exist: {url}") from None
        raise ConfigurationError(f"cannot use the queue {url}: {exc}") from None
    except BotoCoreError as exc:
        raise QueueUnavailableError(f"cannot reach SQS for {url}: {exc}") from None
    return QueueInfo.from_attributes(url, attributes)


def chunks(items: Sequence[T], size: int = MAX_ENTRIES) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``, for SQS's batch requests."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
