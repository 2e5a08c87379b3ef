"""End to end: messages per second from send to stored, through real processes.

Measures, in one run on one machine:
- the embedded SQS server alone: send + receive + delete, ten at a time, from one client;
- `triggersqs dev` (its own poller): from the first send to the last record stored;
- `triggersqs worker` with 1 and 4 pollers against the dev stack's queue (dev runs no poller).

Run: .venv/bin/python -m benchmarks.end_to_end [--messages 2000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.sqs import send_bodies
from tests.support.stack import DevStack, body, dev_stack, worker


def _stored(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM records").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def _time_to_store(stack: DevStack, db: Path, count: int, timeout: float = 600) -> float:
    """Seconds from the first send until ``count`` records are stored."""
    bodies = [body(f"client-{n:06d}") for n in range(count)]
    started = time.perf_counter()
    sender = threading.Thread(target=send_bodies, args=(stack.sqs(), stack.queue_url, bodies))
    sender.start()
    while _stored(db) < count:
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"only {_stored(db)} of {count} stored after {timeout} s")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    sender.join()
    return elapsed


def raw_server_rate(stack: DevStack, count: int) -> float:
    """Messages per second through send + receive + delete, ten at a time, one client."""
    sqs = stack.sqs()
    url = sqs.create_queue(QueueName=f"raw-{time.monotonic_ns()}")["QueueUrl"]
    started = time.perf_counter()
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": body(f"c{start + i}")} for i in range(10)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)  # type: ignore[arg-type]
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if received:
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(received)
                ],
            )
    return count / (time.perf_counter() - started)


def run(count: int = 2000) -> list[dict[str, Any]]:
    """One row per setup: messages, seconds, messages per second."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "dev").mkdir()
        with dev_stack(base / "dev") as stack:
            rate = raw_server_rate(stack, count)
            rows.append(
                {
                    "setup": "embedded SQS server alone (send+receive+delete)",
                    "messages": count,
                    "seconds": count / rate,
                    "msg_per_s": rate,
                }
            )
            seconds = _time_to_store(stack, base / "dev" / "triggersqs.db", count)
            rows.append(
                {
                    "setup": "triggersqs dev (1 poller)",
                    "messages": count,
                    "seconds": seconds,
                    "msg_per_s": count / seconds,
                }
            )
        for pollers in (1, 4):
            workdir = base / f"worker{pollers}"
            workdir.mkdir()
            with (
                dev_stack(workdir, "--concurrency", "0") as stack,
                worker(stack, workdir, "--concurrency", str(pollers)),
            ):
                seconds = _time_to_store(stack, workdir / "triggersqs.db", count)
            rows.append(
                {
                    "setup": f"triggersqs worker ({pollers} poller{'s' if pollers > 1 else ''})",
                    "messages": count,
                    "seconds": seconds,
                    "msg_per_s": count / seconds,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    print("| setup | messages | seconds | messages/s |\n|---|---:|---:|---:|")
    for row in run(args.messages):
        seconds, rate = row["seconds"], row["msg_per_s"]
        print(f"| {row['setup']} | {row['messages']} | {seconds:.1f} | {rate:.0f} |")


if __name__ == "__main__":
    main()
