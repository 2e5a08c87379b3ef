"""The ``triggersqs`` command line: one program, a subcommand per job, ``--help`` on each."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO
from urllib.parse import urlparse

from triggersqs import __version__
from triggersqs.errors import ConfigurationError, StorageError, TriggerSqsError, UsageError
from triggersqs.logs import configure_logging
from triggersqs.settings import Settings

Command = Callable[[argparse.Namespace], int]

EXIT_FAILURE = 1  # a runtime failure: any other TriggerSqsError
EXIT_USAGE = 2  # bad configuration or usage, as argparse exits for bad arguments
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it

DEV_SQS_PORT = 9324
DEV_API_URL = "http://127.0.0.1:8000"
DEV_QUEUE_URL = f"http://127.0.0.1:{DEV_SQS_PORT}/123456789012/triggersqs"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns the process exit status."""
    args = _parser().parse_args(argv)  # bad arguments: argparse prints the usage and exits 2
    run: Command = args.run
    try:
        return run(args)
    except TriggerSqsError as exc:
        print(f"triggersqs: {exc}", file=sys.stderr)
        return exit_status(exc)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def exit_status(error: TriggerSqsError) -> int:
    """The exit status of an expected error: 2 for what the user must fix first, else 1."""
    return EXIT_USAGE if isinstance(error, ConfigurationError | UsageError) else EXIT_FAILURE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="triggersqs",
        description="Consume JSON commands from SQS, store them exactly once, serve them over HTTP."
        " The service is configured by TRIGGERSQS_* environment variables (see the README).",
    )
    parser.add_argument("--version", action="version", version=f"triggersqs {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    _add_dev(commands)
    _add_worker(commands)
    _add_serve(commands)
    _add_send(commands)
    _add_records(commands)
    _add_invoke(commands)
    _add_create_table(commands)
    return parser


def _add_dev(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dev = commands.add_parser(
        "dev",
        help="the whole flow locally: embedded SQS server, poller, SQLite store, HTTP API",
        description="Start an embedded SQS-compatible server on loopback with a queue"
        " 'triggersqs' and its DLQ 'triggersqs-dlq' (maxReceiveCount 3), the poller calling the"
        " Lambda handler, and the HTTP API over the configured store (SQLite by default). It never"
        " talks to AWS. The region comes from AWS_REGION or AWS_DEFAULT_REGION (us-east-1).",
    )
    dev.add_argument("--sqs-port", type=int, default=DEV_SQS_PORT, help="embedded SQS port (9324)")
    dev.add_argument("--api-port", type=int, default=8000, help="HTTP API port (8000)")
    dev.add_argument(
        "--visibility-timeout", type=int, default=10, help="the queue's visibility timeout (10 s)"
    )
    _add_poller_options(dev, wait_time=1)
    dev.set_defaults(run=_dev)
    dev.epilog = "--concurrency 0 starts no poller: `worker` processes consume the queue instead."


def _add_worker(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser(
        "worker",
        help="poll a real SQS queue and store its messages (ECS, Kubernetes, a VM)",
        description="Long-poll QUEUE_URL like Lambda's event source mapping and hand each batch"
        " to the Lambda handler; stores per the TRIGGERSQS_* settings. SIGINT/SIGTERM finish the"
        " batch in hand and exit 0. Credentials and region come from the usual AWS sources.",
    )
    worker.add_argument("--queue-url", required=True, help="the queue to consume")
    worker.add_argument(
        "--endpoint-url",
        default=None,
        help="another SQS endpoint (default: AWS, or AWS_ENDPOINT_URL_SQS when set)",
    )
    worker.add_argument("--region", default=None, help="default: from the queue URL or AWS_REGION")
    _add_poller_options(worker, wait_time=20)
    worker.set_defaults(run=_worker)


def _add_poller_options(parser: argparse.ArgumentParser, *, wait_time: int) -> None:
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


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the HTTP API over the configured store",
        description="Serve the HTTP API (uvicorn) over the store the settings name.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (8000)")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="processes serving the same port (1); about one per core, each with its own store"
        " connection",
    )
    serve.set_defaults(run=_serve)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _add_send(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = commands.add_parser(
        "send",
        help="send one message, JSON lines, or N generated messages to a queue",
        description="Send messages in batches of 10. The queue defaults to the `dev` stack's; for"
        " a queue on loopback the endpoint comes from its URL and throwaway credentials are used"
        " unless AWS credentials are configured.",
    )
    what = send.add_mutually_exclusive_group(required=True)
    what.add_argument("--command", help="the command of one message (with --client-id)")
    what.add_argument(
        "--file", help="JSON lines to send as-is, one message per line ('-' for stdin)"
    )
    what.add_argument("--count", type=int, help="send N generated valid messages")
    send.add_argument("--client-id", help="the client id of the one message")
    send.add_argument("--queue-url", default=DEV_QUEUE_URL, help=f"(default {DEV_QUEUE_URL})")
    send.add_argument("--endpoint-url", default=None, help="another SQS endpoint")
    send.add_argument("--region", default=None, help="default: from the queue URL or AWS_REGION")
    send.add_argument("--group-id", default=None, help="MessageGroupId for FIFO queues")
    send.set_defaults(run=_send)


def _add_records(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    records = commands.add_parser(
        "records",
        help="list stored records from the HTTP API as a table",
        description="Print one page of GET /records. TRIGGERSQS_API_KEY is sent when set.",
    )
    records.add_argument("--api-url", default=DEV_API_URL, help=f"(default {DEV_API_URL})")
    records.add_argument("--limit", type=int, default=20, help="records to show (1..1000)")
    records.add_argument("--client-id", default=None)
    records.add_argument("--command", default=None)
    records.add_argument("--since", default=None, help="ISO 8601 time, inclusive")
    records.add_argument("--until", default=None, help="ISO 8601 time, exclusive")
    records.add_argument("--cursor", default=None, help="next_cursor of the previous page")
    records.add_argument("--json", action="store_true", help="print the API's JSON instead")
    records.set_defaults(run=_records)


def _add_invoke(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _add_create_table(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = commands.add_parser(
        "create-table",
        help="create the DynamoDB table (on-demand) the dynamodb store uses",
        description="Create TRIGGERSQS_DYNAMODB_TABLE (or --table) with the schema the store"
        " needs, on-demand capacity, and wait until it is active. Does nothing if it exists."
        " The endpoint, region and credentials come from the usual AWS sources"
        " (AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local).",
    )
    create.add_argument("--table", default=None, help="default: TRIGGERSQS_DYNAMODB_TABLE")
    create.set_defaults(run=_create_table)


# -- commands ------------------------------------------------------------------------------------


def _settings() -> Settings:
    return Settings.from_environ(os.environ)


def _dev(args: argparse.Namespace) -> int:
    from triggersqs.local.dev import DevOptions, region_from, run_dev

    settings = _settings()  # refuse bad configuration before starting anything
    configure_logging(settings.log_level)
    run_dev(
        settings,
        DevOptions(
            sqs_port=args.sqs_port,
            api_port=args.api_port,
            visibility_timeout=args.visibility_timeout,
            batch_size=args.batch_size,
            batching_window=args.batching_window,
            concurrency=args.concurrency,
            wait_time=args.wait_time,
        ),
        region=region_from(os.environ),
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    from triggersqs.local.poller import Handler, PollerSettings
    from triggersqs.local.sqs_client import SqsEndpoint, region_of_queue_url
    from triggersqs.local.worker import run_worker

    settings = _settings()
    configure_logging(settings.log_level)

    def handler() -> Handler:
        from triggersqs.bootstrap import build_runtime

        runtime = build_runtime(settings)
        # Build the store now, so a store that cannot work (no table, no region) is refused at
        # start-up instead of failing every batch into the DLQ.
        try:
            runtime.store.check()
        except StorageError as exc:  # down for now: records fail and come back until it is up
            print(f"triggersqs: warning: the store does not answer yet: {exc}", file=sys.stderr)
        return runtime

    region = args.region or region_of_queue_url(args.queue_url) or _env_region()
    run_worker(
        SqsEndpoint(args.endpoint_url, region),
        args.queue_url,
        handler,
        PollerSettings(args.batch_size, args.batching_window, args.wait_time),
        concurrency=args.concurrency,
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    from triggersqs.local.server import serve

    serve(_settings(), host=args.host, port=args.port, workers=args.workers)
    return 0


def _send(args: argparse.Namespace) -> int:
    from triggersqs.local.sender import Progress, generated_bodies, lines_of, send_bodies
    from triggersqs.local.sqs_client import SqsEndpoint, region_of_queue_url

    if args.command is not None and not args.client_id:
        raise UsageError("--command needs --client-id")
    region = args.region or region_of_queue_url(args.queue_url) or _env_region() or "us-east-1"
    endpoint = SqsEndpoint(args.endpoint_url, region)
    host = urlparse(args.queue_url).hostname
    if host in {"127.0.0.1", "localhost", "::1"}:
        local = urlparse(args.queue_url)
        endpoint = SqsEndpoint(
            args.endpoint_url or f"{local.scheme}://{local.netloc}",
            region,
            *(() if _has_aws_credentials() else ("test", "test")),
        )
    total = None
    if args.command is not None:
        bodies = iter([json.dumps({"command": args.command, "client_id": args.client_id})])
    elif args.count is not None:
        if args.count < 1:
            raise UsageError("--count must be at least 1")
        total, bodies = args.count, generated_bodies(args.count)
    elif args.file == "-":
        bodies = lines_of(sys.stdin)
    else:
        bodies = lines_of(_open_text(args.file))
    progress = Progress(sys.stderr, total) if args.command is None else None
    report = send_bodies(
        endpoint.client(), args.queue_url, bodies, group_id=args.group_id, progress=progress
    )
    print(f"sent {report.sent}, failed {report.failed}")
    for error in dict.fromkeys(report.errors):
        print(f"  {error}", file=sys.stderr)
    return 1 if report.failed else 0


def _records(args: argparse.Namespace) -> int:
    from triggersqs.local.api_client import fetch_records, table

    page = fetch_records(
        args.api_url,
        limit=args.limit,
        filters={
            "client_id": args.client_id,
            "command": args.command,
            "since": args.since,
            "until": args.until,
            "cursor": args.cursor,
        },
        api_key=os.environ.get("TRIGGERSQS_API_KEY") or None,
    )
    print(json.dumps(page, indent=2, ensure_ascii=False) if args.json else table(page))
    return 0


def _invoke(args: argparse.Namespace) -> int:
    from triggersqs.bootstrap import build_runtime
    from triggersqs.local.context import LocalContext

    settings = _settings()
    configure_logging(settings.log_level, stream=sys.stderr)  # stdout carries the response
    runtime = build_runtime(settings)

    if args.event == "-":
        text = sys.stdin.read()
    else:
        with _open_text(args.event) as file:
            text = file.read()
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{args.event} is not JSON: {exc}") from None
    try:
        response = runtime(event, LocalContext.with_timeout(args.timeout))
    finally:
        runtime.close()
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return 0


def _create_table(args: argparse.Namespace) -> int:
    from triggersqs.bootstrap import build_dynamodb_client
    from triggersqs.storage.dynamodb.store import create_table

    table = args.table or _settings().dynamodb_table
    if not table:
        raise ConfigurationError("name the table with --table or TRIGGERSQS_DYNAMODB_TABLE")
    created = create_table(build_dynamodb_client(), table)
    print(f"table {table} {'created' if created else 'already exists'}")
    return 0


def _open_text(path: str) -> TextIO:
    try:
        return Path(path).open(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _env_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def _has_aws_credentials() -> bool:
    import boto3

    return boto3.session.Session().get_credentials() is not None
