"""The argument layer's shared pieces: the poller, log and listing options, and every read of the
environment a command makes (settings, region, API key, credentials, input files). How a client
command finds its queue and API: cli/targets.py."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from triggersqs.bootstrap import settings_from_environ
from triggersqs.errors import UsageError
from triggersqs.settings import Settings

if TYPE_CHECKING:
    from triggersqs.local.poller import PollerSettings

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


def add_newest_option(parser: argparse.ArgumentParser, path: str) -> None:
    """``--newest``: a listing command's page newest first (``order=desc`` of ``path``)."""
    parser.add_argument(
        "--newest", action="store_true", help=f"newest first (GET {path}?order=desc)"
    )


def order(args: argparse.Namespace) -> str | None:
    """The ``order`` query parameter ``--newest`` asks for; None leaves the API's default."""
    return "desc" if args.newest else None


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
