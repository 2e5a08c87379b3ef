"""An operator's recovery, as processes against ``triggersqs dev``: a message refused under
TRIGGERSQS_INVALID_MESSAGES=retry reaches the DLQ; ``dlq list`` shows it and where it came from,
``rejected show`` why; ``dlq redrive`` sends it back; ``rejected replay --body`` sends it corrected
and ``/rejected`` names the record it became; ``dlq purge --yes`` empties the DLQ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.sqs import send_bodies
from tests.support.stack import DevStack, dev_stack, run_triggersqs
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def in_dlq(stack: DevStack) -> int:
    return stack.queue_depth(stack.dlq_url)


def test_an_operator_finds_why_redrives_replays_corrected_and_purges(tmp_path: Path) -> None:
    env = {"TRIGGERSQS_INVALID_MESSAGES": "retry"}
    # (2 s: the handler gets the visibility timeout less TRIGGERSQS_TIME_MARGIN_MS, 1 s, to work)
    with dev_stack(tmp_path, "--visibility-timeout", "2", env=env) as stack:
        # GIVEN a message refused three times, now in the DLQ
        send_bodies(stack.sqs(), stack.queue_url, ['{"command": "SetStatus"}'])
        wait_for(lambda: in_dlq(stack) == 1, 60, "the refused message in the DLQ")

        # WHEN the operator lists the DLQ THEN it shows the message and its source queue
        listed = run_triggersqs("dlq", "list", "--queue-url", stack.dlq_url, "--json")
        assert listed.returncode == 0, listed.stderr
        [message] = json.loads(listed.stdout)
        assert message["attributes"]["DeadLetterQueueSourceArn"].endswith(":triggersqs")
        assert in_dlq(stack) == 1  # still there
        message_id = message["message_id"]

        # AND `rejected show` says why, by the same message id
        shown = run_triggersqs("rejected", "show", message_id, "--api-url", stack.api_url)
        assert shown.returncode == 0, shown.stderr
        assert "status: returned_to_queue" in shown.stdout
        assert "client_id: Field required" in shown.stdout

        # WHEN it is redriven THEN SQS's move task sends it back, and it is refused again
        redriven = run_triggersqs("dlq", "redrive", "--queue-url", stack.dlq_url)
        assert redriven.returncode == 0, redriven.stderr
        assert "redrove 1 messages" in redriven.stdout
        wait_for(lambda: in_dlq(stack) == 1, 60, "the redriven message back in the DLQ")

        # WHEN it is replayed corrected THEN it is stored, and /rejected names the new record
        fixed = tmp_path / "fixed.json"
        fixed.write_text('{"command": "SetStatus", "client_id": "c79da7ce8e5e"}')
        replayed = run_triggersqs(
            "rejected",
            "replay",
            message_id,
            "--body",
            str(fixed),
            "--queue-url",
            stack.queue_url,
            "--api-url",
            stack.api_url,
            cwd=tmp_path,  # where dev keeps its SQLite file: the mark goes there
        )
        assert replayed.returncode == 0, replayed.stderr
        wait_for(lambda: len(stack.all_records()) == 1, 30, "the corrected message stored")
        [record] = stack.all_records()
        assert stack.get(f"/rejected/{message_id}")["replayed_as"] == record["message_id"]

        # AND the DLQ is purged only with --yes
        assert run_triggersqs("dlq", "purge", "--queue-url", stack.dlq_url).returncode == 2
        purged = run_triggersqs("dlq", "purge", "--queue-url", stack.dlq_url, "--yes")
        assert purged.returncode == 0, purged.stderr
        wait_for(lambda: in_dlq(stack) == 0, 10, "the DLQ empty")
