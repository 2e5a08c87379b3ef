"""``triggersqs serve``: the HTTP API under uvicorn over the configured store (local/server.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from triggersqs.cli import options
from triggersqs.local.http_limits import DEFAULT_LIMITS

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers


def add(subparsers: Subparsers) -> None:
    """The ``serve`` command and its options."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the HTTP API over the configured store",
        description="Serve the HTTP API (uvicorn) over the store the settings name. Without"
        " TRIGGERSQS_API_KEY it serves only on loopback, unless --no-auth. The port is bound and"
        " the store checked before it serves: either failing is one line and exit 2.",
        epilog="Limits on clients (docs/security.md): a request's headers must arrive within"
        " --header-timeout and fit in --max-header-bytes (else 408 / 431), a kept-alive"
        f" connection may idle {DEFAULT_LIMITS.idle_timeout} s, and each process takes at most"
        " --max-connections connections (one more gets 503).",
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
    parser.add_argument(
        "--no-auth",
        action="store_true",
        help="serve without TRIGGERSQS_API_KEY beyond loopback (something in front guards it)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=DEFAULT_LIMITS.header_timeout,
        help=f"seconds a request's headers may take ({DEFAULT_LIMITS.header_timeout:g})",
    )
    parser.add_argument(
        "--max-header-bytes",
        type=_positive,
        default=DEFAULT_LIMITS.max_header_bytes,
        help=f"largest request line and headers ({DEFAULT_LIMITS.max_header_bytes})",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive,
        default=DEFAULT_LIMITS.max_connections,
        help=f"open connections per process ({DEFAULT_LIMITS.max_connections})",
    )
    options.add_log_format_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    from triggersqs.bootstrap import require_role
    from triggersqs.local.http_limits import HttpLimits
    from triggersqs.local.server import serve

    settings = options.settings()
    require_role(settings, "http", command="serve")
    options.configure_logging_of(args, settings)
    port = options.checked_port(args.port, "--port")
    limits = HttpLimits(
        max_header_bytes=args.max_header_bytes,
        header_timeout=args.header_timeout,
        max_connections=args.max_connections,
    )
    serve(
        settings,
        host=args.host,
        port=port,
        workers=args.workers,
        no_auth=args.no_auth,
        limits=limits,
    )
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
