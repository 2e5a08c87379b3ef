"""The options of the commands that work on a queue (``dlq``, ``rejected replay``,
``check-queue``): which queue, which endpoint, and SQS errors as one line."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from triggersqs.cli import options
from triggersqs.errors import ConfigurationError, SqsError

if TYPE_CHECKING:
    from triggersqs.local.sqs_client import SqsEndpoint

DEV_DLQ_URL = f"http://127.0.0.1:{options.DEV_SQS_PORT}/123456789012/triggersqs-dlq"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def add_endpoint_options(parser: argparse.ArgumentParser) -> None:
    """``--endpoint-url`` and ``--region``."""
    parser.add_argument(
        "--endpoint-url", default=None, help="another SQS endpoint (default: from a loopback URL)"
    )
    parser.add_argument("--region", default=None, help="default: from the queue URL or AWS_REGION")


def endpoint_for(args: argparse.Namespace, queue_url: str) -> SqsEndpoint:
    """The SQS endpoint of ``queue_url``: on loopback (the dev stack) the URL's own, with
    throwaway credentials unless AWS credentials are configured; elsewhere AWS's."""
    from triggersqs.local.sqs_client import DEFAULT_REGION, SqsEndpoint, region_of_queue_url

    region = args.region or region_of_queue_url(queue_url) or options.dev_region()
    local = urlparse(queue_url)
    if local.hostname not in LOOPBACK_HOSTS:
        return SqsEndpoint(args.endpoint_url, region or DEFAULT_REGION)
    return SqsEndpoint(
        args.endpoint_url or f"{local.scheme}://{local.netloc}",
        region,
        *(() if options.has_aws_credentials() else ("test", "test")),
    )


@contextmanager
def sqs_errors(doing: str) -> Iterator[None]:
    """Turn an SQS error while ``doing`` into one line (exit 2 when SQS cannot be reached)."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SqsError(f"{doing}: {error.get('Code')}: {error.get('Message', exc)}") from None
    except EndpointConnectionError as exc:
        raise ConfigurationError(f"{doing}: cannot reach SQS: {exc}") from None
    except BotoCoreError as exc:
        raise SqsError(f"{doing}: {exc}") from None
