"""The store goes away while a worker consumes a queue: a SQLite file locked by another
connection, a SQLite file that is read-only, a DynamoDB endpoint that is stopped. The records
hit by the outage fail and come back; once the store is back, every message is stored exactly
once, and no message was reported stored that was not.

Suite: 300 messages, one outage each. `scripts/soak`: 3,000 messages, three outages each.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from tests.support.figures import Figures
from tests.support.servers import dynamodb_client, dynamodb_local, free_port
from tests.support.sqs import Queue, drain_bodies, make_queue, queue_depth, send_paced
from tests.support.stack import DevStack, body, dev_stack, worker_on
from tests.support.tally import sqlite_counts, stored_at_least, tally_logs
from tests.support.waiting import wait_for
from triggersqs.core.ports import RecordFilter
from triggersqs.storage.dynamodb import DynamoDbStore, create_table

pytestmark = pytest.mark.slow

VISIBILITY_TIMEOUT = 2
MAX_RECEIVE_COUNT = 10  # outages last a few receives; none may reach the DLQ
DEBUG = {"TRIGGERSQS_LOG_LEVEL": "DEBUG"}


@dataclass(frozen=True)
class Size:
    messages: int
    outages: int


@pytest.fixture
def size(soak: bool) -> Size:
    return Size(3_000, 3) if soak else Size(300, 1)


@dataclass
class Flow:
    """A stack, a queue, the messages sent to it, and the worker log folder."""

    stack: DevStack
    queue: Queue
    workdir: Path
    clients: list[str]
    producer: threading.Thread


@contextmanager
def flowing(workdir: Path, size: Size, name: str) -> Iterator[Flow]:
    """A dev stack (no poller of its own) and a queue receiving ``size.messages`` messages,
    spread over a few seconds per outage so that every outage lands in the stream."""
    clients = [f"{name}-{n:06d}" for n in range(size.messages)]
    with dev_stack(workdir, "--concurrency", "0") as stack:
        sqs = stack.sqs()
        queue = make_queue(
            sqs, name, max_receive_count=MAX_RECEIVE_COUNT, visibility_timeout=VISIBILITY_TIMEOUT
        )
        producer = threading.Thread(
            target=send_paced,
            args=(sqs, queue.url, [body(c) for c in clients], 4.0 * (size.outages + 1)),
        )
        producer.start()
        try:
            yield Flow(stack, queue, workdir, clients, producer)
        finally:
            producer.join()


def wait_for_failures(workdir: Path, more_than: int) -> int:
    """Wait until the workers logged more than ``more_than`` failed records; how many now."""
    wait_for(lambda: tally_logs(workdir).outcomes["failed"] > more_than, 120, "failed records")
    return tally_logs(workdir).outcomes["failed"]


def check_exactly_once(
    flow: Flow, stored: list[tuple[str, str]], figures: Figures, name: str, outages: int
) -> None:
    """Every client stored once (``stored``: message id and client id of each record), nothing
    reported stored that is not, the queue and its DLQ empty."""
    sqs = flow.stack.sqs()
    dead = drain_bodies(sqs, flow.queue.dlq_url)
    tally = tally_logs(flow.workdir)
    clients = [client for _, client in stored]
    figures.add(
        name,
        outages=outages,
        sent=len(flow.clients),
        stored=len(stored),
        lost=len(set(flow.clients) - set(clients)),
        duplicated=len(clients) - len(set(clients)),
        failed_during_outage=tally.outcomes["failed"],
        found_stored_on_redelivery=tally.outcomes["duplicate"],
        in_dlq=len(dead),
    )
    assert sorted(clients) == flow.clients
    assert len({message_id for message_id, _ in stored}) == len(stored)
    assert tally.outcomes["failed"] > 0, "the outage failed no record"
    assert set(tally.stored_ids) <= {message_id for message_id, _ in stored}
    assert set(tally.stored_ids.values()) == {1}, "a message was reported stored twice"
    assert dead == []
    assert queue_depth(sqs, flow.queue.url) == 0
    assert tally.tracebacks == 0


def drained(flow: Flow, count_stored: Callable[[], int]) -> None:
    """Wait until the producer is done, everything is stored, and the queue is empty."""
    flow.producer.join()
    total = len(flow.clients)
    wait_for(lambda: count_stored() >= total, 150, f"{total} records stored")
    sqs = flow.stack.sqs()
    wait_for(lambda: queue_depth(sqs, flow.queue.url) == 0, 120, "the queue to drain")


def api_records(stack: DevStack) -> list[tuple[str, str]]:
    return [(r["message_id"], r["client_id"]) for r in stack.all_records()]


def test_a_locked_sqlite_file_fails_the_records_hit_and_all_are_stored_once_after(
    tmp_path: Path, size: Size, figures: Figures
) -> None:
    # GIVEN a worker storing a stream of messages into the stack's SQLite file
    database = tmp_path / "triggersqs.db"
    with (
        flowing(tmp_path, size, "locked") as flow,
        worker_on(flow.stack, tmp_path, flow.queue.url, "--concurrency", "2", env=DEBUG),
    ):
        failed = 0
        for outage in range(size.outages):
            wait_for(partial(stored_at_least, database, (outage + 1) * 20), 120, "progress")
            # WHEN another connection holds the file with BEGIN EXCLUSIVE until batches fail
            locker = sqlite3.connect(database, isolation_level=None)
            try:
                locker.execute("BEGIN EXCLUSIVE")
                failed = wait_for_failures(tmp_path, failed)
                locker.execute("ROLLBACK")
            finally:
                locker.close()
        drained(flow, lambda: sqlite_counts(database)[0])

        # THEN every message is stored exactly once
        stored = api_records(flow.stack)
        check_exactly_once(flow, stored, figures, "store_outage_sqlite_locked", size.outages)


def test_a_read_only_sqlite_file_fails_the_records_hit_and_all_are_stored_once_after(
    tmp_path: Path, size: Size, figures: Figures
) -> None:
    # GIVEN workers that cannot override file modes, storing into the stack's SQLite file
    database = tmp_path / "triggersqs.db"
    with flowing(tmp_path, size, "readonly") as flow, ExitStack() as workers:

        def start_worker() -> None:
            workers.enter_context(
                worker_on(
                    flow.stack,
                    tmp_path,
                    flow.queue.url,
                    "--concurrency",
                    "2",
                    env=DEBUG,
                    obey_file_modes=True,
                )
            )

        start_worker()
        failed = 0
        for outage in range(size.outages):
            wait_for(partial(stored_at_least, database, (outage + 1) * 20), 120, "progress")
            # WHEN the file turns read-only and a worker (re)starts on it: a process that already
            # opened the file keeps writing through its open descriptor, as on any Unix
            workers.close()
            database.chmod(0o444)
            try:
                start_worker()
                failed = wait_for_failures(tmp_path, failed)
            finally:
                # ... and the file is writable again, under the same running worker
                database.chmod(0o644)
        drained(flow, lambda: sqlite_counts(database)[0])

        # THEN that worker recovers, and every message is stored exactly once
        stored = api_records(flow.stack)
        check_exactly_once(flow, stored, figures, "store_outage_sqlite_read_only", size.outages)


def test_a_stopped_dynamodb_endpoint_fails_the_records_hit_and_all_are_stored_once_after(
    tmp_path: Path, size: Size, figures: Figures
) -> None:
    # GIVEN DynamoDB Local keeping its data in a folder, on a port of its own, with the table
    data, port, table = tmp_path / "dynamodb", free_port(), f"outage-{uuid.uuid4().hex[:8]}"
    data.mkdir()
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        **DEBUG,
        "TRIGGERSQS_STORE": "dynamodb",
        "TRIGGERSQS_DYNAMODB_TABLE": table,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    def logged_stored() -> int:
        return tally_logs(tmp_path).outcomes["stored"] + tally_logs(tmp_path).outcomes["duplicate"]

    with flowing(tmp_path, size, "dynamodb") as flow:
        with dynamodb_local(port=port, db_path=data):
            admin = dynamodb_client(endpoint)
            create_table(admin, table)
            admin.close()
        with worker_on(flow.stack, tmp_path, flow.queue.url, "--concurrency", "2", env=env):
            failed = 0
            for outage in range(size.outages):
                # WHEN the endpoint runs a while, then is stopped until batches fail
                with dynamodb_local(port=port, db_path=data):
                    target = (outage + 1) * 20
                    wait_for(partial(at_least, logged_stored, target), 300, f"{target} stored")
                failed = wait_for_failures(tmp_path, failed)
            # ... and is started again on the same data
            with dynamodb_local(port=port, db_path=data):
                drained(flow, logged_stored)
                stored_by_logs = tally_logs(tmp_path).outcomes["stored"]
                store = DynamoDbStore(dynamodb_client(endpoint), table)
                stored = _all_records(store)
                store.close()

        # THEN once it is back, every message is stored exactly once
        assert stored_by_logs <= len(stored)
        check_exactly_once(flow, stored, figures, "store_outage_dynamodb_stopped", size.outages)


def at_least(count: Callable[[], int], target: int) -> bool:
    return count() >= target


def _all_records(store: DynamoDbStore) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    after = None
    while True:
        page = store.list_records(RecordFilter(), after=after, limit=1000)
        found.extend((record.message_id, record.client_id) for record in page.items)
        if not page.more:
            return found
        after = page.items[-1].cursor
