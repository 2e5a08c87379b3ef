"""The one way every client command finds its queue and API: flags, then the environment, then
the ``dev`` running in this folder (local/devstate.py), then the defaults."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from triggersqs.cli.options import DEV_API_URL, THROWAWAY_KEY, has_aws_credentials
from triggersqs.errors import UsageError
from triggersqs.settings import API_URL_VARIABLE, QUEUE_URL_VARIABLE

if TYPE_CHECKING:
    from triggersqs.local.devstate import DevState
    from triggersqs.local.sqs_client import SqsEndpoint


def add_queue_options(
    parser: argparse.ArgumentParser, *, fallback: str, dead_letters: bool = False
) -> None:
    """``--queue-url``, ``--endpoint-url`` and ``--region``; ``fallback`` says what is used last.
    ``dead_letters``: the queue is a DLQ (the running dev's DLQ, never TRIGGERSQS_QUEUE_URL)."""
    found = (
        "the DLQ of the `triggersqs dev` running in this folder"
        if dead_letters
        else f"{QUEUE_URL_VARIABLE}, else the `triggersqs dev` running in this folder"
    )
    parser.add_argument(
        "--queue-url",
        default=None,
        help=f"the {'dead-letter queue' if dead_letters else 'queue'} (default: {found}, else"
        f" {fallback})",
    )
    add_endpoint_options(parser)


def add_endpoint_options(parser: argparse.ArgumentParser) -> None:
    """``--endpoint-url`` and ``--region`` of a queue named otherwise (a flag or an argument)."""
    parser.add_argument(
        "--endpoint-url",
        default=None,
        help="the SQS endpoint (default: AWS_ENDPOINT_URL_SQS, else the queue URL's own host when"
        " it is not AWS's, else AWS)",
    )
    parser.add_argument(
        "--region",
        default=None,
        help="default: from the queue URL, else the running dev's, else AWS_REGION"
        " (us-east-1 off AWS)",
    )


def add_api_url_option(parser: argparse.ArgumentParser) -> None:
    """``--api-url``: the API's base URL, with or without a path such as ``/records``."""
    parser.add_argument(
        "--api-url",
        default=None,
        help=f"the API's base URL (default: {API_URL_VARIABLE}, else the `triggersqs dev` running"
        f" in this folder, else {DEV_API_URL}); a trailing /records is fine",
    )


@dataclass(frozen=True, slots=True)
class QueueTarget:
    """A queue and how to call its SQS API."""

    url: str
    endpoint: SqsEndpoint


def queue_target(
    args: argparse.Namespace, *, fallback: str | None, dead_letters: bool = False
) -> QueueTarget:
    """The queue of a client command: ``--queue-url``, ``TRIGGERSQS_QUEUE_URL``, the running
    dev's, then ``fallback`` (None: UsageError); its endpoint, region and credentials to match.
    ``dead_letters``: a DLQ (the running dev's DLQ; TRIGGERSQS_QUEUE_URL names no DLQ)."""
    return resolve_queue(
        args.queue_url,
        args.endpoint_url,
        args.region,
        environ=os.environ,
        state=running_dev(),
        fallback=fallback,
        has_credentials=has_aws_credentials,
        dead_letters=dead_letters,
    )


def resolve_queue(
    queue_url: str | None,
    endpoint_url: str | None,
    region: str | None,
    *,
    environ: Mapping[str, str],
    state: DevState | None,
    fallback: str | None,
    has_credentials: Callable[[], bool] = lambda: False,
    dead_letters: bool = False,
) -> QueueTarget:
    """:func:`queue_target` with its inputs given: flags, environment, running dev, fallback.

    A queue off AWS (loopback, a container's name) is its own endpoint, so it never reaches AWS;
    a queue of the running dev gets the dev's region (moto keeps queues per region).
    ``has_credentials``: a callable saying whether AWS credentials are configured; a queue off
    AWS gets throwaway ones when they are not.
    """
    from triggersqs.local.sqs_client import (
        DEFAULT_REGION,
        SqsEndpoint,
        check_queue_url,
        is_aws_url,
        origin_of,
        region_of_environ,
        region_of_queue_url,
    )

    from_dev = None if state is None else state.dlq_url if dead_letters else state.queue_url
    from_environ = None if dead_letters else environ.get(QUEUE_URL_VARIABLE)
    url = queue_url or from_environ or from_dev or fallback
    if not url:
        raise UsageError(
            f"name the queue with --queue-url or {QUEUE_URL_VARIABLE}, or run `triggersqs dev`"
            " in this folder"
        )
    check_queue_url(url)
    off_aws = not is_aws_url(url)
    endpoint = (
        endpoint_url
        or environ.get("AWS_ENDPOINT_URL_SQS")
        or environ.get("AWS_ENDPOINT_URL")
        or (origin_of(url) if off_aws else None)
    )
    of_dev = state is not None and origin_of(url) == origin_of(state.sqs_endpoint)
    chosen_region = (
        region
        or region_of_queue_url(url)
        or (state.region if state is not None and of_dev else None)
        or region_of_environ(environ)
        or (DEFAULT_REGION if off_aws else None)
    )
    throwaway = off_aws and endpoint is not None and not is_aws_url(endpoint)
    throwaway = throwaway and not has_credentials()
    keys = (THROWAWAY_KEY, THROWAWAY_KEY) if throwaway else ()
    return QueueTarget(url, SqsEndpoint(endpoint, chosen_region, *keys))


def api_url(args: argparse.Namespace) -> str:
    """The API of a client command: ``--api-url``, ``TRIGGERSQS_API_URL``, the running dev's, or
    the dev default; its base, whatever path the user gave after it (``/records``, ``/docs``)."""
    return resolve_api_url(args.api_url, environ=os.environ, state=running_dev())


def resolve_api_url(flag: str | None, *, environ: Mapping[str, str], state: DevState | None) -> str:
    """:func:`api_url` with its inputs given."""
    from_dev = state.api_url if state is not None else None
    url = flag or environ.get(API_URL_VARIABLE) or from_dev or DEV_API_URL
    parts = urlparse(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UsageError(f"not an http(s) URL: {url!r}")
    path = parts.path.rstrip("/")
    for route in ("/records", "/rejected", "/docs", "/healthcheck", "/health"):
        if path.endswith(route):
            path = path[: -len(route)]
            break
    return f"{parts.scheme}://{parts.netloc}{path}"


def running_dev() -> DevState | None:
    """The ``triggersqs dev`` running in the working folder, if any (local/devstate.py)."""
    from triggersqs.local.devstate import read_state

    return read_state(Path.cwd())
