"""Batch processing, warm: microseconds per record, through the handler as Lambda calls it.

triggersqs: ``build_runtime(settings)(event, context)`` (dispatch, parsing, validation, one
transaction per batch, duplicate check, the partial batch response, the JSON log line and the EMF
metrics line a Lambda function writes per batch, both into /dev/null as into Lambda's pipe) on the
SQLite store in both synchronous modes, and on DynamoDB Local when it is installed. The baseline:
the tutorial's ``lambda_handler(event, context)`` (a pydantic model per record, the file opened and
appended to per record, never synced). Each batch is a real SQS event shape with fresh message ids;
the first batch of each size is not timed (warm), then batches are timed one by one and the median
is reported.

Beside them, the floor of the SQLite store: its own transaction (``BEGIN IMMEDIATE``, one
``INSERT`` of the batch's rows, ``COMMIT``) on its own schema and settings
(storage/sqlite/schema.py), the rows cut straight from the event (no parsing, no validation, no log
line): what SQLite alone takes to keep a batch durable and its message ids unique. A target below
it cannot be met by the Python of the batch path.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.lambda_context import FakeLambdaContext

from benchmarks.common import CONTEXT, QUEUE_ARN, Table, median, sqs_batch
from triggersqs.aws_lambda.metrics import EmfMetrics
from triggersqs.bootstrap import build_runtime
from triggersqs.core.ports import MessageStore
from triggersqs.logs import configure_logging
from triggersqs.settings import Settings
from triggersqs.storage.sqlite.schema import connect, set_up
from triggersqs.storage.sqlite.writes import insert_statement

SIZES = (10, 100, 1_000, 10_000)
FLOOR = "SQLite alone (floor)"
Handler = Callable[[dict[str, Any], FakeLambdaContext], Any]


@dataclass(frozen=True)
class Budget:
    """How long to keep timing batches of one size."""

    seconds: float = 2.0
    min_batches: int = 5
    max_batches: int = 300
    max_records: int = 60_000


def time_batches(
    handler: Handler, size: int, budget: Budget, check: Callable[[Any], bool]
) -> float:
    """Median seconds per batch of ``size`` fresh messages (after one untimed batch)."""
    context = CONTEXT
    first = sqs_batch(size)
    if not check(handler(first, context)):
        raise RuntimeError(f"the handler did not store a batch of {size}")
    times: list[float] = []
    spent = 0.0
    limit = max(budget.min_batches, min(budget.max_batches, budget.max_records // size))
    while len(times) < budget.min_batches or (spent < budget.seconds and len(times) < limit):
        event = sqs_batch(size)
        started = time.perf_counter()
        answer = handler(event, context)
        elapsed = time.perf_counter() - started
        if not check(answer):
            raise RuntimeError(f"the handler did not store a batch of {size}: {answer}")
        times.append(elapsed)
        spent += elapsed
    return median(times)


def _all_stored(answer: Any) -> bool:  # noqa: ANN401
    return bool(answer == {"batchItemFailures": []})


def _baseline_done(answer: Any) -> bool:  # noqa: ANN401
    return answer is None


@contextmanager
def ours(workdir: Path, synchronous: str) -> Iterator[Handler]:
    """triggersqs's Lambda entry point on a fresh SQLite file, with its metrics on (the
    default of a Lambda function) and logging as in Lambda (INFO)."""
    path = workdir / f"batch-{synchronous}.db"
    settings = Settings.build(store="sqlite", sqlite_path=str(path), sqlite_synchronous=synchronous)
    with open(os.devnull, "w", encoding="utf-8") as sink:
        app = build_runtime(settings, observer=EmfMetrics(settings.metrics_namespace, out=sink))
        try:
            yield app
        finally:
            app.store.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def sqlite_alone(workdir: Path, synchronous: str) -> Iterator[Handler]:
    """The floor: a batch's rows inserted in one transaction on a fresh file of the store's
    schema; the event's message ids and bodies, the row's other fields fixed."""
    path = workdir / f"floor-{synchronous}.db"
    conn = connect(str(path), busy_timeout_ms=5000)
    set_up(conn, synchronous=synchronous.upper(), create_schema=True)
    insert = insert_statement("records")

    def handler(event: dict[str, Any], context: FakeLambdaContext) -> bool:
        del context
        rows = [
            (
                r["messageId"],
                QUEUE_ARN,
                0,
                0,
                1,
                None,
                "SetStatus",
                r["body"][-17:-2],
                None,
                r["body"],
                len(r["body"]),
            )
            for r in event["Records"]
        ]
        conn.execute("BEGIN IMMEDIATE")
        added = conn.executemany(insert, rows).rowcount
        conn.execute("COMMIT")
        return added == len(rows)  # every row new: the store would have stored them all

    try:
        yield handler
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _floor_done(answer: Any) -> bool:  # noqa: ANN401
    return answer is True


@contextmanager
def ours_on(store: MessageStore) -> Iterator[Handler]:
    """triggersqs's Lambda entry point on a given store."""
    yield build_runtime(Settings.build(store="memory"), store=store)


