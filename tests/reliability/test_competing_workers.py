"""Four `triggersqs worker` processes on one queue and one SQLite store, with every message sent
twice: exact counts. On a standard queue the two sends are two SQS messages (two message ids),
so each is stored twice and no message id once more; on a FIFO queue the second send carries the
same deduplication id, SQS drops it, and each is stored once.

Suite: 300 messages sent twice. `scripts/soak`: 1,000 sent twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.figures import Figures
from tests.support.sqs import drain_bodies, make_queue, queue_depth
from tests.support.stack import body, dev_stack, worker_on
from tests.support.tally import stored_at_least, tally_logs
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

WORKERS = 4
GROUPS = 8


def send_twice(
    sqs: object, queue_url: str, clients: list[str], *, fifo: bool, errors: list[str]
) -> None:
    """Two producers, each sending every message once, ten per request, at the same time."""

    def produce() -> None:
        for start in range(0, len(clients), 10):
            entries = []
            for offset, client in enumerate(clients[start : start + 10]):
                entry = {"Id": str(offset), "MessageBody": body(client)}
                if fifo:
                    entry["MessageGroupId"] = f"g{(start + offset) % GROUPS}"
                    entry["MessageDeduplicationId"] = client
                entries.append(entry)
            for attempt in range(5):
                try:
                    response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)  # type: ignore[attr-defined]
                except Exception as exc:  # noqa: BLE001 - retried, then reported
                    # moto's threaded server sometimes fails a request under this load
                    # ("Set changed size during iteration"); a producer sends again.
                    if attempt == 4:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                errors.extend(str(failure) for failure in response.get("Failed", []))
                break

    producers = [threading.Thread(target=produce) for _ in range(2)]
    for producer in producers:
        producer.start()
    for producer in producers:
        producer.join()


@pytest.mark.parametrize("fifo", [False, True], ids=["standard", "fifo"])
def test_four_workers_with_every_message_sent_twice_store_exact_counts(
    tmp_path: Path, soak: bool, figures: Figures, fifo: bool
) -> None:
    # GIVEN four workers consuming one queue into one SQLite file
    total = 1_000 if soak else 300
    clients = [f"client-{n:06d}" for n in range(total)]
    expected = total if fifo else 2 * total
    database = tmp_path / "triggersqs.db"
    debug = {"TRIGGERSQS_LOG_LEVEL": "DEBUG"}
    with dev_stack(tmp_path, "--concurrency", "0") as stack, ExitStack() as workers:
        sqs = stack.sqs()
        queue = make_queue(sqs, "competing", max_receive_count=10, visibility_timeout=5, fifo=fifo)
        errors: list[str] = []
        if fifo:
            # moto forgets a deduplication id once its message is deleted (SQS keeps it for five
            # minutes), so on FIFO both sends land before the workers start.
            send_twice(sqs, queue.url, clients, fifo=fifo, errors=errors)
        for _ in range(WORKERS):
            workers.enter_context(worker_on(stack, tmp_path, queue.url, env=debug))

        # WHEN two producers send every message at the same time
        if not fifo:
            send_twice(sqs, queue.url, clients, fifo=fifo, errors=errors)
        assert errors == []
        wait_for(lambda: stored_at_least(database, expected), 900, f"{expected} records")
        wait_for(lambda: queue_depth(sqs, queue.url) == 0, 120, "the queue to drain")
        dead = drain_bodies(sqs, queue.dlq_url)
        records = stack.all_records()
        workers.close()

    # THEN the counts are exact: twice per message (standard) or once (FIFO), no id twice
    per_client = Counter(record["client_id"] for record in records)
    tally = tally_logs(tmp_path)
    name = "competing_workers_fifo" if fifo else "competing_workers_standard"
    figures.add(
        name,
        workers=WORKERS,
        messages=total,
        sends=2 * total,
        expected=expected,
        stored=len(records),
        lost=sum(1 for c in clients if per_client[c] < expected // total),
        duplicated=sum(max(0, per_client[c] - expected // total) for c in clients),
        found_stored_on_redelivery=tally.outcomes["duplicate"],
        in_dlq=len(dead),
        workers_that_stored=sum(
            '"record stored"' in path.read_text() for path in tmp_path.glob("worker-*.log")
        ),
    )
    assert set(per_client.values()) == {expected // total}
    assert sorted(per_client) == clients
    assert len({record["message_id"] for record in records}) == len(records) == expected
    assert set(tally.stored_ids.values()) == {1}
    assert set(tally.stored_ids) == {record["message_id"] for record in records}
    assert dead == []
    assert tally.tracebacks == 0
