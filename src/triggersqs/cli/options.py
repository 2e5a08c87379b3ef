"""The argument layer's shared pieces: the poller options, the dev stack's addresses, and every
read of the environment a command makes (settings, region, API key, credentials, input files)."""

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
DEV_API_URL = "http://127.0.0.1:8000"
DEV_QUEUE_URL = f"http://127.0.0.1:{DEV_SQS_PORT}/123456789012/triggersqs"


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


def poller_settings(args: argparse.Namespace) -> PollerSettings:
    """The poller settings of the options :func:`add_poller_options` added."""
    from triggersqs.local.poller import PollerSettings

    return PollerSettings(args.batch_size, args.batching_window, args.wait_time)


def settings() -> Settings:
    """The ``TRIGGERSQS_*`` settings of this process (ConfigurationError when they cannot work)."""
    return settings_from_environ()


def queue_region(args: argparse.Namespace) -> str | None:
    """``--region``, else the region in ``--queue-url``, else ``AWS_REGION``/``AWS_DEFAULT_REGION``;
    None leaves it to boto3's configuration."""
    from triggersqs.local.sqs_client import region_of_environ, region_of_queue_url

    return args.region or region_of_queue_url(args.queue_url) or region_of_environ(os.environ)


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
