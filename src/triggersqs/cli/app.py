"""``triggersqs``: one program, a subcommand per job (a module each in cli/), ``--help`` on each,
and the one mapping of errors to exit statuses."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from triggersqs import __version__
from triggersqs.cli import (
    check_queue,
    create_table,
    dev,
    dlq,
    invoke,
    records,
    rejected,
    send,
    serve,
    worker,
)
from triggersqs.cli.output import printable
from triggersqs.errors import ConfigurationError, TriggerSqsError, UsageError

Command = Callable[[argparse.Namespace], int]

COMMANDS = (dev, worker, serve, send, records, invoke, create_table, dlq, rejected, check_queue)
"""In the order ``--help`` lists them."""

EXIT_FAILURE = 1  # a runtime failure: any other TriggerSqsError
EXIT_USAGE = 2  # bad configuration or usage, as argparse exits for bad arguments
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns the process exit status."""
    args = parser().parse_args(argv)  # bad arguments: argparse prints the usage and exits 2
    run: Command = args.run
    try:
        return run(args)
    except TriggerSqsError as exc:
        # The message may quote what a server or a file said: no control reaches the terminal.
        print(f"triggersqs: {printable(str(exc))}", file=sys.stderr)
        return exit_status(exc)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def exit_status(error: TriggerSqsError) -> int:
    """The exit status of an expected error: 2 for what the user must fix first, else 1."""
    return EXIT_USAGE if isinstance(error, ConfigurationError | UsageError) else EXIT_FAILURE


def parser() -> argparse.ArgumentParser:
    """The program's parser, each command added by its module."""
    program = argparse.ArgumentParser(
        prog="triggersqs",
        description="Consume JSON commands from SQS, store them exactly once, serve them over HTTP."
        " The service is configured by TRIGGERSQS_* environment variables (see the README).",
    )
    program.add_argument("--version", action="version", version=f"triggersqs {__version__}")
    subparsers = program.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add(subparsers)
    return program