@contextmanager
def baseline(workdir: Path) -> Iterator[Handler]:
    """The tutorial's handler, appending to a fresh log file."""
    from benchmarks.baseline import lambda_handler, sqs_handler

    log = workdir / "log.txt"
    sqs_handler.LOG_PATH, sqs_handler.ARN_SOURCE = str(log), QUEUE_ARN
    try:
        yield lambda_handler.lambda_handler
    finally:
        log.unlink(missing_ok=True)


@contextmanager
def dynamodb_local_store() -> Iterator[MessageStore | None]:
    """A DynamoDBStore on a fresh table of DynamoDB Local, or None when it is not installed."""
    from tests.support.servers import DYNAMODB_LOCAL

    if not (DYNAMODB_LOCAL / "DynamoDBLocal.jar").is_file() or shutil.which("java") is None:
        yield None
        return
    from tests.support.servers import dynamodb_client, dynamodb_local

    from triggersqs.storage.dynamodb import DEFAULT_MAX_WORKERS, DynamoDbStore, create_table

    with dynamodb_local() as endpoint:
        client = dynamodb_client(endpoint, max_connections=DEFAULT_MAX_WORKERS)
        create_table(client, "triggersqs-benchmark")
        store = DynamoDbStore(client, "triggersqs-benchmark", max_workers=DEFAULT_MAX_WORKERS)
        try:
            yield store
        finally:
            store.close()


def run(
    sizes: tuple[int, ...] = SIZES, budget: Budget | None = None, *, dynamodb: bool = True
) -> Table:
    """µs per record for each batch size: both SQLite modes, DynamoDB Local, the baseline."""
    with open(os.devnull, "w", encoding="utf-8") as sink:
        configure_logging("INFO", stream=sink)  # as in Lambda: a JSON line per batch
        try:
            seconds = _measure(sizes, budget or Budget(), dynamodb=dynamodb)
        finally:
            configure_logging("WARNING", stream=io.StringIO())
    return _table(sizes, seconds)


def _measure(
    sizes: tuple[int, ...], budget: Budget, *, dynamodb: bool
) -> dict[str, dict[int, float]]:
    """Seconds per median batch, by setup and size."""
    seconds: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory(prefix="triggersqs-batch-") as tmp:
        workdir = Path(tmp)
        for size in sizes:
            for mode in ("normal", "full"):
                with ours(workdir, mode) as handler:
                    label = f"SQLite synchronous={mode}"
                    seconds.setdefault(label, {})[size] = time_batches(
                        handler, size, budget, _all_stored
                    )
            with baseline(workdir) as handler:
                seconds.setdefault("baseline", {})[size] = time_batches(
                    handler, size, budget, _baseline_done
                )
            for mode in ("normal", "full"):
                with sqlite_alone(workdir, mode) as handler:
                    seconds.setdefault(f"{FLOOR} synchronous={mode}", {})[size] = time_batches(
                        handler, size, budget, _floor_done
                    )
        if dynamodb:
            with dynamodb_local_store() as store:
                if store is not None:
                    with ours_on(store) as handler:
                        small = Budget(budget.seconds, 3, 50, 20_000)
                        seconds["DynamoDB Local"] = {
                            size: time_batches(handler, size, small, _all_stored) for size in sizes
                        }
    return seconds


def _table(sizes: tuple[int, ...], seconds: dict[str, dict[int, float]]) -> Table:
    per_record = {
        label: {size: value / size * 1e6 for size, value in by_size.items()}
        for label, by_size in seconds.items()
    }
    table = Table(
        "batch",
        "2. Batch processing, warm (µs per record, median batch)",
        ["batch size", "baseline (tutorial)"]
        + [
            column
            for label in per_record
            if label != "baseline"
            for column in (label if label.startswith(FLOOR) else f"triggersqs, {label}", "speed-up")
        ],
    )
    for size in sizes:
        base = per_record["baseline"][size]
        row: list[Any] = [size, base]
        for label, values in per_record.items():
            if label != "baseline":
                row += [values[size], base / values[size]]
        table.rows.append(row)
    table.data = {
        "us_per_record": {k: {str(s): v for s, v in d.items()} for k, d in per_record.items()}
    }
    table.notes = [
        "speed-up = baseline µs per record / triggersqs µs per record (above 1: triggersqs is"
        " faster). The baseline appends a repr to a text file and never syncs; triggersqs"
        " validates each body, checks each message id against the store, and commits the batch"
        " in one transaction (`full`: fsync at every commit, survives a power cut; `normal`:"
        " survives a process crash).",
    ]
    table.notes.append(
        f"{FLOOR}: the store's transaction with nothing around it (the same schema, indexes and"
        " synchronous mode, one INSERT of rows cut from the event): the least the SQLite store"
        " can take per record. The gap to it is the batch path's Python."
    )
    if "DynamoDB Local" in per_record:
        table.notes.append(
            "DynamoDB Local runs on this machine and shares its 2 cores with the client:"
            " conditional puts, concurrently per batch."
        )
    else:
        table.notes.append("DynamoDB Local is not installed here (scripts/install-dynamodb-local).")
    return table
