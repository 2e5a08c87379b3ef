"""The argument layer's shared pieces: the poller options, the one way every client command finds
its queue and API (flags, then the environment, then the ``dev`` running in this folder, then the
defaults), and every read of the environment a command makes (settings, region, API key,
credentials, input files)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlparse

from triggersqs.bootstrap import settings_from_environ
from triggersqs.errors import UsageError
from triggersqs.settings import API_URL_VARIABLE, QUEUE_URL_VARIABLE, Settings

if TYPE_CHECKING:
    from triggersqs.local.devstate import DevState
    from triggersqs.local.poller import PollerSettings
    from triggersqs.local.sqs_client import SqsEndpoint

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

DEV_SQS_PORT = 9324
DEV_API_PORT = 8000
DEV_API_URL = f"http://127.0.0.1:{DEV_API_PORT}"
DEV_QUEUE_URL = f"http://127.0.0.1:{DEV_SQS_PORT}/123456789012/triggersqs"
MAX_PORT = 65_535
THROWAWAY_KEY = "test"
"""The credentials of a queue off AWS (the dev stack takes any) when none are configured."""


def checked_port(value: int, flag: str) -> int:
    """``value`` if it is a TCP port (1..65535, or 0 for any free port); else UsageError, one line.

    Checked after parsing, not as an argparse type, so the refusal is one line like every other.
    """
    if not 0 <= value <= MAX_PORT:
        raise UsageError(f"{flag} {value}: a port is 1..{MAX_PORT} (0: any free port)")
    return value


# -- finding the queue and the API -------------------------------------------------------------


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


def add_newest_option(parser: argparse.ArgumentParser, path: str) -> None:
    """``--newest``: a listing command's page newest first (``order=desc`` of ``path``)."""
    parser.add_argument(
        "--newest", action="store_true", help=f"newest first (GET {path}?order=desc)"
    )


def order(args: argparse.Namespace) -> str | None:
    """The ``order`` query parameter ``--newest`` asks for; None leaves the API's default."""
    return "desc" if args.newest else None


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


def add_poller_options(parser: argparse.ArgumentParser, *, wait_time: int) -> None:
    """The options of the pollers of ``dev`` and ``worker``; ``wait_time`` is the default."""
    parser.add_argument(
        "--batch-size", type=int, default=10, help="records per batch (1..10000; FIFO 1..10)"
    )
    parser.add_argument(
        "--batching-window",
        type=float,
        default=0.0,
        help="seconds to gather a batch after its first message (0..300; not for FIFO)",
    )
    parser.add_argument("--concurrency", type=int, default=1, help="pollers in this process")
    parser.add_argument(
        "--wait-time", type=int, default=wait_time, help=f"long-poll seconds (0..20; {wait_time})"
    )


def add_log_format_option(parser: argparse.ArgumentParser) -> None:
    """``--log-format text|json``: text by default on a terminal, JSON when piped."""
    from triggersqs.logs import LOG_FORMATS

    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=None,
        help="text: one readable line per batch (colour on a terminal); json: one JSON object a"
        " line. Default: text on a terminal, json when piped",
    )


def configure_logging_of(
    args: argparse.Namespace, settings: Settings, stream: TextIO | None = None
) -> None:
    """Logging at the settings' level in the format ``--log-format`` asks, or the default for
    ``stream`` (standard output): text on a terminal, JSON otherwise."""
    from triggersqs.logs import configure_logging, default_log_format

    log_format = args.log_format or default_log_format(stream)
    configure_logging(settings.log_level, stream=stream, log_format=log_format)


def poller_settings(args: argparse.Namespace) -> PollerSettings:
    """The poller settings of the options :func:`add_poller_options` added."""
    from triggersqs.local.poller import PollerSettings

    return PollerSettings(args.batch_size, args.batching_window, args.wait_time)


def settings() -> Settings:
    """The ``TRIGGERSQS_*`` settings of this process (ConfigurationError when they cannot work)."""
    return settings_from_environ()


def dev_region() -> str:
    """The dev stack's region: ``AWS_REGION``, else ``AWS_DEFAULT_REGION``, else us-east-1."""
    from triggersqs.local.dev import region_from

    return region_from(os.environ)


def api_key() -> str | None:
    """``TRIGGERSQS_API_KEY`` for ``records``; read alone, so other settings cannot stop it."""
    return os.environ.get("TRIGGERSQS_API_KEY") or None


def has_aws_credentials() -> bool:
    """Whether boto3 finds AWS credentials (environment, profile, role)."""
    import boto3

    return boto3.session.Session().get_credentials() is not None


@contextmanager
def input_file(path: str) -> Iterator[TextIO]:
    """The text file ``path`` names, or standard input for ``-``; UsageError if unreadable."""
    if path == "-":
        yield sys.stdin
        return
    with _open_text(path) as file:
        yield file


def _open_text(path: str) -> TextIO:
    try:
        return Path(path).open(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
