"""Workers killed with SIGKILL at random moments while messages flow: nothing lost, nothing
stored twice, and only the deliberately invalid messages end in the dead-letter queue.

Suite: 1,000 messages, 3 kills. `scripts/soak`: 10,000 messages, 12 kills.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from tests.support.figures import Figures
from tests.support.sqs import drain_bodies, make_queue, queue_depth, send_paced
from tests.support.stack import body, dev_stack, worker_on
from tests.support.tally import sqlite_counts, stored_at_least, tally_logs
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

VISIBILITY_TIMEOUT = 2
MAX_RECEIVE_COUNT = 4
INVALID_EVERY = 100  # one message in a hundred is not JSON


def test_a_worker_killed_at_random_moments_stores_every_valid_message_exactly_once(
    tmp_path: Path, soak: bool, figures: Figures
) -> None:
    # GIVEN a queue whose DLQ takes a message after 4 receives, valid messages with a few
    # invalid ones among them, and workers that return invalid messages to the queue (retry)
    total, kills = (10_000, 12) if soak else (1_000, 3)
    rng = random.Random(f"kills-{total}")
    bodies = [
        f"not json #{n}" if n % INVALID_EVERY == INVALID_EVERY - 1 else body(f"client-{n:06d}")
        for n in range(total)
    ]
    invalid = {text for text in bodies if text.startswith("not json")}
    valid_clients = sorted(f"client-{n:06d}" for n in range(total) if bodies[n] not in invalid)
    # DEBUG: a log line per stored record, so what each worker reported stored can be checked.
    retry = {"TRIGGERSQS_INVALID_MESSAGES": "retry", "TRIGGERSQS_LOG_LEVEL": "DEBUG"}
    database = tmp_path / "triggersqs.db"

    with dev_stack(tmp_path, "--concurrency", "0") as stack:
        sqs = stack.sqs()
        queue = make_queue(
            sqs,
            "kills",
            max_receive_count=MAX_RECEIVE_COUNT,
            visibility_timeout=VISIBILITY_TIMEOUT,
        )
        # The stream lasts long enough for every kill to land in it.
        stream_seconds = 4.0 * (kills + 1)
        producer = threading.Thread(
            target=send_paced, args=(sqs, queue.url, bodies, stream_seconds)
        )
        producer.start()

        # WHEN a worker is killed with SIGKILL at a random moment, again and again, each time
        # after it stored some messages, and restarted
        stored_at_kills: list[int] = []
        for kill in range(kills):
            target = (kill + 1) * len(valid_clients) // (kills + 2)
            with worker_on(stack, tmp_path, queue.url, "--concurrency", "2", env=retry) as w:
                started = time.monotonic()
                wait_for(partial(stored_at_least, database, target), 300, f"{target} stored")
                # Let what the previous victim held come back (visibility timeout) first.
                left = VISIBILITY_TIMEOUT + 1 - (time.monotonic() - started)
                time.sleep(max(left, 0) + rng.uniform(0, 1.0))
                os.kill(w.pid, signal.SIGKILL)
                assert w.wait() == -signal.SIGKILL
            stored_at_kills.append(sqlite_counts(database)[0])

        # ... and a last worker runs until the stream is through
        with worker_on(stack, tmp_path, queue.url, "--concurrency", "2", env=retry):
            producer.join()
            wait_for(partial(stored_at_least, database, len(valid_clients)), 600, "all stored")
            wait_for(lambda: queue_depth(sqs, queue.url) == 0, 120, "the queue to drain")
        dead = drain_bodies(sqs, queue.dlq_url)
        records = stack.all_records()

    # THEN every valid message is stored exactly once, and the DLQ holds only the invalid ones
    clients = [record["client_id"] for record in records]
    tally = tally_logs(tmp_path)
    figures.add(
        "worker_kills",
        kills=kills,
        sent=total,
        valid_sent=len(valid_clients),
        invalid_sent=len(invalid),
        stored=len(records),
        lost=len(set(valid_clients) - set(clients)),
        duplicated=len(clients) - len(set(clients)),
        redelivered_and_found_stored=tally.outcomes["duplicate"],
        stored_with_receive_count_above_1=sum(r["receive_count"] > 1 for r in records),
        in_dlq=len(dead),
        valid_in_dlq=len([text for text in dead if text not in invalid]),
        left_on_queue=0,
    )
    assert stored_at_kills == sorted(stored_at_kills)
    assert stored_at_kills[-1] < len(valid_clients), "the last kill came after the end"
    assert sorted(clients) == valid_clients
    assert len({record["message_id"] for record in records}) == len(records)
    assert sorted(dead) == sorted(invalid)
    # A kill between the commit and the log line leaves a record stored but not logged so.
    assert set(tally.stored_ids) <= {record["message_id"] for record in records}
    assert set(tally.stored_ids.values()) == {1}, "no message reported stored twice"
    assert tally.tracebacks == 0
