"""``triggersqs invoke``: the Lambda handler on an event file, like a Lambda invoke without
containers."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from triggersqs.cli import options
from triggersqs.cli.output import json_text
from triggersqs.errors import UsageError
from triggersqs.logs import configure_logging

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers


def add(subparsers: Subparsers) -> None:
    """The ``invoke`` command and its options."""
    parser = subparsers.add_parser(
        "invoke",
        help="run the Lambda handler on an event file and print its response",
        description="Run triggersqs.lambda_handler.handler on EVENT (a JSON file, or - for"
        " stdin) with a local context, like a Lambda invoke without containers.",
    )
    parser.add_argument("event", help="path to the event JSON, or - for standard input")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="the invocation's time budget in seconds"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the handler's response as JSON on standard output."""
    from triggersqs.bootstrap import build_runtime
    from triggersqs.local.context import LocalContext

    settings = options.settings()
    configure_logging(settings.log_level, stream=sys.stderr)  # stdout carries the response
    runtime = build_runtime(settings)

    with options.input_file(args.event) as file:
        text = file.read()
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{args.event} is not JSON: {exc}") from None
    except RecursionError:
        # Python's JSON decoder stops at about 1,000 levels, as Lambda's runtime would.
        raise UsageError(f"{args.event} nests JSON too deep to decode") from None
    try:
        response = runtime(event, LocalContext.with_timeout(args.timeout))
    finally:
        runtime.close()
    print(json_text(response))
    return 0
