"""``triggersqs rejected``: list, show and replay rejected messages (the HTTP API's /rejected;
local/replay.py for the replay)."""

from __future__ import annotations

import argparse
import urllib.parse
from typing import TYPE_CHECKING, Any

from triggersqs.cli import options, targets
from triggersqs.cli.output import json_text, more_line
from triggersqs.cli.queue_options import sqs_errors
from triggersqs.cli.table_text import table

if TYPE_CHECKING:
    from triggersqs.cli.options import Subparsers

COLUMNS = ("#", "stored_at", "status", "message_id", "reason", "replayed_as")


def add(subparsers: Subparsers) -> None:
    """The ``rejected`` command and its ``list``, ``show`` and ``replay`` subcommands."""
    parser = subparsers.add_parser(
        "rejected",
        help="list, show or replay rejected messages",
        description="Rejected messages from the HTTP API (GET /rejected); TRIGGERSQS_API_KEY is"
        " sent when set.",
    )
    actions = parser.add_subparsers(title="actions", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="one page of rejected messages, with their status",
        description="Print one page of GET /rejected, oldest first (--newest: newest first).",
    )
    listing.add_argument("--limit", type=int, default=20, help="entries to show (1..1000)")
    options.add_newest_option(listing, "/rejected")
    listing.add_argument("--cursor", default=None, help="next_cursor of the previous page")
    listing.add_argument("--json", action="store_true", help="print the API's JSON instead")
    listing.set_defaults(run=run_list)
    show = actions.add_parser("show", help="one rejected message: why, and its whole body")
    show.add_argument("message_id")
    show.add_argument("--json", action="store_true", help="print the API's JSON instead")
    show.set_defaults(run=run_show)
    replay = actions.add_parser(
        "replay",
        help="send a rejected message (as it was, or corrected) back onto the queue",
        description="Send the message again (its kept body, or --body FILE) and mark the"
        " rejection replayed with the new message id. The mark is written to the store the"
        " TRIGGERSQS_* settings name (the API is read-only), after the send.",
    )
    replay.add_argument("message_id")
    replay.add_argument(
        "--body", default=None, metavar="FILE", help="the corrected body ('-': stdin)"
    )
    replay.add_argument("--group-id", default=None, help="MessageGroupId for a FIFO queue")
    replay.add_argument("--again", action="store_true", help="replay one already replayed")
    targets.add_queue_options(replay, fallback=options.DEV_QUEUE_URL)
    replay.set_defaults(run=run_replay)
    for action in (listing, show, replay):
        targets.add_api_url_option(action)


def run_list(args: argparse.Namespace) -> int:
    """Print one page of ``/rejected`` as a table, or as the API's JSON."""
    from triggersqs.local.api_client import get_json

    asked = {"limit": str(args.limit), "order": options.order(args), "cursor": args.cursor}
    query = {name: value for name, value in asked.items() if value}
    page = get_json(targets.api_url(args), "/rejected", query, api_key=options.api_key())
    if args.json:
        print(json_text(page))
        return 0
    rows = [
        [position, *(entry.get(column) for column in COLUMNS[1:])]
        for position, entry in page.get("rejected", {}).items()
    ]
    print(table(COLUMNS, rows))
    if page.get("next_cursor"):  # a cursor goes on only in the order it was issued for
        print(more_line(str(page["next_cursor"]), newest=args.newest))
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Print one rejected message: its fields, then its whole body."""
    rejection = _fetch(args)
    if args.json:
        print(json_text(rejection))
        return 0
    for name in (
        "message_id",
        "status",
        "replayed_as",
        "reason",
        "queue_arn",
        "sent_at",
        "stored_at",
        "receive_count",
        "body_bytes",
    ):
        print(f"{name}: {rejection.get(name)}")
    print("body:")
    print(rejection.get("body", ""))
    return 0


def run_replay(args: argparse.Namespace) -> int:
    """Send the message again and mark its rejection replayed."""
    from triggersqs.bootstrap import build_store
    from triggersqs.local.replay import replay

    rejection = _fetch(args)
    body = None
    if args.body is not None:
        with options.input_file(args.body) as file:
            body = file.read()
    target = targets.queue_target(args, fallback=options.DEV_QUEUE_URL)
    store = build_store(options.settings())
    try:
        with sqs_errors(f"sending to {target.url}"):
            done = replay(
                target.endpoint.client(),
                target.url,
                rejection,
                store,
                body=body,
                group_id=args.group_id,
                again=args.again,
            )
    finally:
        store.close()
    print(f"replayed {done.message_id} as {done.new_message_id} onto {done.queue_url}")
    print(f"/rejected/{done.message_id} now says: replayed as {done.new_message_id}")
    return 0


def _fetch(args: argparse.Namespace) -> dict[str, Any]:
    from triggersqs.local.api_client import get_json

    path = f"/rejected/{urllib.parse.quote(args.message_id, safe='')}"
    return get_json(targets.api_url(args), path, api_key=options.api_key())
