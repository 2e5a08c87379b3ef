"""``triggersqs create-table``: the DynamoDB table the dynamodb store needs, on-demand."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from triggersqs.cli import options
from triggersqs.errors import ConfigurationError

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers


def add(subparsers: Subparsers) -> None:
    """The ``create-table`` command and its options."""
    parser = subparsers.add_parser(
        "create-table",
        help="create the DynamoDB table (on-demand) the dynamodb store uses",
        description="Create TRIGGERSQS_DYNAMODB_TABLE (or --table) with the schema the store"
        " needs, on-demand capacity, and wait until it is active. Does nothing if it exists."
        " The endpoint, region and credentials come from the usual AWS sources"
        " (AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local).",
    )
    parser.add_argument("--table", default=None, help="default: TRIGGERSQS_DYNAMODB_TABLE")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Create the table and wait until it is active; nothing to do if it exists."""
    from triggersqs.bootstrap import build_dynamodb_client
    from triggersqs.storage.dynamodb import create_table

    table = args.table or options.settings().dynamodb_table
    if not table:
        raise ConfigurationError("name the table with --table or TRIGGERSQS_DYNAMODB_TABLE")
    created = create_table(build_dynamodb_client(), table)
    print(f"table {table} {'created' if created else 'already exists'}")
    return 0
