"""``triggersqs serve``: the HTTP API under uvicorn over the configured store (local/server.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from triggersqs.cli import options

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers


def add(subparsers: Subparsers) -> None:
    """The ``serve`` command and its options."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the HTTP API over the configured store",
        description="Serve the HTTP API (uvicorn) over the store the settings name. The port is"
        " bound and the store checked before it serves: either failing is one line and exit 2.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (8000; 0: any free)")
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="processes serving the same port (1); about one per core, each with its own store"
        " connection",
    )
    options.add_log_format_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    from triggersqs.local.server import serve

    settings = options.settings()
    options.configure_logging_of(args, settings)
    port = options.checked_port(args.port, "--port")
    serve(settings, host=args.host, port=port, workers=args.workers)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
