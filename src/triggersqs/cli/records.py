"""``triggersqs records``: one page of stored records from the HTTP API (local/api_client.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from triggersqs.cli import options, targets
from triggersqs.cli.output import json_text, records_table

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers


def add(subparsers: Subparsers) -> None:
    """The ``records`` command and its options."""
    parser = subparsers.add_parser(
        "records",
        help="list stored records from the HTTP API as a table",
        description="Print one page of GET /records, oldest first (--newest: newest first)."
        " TRIGGERSQS_API_KEY is sent when set. A `triggersqs dev` running in this folder is"
        " found with no options.",
    )
    targets.add_api_url_option(parser)
    parser.add_argument("--limit", type=int, default=20, help="records to show (1..1000)")
    options.add_newest_option(parser, "/records")
    parser.add_argument("--client-id", default=None)
    parser.add_argument("--command", default=None)
    parser.add_argument("--since", default=None, help="ISO 8601 time, inclusive")
    parser.add_argument("--until", default=None, help="ISO 8601 time, exclusive")
    parser.add_argument("--cursor", default=None, help="next_cursor of the previous page")
    parser.add_argument("--json", action="store_true", help="print the API's JSON instead")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the page as a table, or as the API's JSON."""
    from triggersqs.local.api_client import fetch_records

    page = fetch_records(
        targets.api_url(args),
        limit=args.limit,
        filters={
            "order": options.order(args),
            "client_id": args.client_id,
            "command": args.command,
            "since": args.since,
            "until": args.until,
            "cursor": args.cursor,
        },
        api_key=options.api_key(),
    )
    print(json_text(page) if args.json else records_table(page, newest=args.newest))
    return 0
