"""``triggersqs worker``: pollers against a real queue, storing per the settings.

Several workers (or ``--concurrency`` pollers in one) are competing consumers of one queue; the
store's idempotency by message id keeps every message stored once among them.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from triggersqs.errors import ConfigurationError
from triggersqs.local.poller import Handler, Poller, PollerSettings
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger("triggersqs.worker")


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

        return boto3.client(
            "sqs",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            # Long polls last up to 20 s: the read timeout must outlast them.
            config=Config(
                connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 3}
            ),
        )


_REGION_LABEL = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")


def region_of_queue_url(url: str) -> str | None:
    """The region named in an SQS queue URL's host, if any.

    ``https://sqs.us-east-1.amazonaws.com/...``, the legacy
    ``https://us-east-2.queue.amazonaws.com/...`` and VPC endpoint hosts all name it in a label.
    """
    labels = (urlparse(url).hostname or "").split(".")
    if not labels or labels[-1] not in {"com", "cn"} or "amazonaws" not in labels:
        return None
    return next((label for label in labels if _REGION_LABEL.match(label)), None)


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
        raise ConfigurationError(f"cannot reach SQS for {url}: {exc}") from None
    return QueueInfo.from_attributes(url, attributes)


def start_pollers(
    endpoint: SqsEndpoint,
    queue: QueueInfo,
    handler: Handler,
    settings: PollerSettings,
    *,
    concurrency: int,
    stop: threading.Event,
) -> list[threading.Thread]:
    """``concurrency`` poller threads sharing ``stop``; each has its own SQS client."""
    if not 1 <= concurrency <= 100:
        raise ConfigurationError("concurrency must be 1..100")
    settings.check(queue)
    threads = []
    for number in range(1, concurrency + 1):
        poller = Poller(endpoint.client(), queue, handler, settings, stop=stop)
        thread = threading.Thread(target=poller.run, name=f"poller-{number}")
        thread.start()
        threads.append(thread)
    return threads


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT or SIGTERM while the block runs (main thread only)."""

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("stopping: finishing the batch in hand", extra={"signal": signum})
        stop.set()

    previous: dict[signal.Signals, Any] = {
        sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_worker(
    endpoint: SqsEndpoint,
    queue_url: str,
    handler_factory: Callable[[], Handler],
    settings: PollerSettings,
    *,
    concurrency: int = 1,
) -> None:
    """Poll ``queue_url`` until SIGINT or SIGTERM; returns once every poller has finished."""
    queue = open_queue(endpoint.client(), queue_url)
    settings.check(queue)
    stop = threading.Event()
    with stop_on_signals(stop):
        threads = start_pollers(
            endpoint, queue, handler_factory(), settings, concurrency=concurrency, stop=stop
        )
        logger.info(
            "worker started",
            extra={
                "queue_url": queue_url,
                "pollers": concurrency,
                "batch_size": settings.batch_size,
            },
        )
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(0.2)
    logger.info("worker stopped")
