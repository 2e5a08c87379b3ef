"""The ``triggersqs`` command line: one program, a subcommand per job, ``--help`` on each."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from triggersqs import __version__
from triggersqs.errors import ConfigurationError, TriggerSqsError
from triggersqs.settings import Settings

Command = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    run: Command = args.run
    try:
        return run(args)
    except ConfigurationError as exc:
        print(f"triggersqs: {exc}", file=sys.stderr)
        return 2
    except TriggerSqsError as exc:
        print(f"triggersqs: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="triggersqs",
        description="Consume JSON commands from SQS, store them exactly once, serve them over HTTP."
        " Configuration comes from TRIGGERSQS_* environment variables (see the README).",
    )
    parser.add_argument("--version", action="version", version=f"triggersqs {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="serve the HTTP API over the configured store",
        description="Serve the HTTP API (uvicorn) over the store the settings name.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.set_defaults(run=_serve)

    invoke = commands.add_parser(
        "invoke",
        help="run the Lambda handler on an event file and print its response",
        description="Run triggersqs.lambda_handler.handler on EVENT (a JSON file, or - for"
        " stdin) with a local context, like a Lambda invoke without containers.",
    )
    invoke.add_argument("event", help="path to the event JSON, or - for standard input")
    invoke.add_argument(
        "--timeout", type=float, default=30.0, help="the invocation's time budget in seconds"
    )
    invoke.set_defaults(run=_invoke)
    return parser


def _settings() -> Settings:
    return Settings.from_environ(os.environ)


def _serve(args: argparse.Namespace) -> int:
    from triggersqs.server import serve

    serve(_settings(), host=args.host, port=args.port)
    return 0


def _invoke(args: argparse.Namespace) -> int:
    from triggersqs.context import LocalContext
    from triggersqs.lambda_handler import handler

    text = sys.stdin.read() if args.event == "-" else Path(args.event).read_text(encoding="utf-8")
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{args.event} is not JSON: {exc}") from None
    response = handler(event, LocalContext.with_timeout(args.timeout))
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return 0
