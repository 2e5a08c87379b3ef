"""The DynamoDB store against DynamoDB Local: write rate by batch size, and page-read latency.

Starts DynamoDB Local itself (install it first: scripts/install-dynamodb-local), makes a fresh
table, warms the JVM up, then measures:

- puts per second: ``save()`` of one item at a time (sequential single puts), of batches of 10
  (an SQS batch: its puts run concurrently) and of batches of 100;
- page reads: ``list_records(limit=100)`` at random places in a table of a few thousand records,
  unfiltered and filtered by ``client_id``: median and p99 latency, and the requests per page.

    .venv/bin/python benchmarks/dynamodb_store.py [--items 1000] [--pages 200] [--rtt-ms 5]

DynamoDB Local runs on this machine and shares its cores with the client, so by default the
figures show CPU cost more than waiting. In AWS each request also waits a network round trip
(a few ms inside a region), which concurrent requests overlap: ``--rtt-ms N`` puts a proxy in
front of DynamoDB Local that holds every response back N ms, to see that effect.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: reuse the tests' server starter and factories

from tests.support.factories import new_record  # noqa: E402
from tests.support.servers import dynamodb_client, dynamodb_local, free_port  # noqa: E402

from triggersqs.core.ports import RecordFilter, SaveStatus  # noqa: E402
from triggersqs.core.records import NewRecord  # noqa: E402
from triggersqs.storage.dynamodb import DEFAULT_MAX_WORKERS, DynamoDbStore, create_table  # noqa: E402

CLIENTS = 20
"""Distinct client ids the records are spread over (a client filter matches 1 in 20)."""


# A TCP proxy run in its own process: it holds the first chunk of each response back by a delay.
_DELAYING_PROXY = """
import asyncio, sys
listen_port, upstream_port, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000

async def pump(reader, writer, before=None):
    try:
        while data := await reader.read(65536):
            if before is not None:
                await before()
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()

async def serve(client_reader, client_writer):
    upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
    waiting = asyncio.Event()  # a request went up; its answer is not back yet

    async def request_sent():
        waiting.set()

    async def hold_answer():
        if waiting.is_set():
            waiting.clear()
            await asyncio.sleep(delay)

    await asyncio.gather(
        pump(client_reader, upstream_writer, request_sent),
        pump(upstream_reader, client_writer, hold_answer),
        return_exceptions=True,
    )

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", listen_port)
    print("ready", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


@contextmanager
def delayed(endpoint: str, rtt_ms: float) -> Iterator[str]:
    """``endpoint`` behind a proxy that adds ``rtt_ms`` to every round trip (none: itself)."""
    if rtt_ms <= 0:
        yield endpoint
        return
    port = free_port()
    command = [sys.executable, "-c", _DELAYING_PROXY, str(port), endpoint.rsplit(":", 1)[1]]
    proxy = subprocess.Popen([*command, str(rtt_ms)], stdout=subprocess.PIPE)
    try:
        assert proxy.stdout is not None
        proxy.stdout.readline()
        yield f"http://127.0.0.1:{port}"
    finally:
        proxy.terminate()
        proxy.wait(10)


def records(count: int) -> list[NewRecord]:
    """``count`` small valid records, like the commands a producer sends."""
    return [new_record("SetStatus", f"client-{n % CLIENTS:02d}") for n in range(count)]


def write_rate(store: DynamoDbStore, items: Sequence[NewRecord], batch: int) -> float:
    """Puts per second when saving ``items`` in calls of ``batch`` items."""
    started = time.perf_counter()
    for start in range(0, len(items), batch):
        statuses = store.save(items[start : start + batch])
        assert all(status is SaveStatus.STORED for status in statuses), statuses
    return len(items) / (time.perf_counter() - started)


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@contextmanager
def counting_requests(store: DynamoDbStore) -> Iterator[Counter[str]]:
    """Count the DynamoDB operations the store's client sends inside the block."""
    calls: Counter[str] = Counter()
    client = store._table.client

    def count(model: Any, **_: Any) -> None:  # noqa: ANN401 - botocore's hook signature
        calls[model.name] += 1

    client.meta.events.register("before-call.dynamodb.*", count, unique_id="benchmark-count")
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-call.dynamodb.*", unique_id="benchmark-count")


def page_latency(
    store: DynamoDbStore, where: RecordFilter, pages: int, rng: random.Random
) -> tuple[float, float, float]:
    """Median and p99 latency (ms) of ``pages`` reads of 100 from random places; requests/page."""
    cursors: list[str | None] = [None]
    after = None
    while True:  # every cursor a reader could hold
        chunk = store.list_records(where, after=after, limit=100)
        if not chunk.more:
            break
        after = chunk.items[-1].cursor
        cursors.extend(record.cursor for record in chunk.items[::10])
    timings = []
    with counting_requests(store) as calls:
        for _ in range(pages):
            cursor = rng.choice(cursors)
            started = time.perf_counter()
            store.list_records(where, after=cursor, limit=100)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), percentile(timings, 0.99), sum(calls.values()) / pages


def main(argv: Sequence[str] | None = None) -> None:
    """Run every measurement and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=1000, help="records written per write mode")
    parser.add_argument("--pages", type=int, default=200, help="page reads per listing kind")
    parser.add_argument("--workers", type=int, default=DEFAULT_MAX_WORKERS)
    parser.add_argument("--rtt-ms", type=float, default=0, help="added network round trip")
    args = parser.parse_args(argv)
    rng = random.Random(4)

    print(
        f"DynamoDB Local 1.25.1, {os.cpu_count()} CPUs, store max_workers={args.workers},"
        f" added round trip {args.rtt_ms:g} ms"
    )
    with dynamodb_local(quick_start=False) as local, delayed(local, args.rtt_ms) as endpoint:
        admin = dynamodb_client(endpoint)
        table = f"bench-{uuid.uuid4().hex[:8]}"
        create_table(admin, table)
        store = DynamoDbStore(
            dynamodb_client(endpoint, max_connections=args.workers),
            table,
            max_workers=args.workers,
        )
        print("warming the JVM up (3,000 puts)...", flush=True)
        write_rate(store, records(3000), 100)

        rows: list[tuple[str, str]] = []
        modes: list[tuple[str, int]] = [
            ("save() of 1 item, one after another (sequential single puts)", 1),
            ("save() of batches of 10 (concurrent puts)", 10),
            ("save() of batches of 100 (concurrent puts)", 100),
        ]
        for label, batch in modes:
            rate = write_rate(store, records(args.items), batch)
            rows.append((label, f"{rate:,.0f} puts/s"))
            print(f"  {label}: {rate:,.0f} puts/s", flush=True)

        total = 3000 + args.items * len(modes)
        listings: list[tuple[str, RecordFilter]] = [
            ("all records", RecordFilter()),
            (f"client_id filter (1 in {CLIENTS})", RecordFilter(client_id="client-07")),
        ]
        for label, where in listings:
            median, p99, requests = page_latency(store, where, args.pages, rng)
            rows.append(
                (
                    f"list_records(limit=100), {label}, {total:,} records",
                    f"median {median:.1f} ms, p99 {p99:.1f} ms, {requests:.1f} requests/page",
                )
            )
            print(f"  {rows[-1][0]}: {rows[-1][1]}", flush=True)
        store.close()
        admin.close()

    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
