"""Where the SQLite store's time goes when it writes a batch, and what other layouts would cost.

    .venv/bin/python -m benchmarks.sqlite_floor [--batches 2000]

The store's own transaction on its own schema and settings (storage/sqlite/schema.py), rows as
the batch benchmark's events make them (benchmarks/common.py: fresh message ids, one client id
per message of a batch), timed statement by statement: ``BEGIN IMMEDIATE``, the read of both
tables' ends (storage/sqlite/writes.py), one ``INSERT`` of the batch, ``COMMIT``. Then the same
with parts of the schema taken away, to show what each B-tree costs: what the batch targets of
docs/benchmarks.md would need from SQLite alone. Prints one Markdown table of medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks.common import QUEUE_ARN, message_body
from triggersqs.storage.sqlite.schema import connect, set_up
from triggersqs.storage.sqlite.writes import ENDS_QUERY, insert_statement

CASES: tuple[tuple[int, str, int], ...] = ((10, "NORMAL", 300), (1000, "FULL", 60))
"""Batch size, synchronous mode, batches: the batch benchmark's two targets, as many batches as it
times at most (benchmarks/batch.py's Budget: 300 batches, 60,000 records), on a fresh file."""


class Layout(NamedTuple):
    """A variation of the store's file: indexes dropped, the unique constraint off, page size."""

    drop: tuple[str, ...] = ()
    unique: bool = True
    page_size: int = 4096


LAYOUTS: dict[str, Layout] = {
    "the store's schema": Layout(),
    "without the client and command indexes": Layout(
        drop=("DROP INDEX records_by_client", "DROP INDEX records_by_command")
    ),
    "without the unique message id index": Layout(unique=False),
    "the store's schema, 16 KiB pages": Layout(page_size=16384),
    "the store's schema, 64 KiB pages": Layout(page_size=65536),
}


def rows(size: int) -> list[tuple[Any, ...]]:
    """One batch's rows, as the store writes them for the batch benchmark's events."""
    return [
        (str(uuid.uuid4()), QUEUE_ARN, 0, 0, 1, None, "SetStatus", f"client-{n:08d}", None,
         body := message_body(n), len(body))
        for n in range(size)
    ]  # fmt: skip


def measure(
    path: Path, size: int, synchronous: str, layout: Layout, batches: int
) -> dict[str, float]:
    """Median microseconds of each statement, and of the whole, per batch."""
    conn = connect(str(path), busy_timeout_ms=5000)
    conn.execute(f"PRAGMA page_size={layout.page_size}")  # before the file has its first page
    set_up(conn, synchronous=synchronous, create_schema=True)
    table = "records"
    for statement in layout.drop:
        conn.execute(statement)
    if not layout.unique:
        # The same table and indexes under another name, its message id without UNIQUE.
        for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'records' AND sql IS NOT NULL"
        ).fetchall():
            conn.execute(
                sql.replace("NOT NULL UNIQUE", "NOT NULL")
                .replace("records_by", "plain_by")
                .replace("records", "plain")
            )
        table = "plain"
    insert = insert_statement("records").replace("INTO records", f"INTO {table}")
    steps: dict[str, Callable[[list[tuple[Any, ...]]], object]] = {
        "BEGIN": lambda _: conn.execute("BEGIN IMMEDIATE"),
        "ends": lambda _: conn.execute(ENDS_QUERY).fetchone(),
        "INSERT": lambda batch: conn.executemany(insert, batch),
        "COMMIT": lambda _: conn.execute("COMMIT"),
    }
    times: dict[str, list[float]] = {name: [] for name in [*steps, "batch"]}
    for number in range(batches + 5):
        batch = rows(size)
        spent = []
        for step in steps.values():
            started = time.perf_counter()
            step(batch)
            spent.append(time.perf_counter() - started)
        if number >= 5:  # the first batches warm the statement cache and the file
            for name, seconds in zip([*steps, "batch"], [*spent, sum(spent)], strict=True):
                times[name].append(seconds)
    conn.close()
    return {name: statistics.median(values) * 1e6 for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    """Measure every case and layout, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sqlite_floor", description=__doc__)
    parser.parse_args(argv)
    print("| batch | synchronous | layout | BEGIN | ends | INSERT | COMMIT | batch | µs/record |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="triggersqs-floor-") as tmp:
        for size, synchronous, batches in CASES:
            for number, (name, layout) in enumerate(LAYOUTS.items()):
                path = Path(tmp) / f"{size}-{number}.db"
                got = measure(path, size, synchronous, layout, batches)
                cells = " | ".join(f"{got[step]:,.1f}" for step in ("BEGIN", "ends", "INSERT"))
                print(
                    f"| {size:,} | {synchronous.lower()} | {name} | {cells} | {got['COMMIT']:,.1f}"
                    f" | {got['batch']:,.1f} | {got['batch'] / size:.2f} |"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
