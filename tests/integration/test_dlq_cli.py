"""``triggersqs dlq list|redrive|purge`` against real servers: the embedded SQS server (which has
StartMessageMoveTask) and moto's stock server (which has not: the redrive falls back to
receive-send-delete and says so)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.test_sqs_redrive import bodies_in, dead_letter, into_dlq
from tests.support.sqs import counts, create_queue, sqs_client, sqs_server
from triggersqs.cli.app import main
from triggersqs.local.dlq_move import move_messages
from triggersqs.local.sqs_wire import QueueInfo

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@pytest.fixture(scope="module")
def embedded() -> Iterator[SQSClient]:
    with sqs_server() as url:
        client = sqs_client(url)
        yield client
        client.close()


@pytest.fixture(scope="module")
def stock(moto_endpoint: str) -> Iterator[SQSClient]:
    """moto's own server, without the embedded server's additions."""
    client = sqs_client(moto_endpoint)
    yield client
    client.close()


def dlq_cli(
    capsys: pytest.CaptureFixture[str], action: str, dlq: QueueInfo, *args: str
) -> tuple[int, str, str]:
    status = main(["dlq", action, "--queue-url", dlq.url, *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_list_shows_messages_with_their_source_and_leaves_them_in_the_dlq(
    embedded: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN two dead-lettered messages
    dlq, (queue,) = dead_letter(embedded)
    ids = into_dlq(embedded, queue, ['{"command": "Broken"', "plain text"])

    # WHEN an operator lists the DLQ
    status, out, err = dlq_cli(capsys, "list", dlq)

    # THEN each message is shown with its id, receive count and source queue
    assert status == 0
    assert all(message_id in out for message_id in ids)
    assert out.count(queue.url.rpartition("/")[2]) == 2
    assert "plain text" in out
    assert "2 shown" in err
    # AND they are all still in the DLQ, visible
    assert counts(embedded, dlq.url).visible == 2


def test_list_as_json_carries_every_attribute(
    embedded: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    dlq, (queue,) = dead_letter(embedded)
    into_dlq(embedded, queue, ["one"])

    status, out, _ = dlq_cli(capsys, "list", dlq, "--json")

    [message] = json.loads(out)
    assert status == 0
    assert message["body"] == "one"
    assert message["attributes"]["DeadLetterQueueSourceArn"] == queue.arn
    assert int(message["attributes"]["ApproximateReceiveCount"]) >= 1


def test_redrive_uses_the_move_task_and_reports_its_progress(
    embedded: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    dlq, (queue,) = dead_letter(embedded)
    into_dlq(embedded, queue, ["a", "b", "c"])

    status, out, err = dlq_cli(capsys, "redrive", dlq)

    assert status == 0
    assert "redrove 3 messages" in out
    assert "StartMessageMoveTask" in out
    assert "moved" in err
    assert bodies_in(embedded, queue.url) == ["a", "b", "c"]
    assert counts(embedded, dlq.url).visible == 0


def test_redrive_to_another_queue(embedded: SQSClient, capsys: pytest.CaptureFixture[str]) -> None:
    dlq, (queue,) = dead_letter(embedded)
    into_dlq(embedded, queue, ["x"])
    elsewhere = create_queue(embedded)

    status, _, _ = dlq_cli(capsys, "redrive", dlq, "--to", elsewhere.url)

    assert status == 0
    assert bodies_in(embedded, elsewhere.url) == ["x"]
    assert bodies_in(embedded, queue.url) == []


def test_redrive_falls_back_where_the_server_has_no_move_task_and_says_so(
    stock: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN moto's stock server, which answers StartMessageMoveTask with an error page
    dlq, (queue,) = dead_letter(stock)
    into_dlq(stock, queue, ["s1", "s2", "s3"])
    assert counts(stock, dlq.url).visible == 3

    # WHEN the DLQ is redriven to its source queue
    status, out, err = dlq_cli(capsys, "redrive", dlq)

    # THEN it falls back to receive-send-delete, says so, and moves every message back
    assert status == 0, err
    assert "no StartMessageMoveTask: falling back to receive-send-delete" in err
    assert "never lost" in err
    assert "redrove 3 messages" in out
    assert bodies_in(stock, queue.url) == ["s1", "s2", "s3"]
    assert counts(stock, dlq.url).visible == 0


def test_redrive_with_max_moves_only_that_many(
    stock: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    dlq, (queue,) = dead_letter(stock)
    into_dlq(stock, queue, [f"m{n}" for n in range(5)])

    status, out, _ = dlq_cli(capsys, "redrive", dlq, "--max", "2")

    assert status == 0
    assert "redrove 2 messages" in out
    assert counts(stock, queue.url).visible == 2
    assert counts(stock, dlq.url).visible == 3


class DiesBeforeDeleting:
    """An SQS client that is killed (KeyboardInterrupt) as it is about to delete from the DLQ:
    a process killed between sending copies and deleting the originals."""

    def __init__(self, real: SQSClient) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        if name == "delete_message_batch":
            raise KeyboardInterrupt
        return getattr(self._real, name)


def test_a_fallback_killed_between_send_and_delete_loses_nothing(stock: SQSClient) -> None:
    # GIVEN dead-lettered messages and a destination
    dlq, (queue,) = dead_letter(stock)
    into_dlq(stock, queue, ["k1", "k2", "k3"])
    destination = create_queue(stock)

    # WHEN the receive-send-delete redrive dies right after sending
    with pytest.raises(KeyboardInterrupt):
        move_messages(DiesBeforeDeleting(stock), dlq, to_url=destination.url, limit=None)  # type: ignore[arg-type]

    # THEN every message is still in the DLQ (given back) and also in the destination: a
    # duplicate, never a loss; a second run finishes the move
    assert bodies_in(stock, dlq.url) == ["k1", "k2", "k3"]
    assert bodies_in(stock, destination.url) == ["k1", "k2", "k3"]
    assert move_messages(stock, dlq, to_url=destination.url, limit=None).moved == 3
    assert counts(stock, dlq.url).visible == 0


def test_a_message_with_no_known_source_stays_and_the_redrive_says_why(
    stock: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a DLQ of two queues, on a server that does not record where a message came from
    dlq, _queues = dead_letter(stock, sources=2)
    stock.send_message(QueueUrl=dlq.url, MessageBody="orphan")

    status, _, err = dlq_cli(capsys, "redrive", dlq)

    assert status == 1
    assert "left in the DLQ" in err
    assert "--to" in err
    assert bodies_in(stock, dlq.url) == ["orphan"]


def test_purge_needs_yes_and_then_empties_the_dlq(
    embedded: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    dlq, (queue,) = dead_letter(embedded)
    into_dlq(embedded, queue, ["p1", "p2"])

    refused = dlq_cli(capsys, "purge", dlq)
    assert refused[0] == 2
    assert refused[2].startswith("triggersqs: purge deletes every message")
    assert counts(embedded, dlq.url).visible == 2

    status, out, _ = dlq_cli(capsys, "purge", dlq, "--yes")
    assert status == 0
    assert "about 2 messages" in out
    assert counts(embedded, dlq.url).visible == 0


def test_an_unreachable_queue_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.servers import free_port

    url = f"http://127.0.0.1:{free_port()}/123456789012/nowhere"
    status = main(["dlq", "list", "--queue-url", url])
    _, err = capsys.readouterr()
    assert status == 1  # a runtime failure: the endpoint may answer again (errors.py)
    assert err.startswith("triggersqs: cannot reach SQS")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_list_works_while_messages_arrive(
    embedded: SQSClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # A peek never takes a message away for good, even with a producer racing it.
    dlq, (queue,) = dead_letter(embedded)
    into_dlq(embedded, queue, [f"r{n}" for n in range(4)])
    sender = threading.Thread(
        target=lambda: [
            embedded.send_message(QueueUrl=dlq.url, MessageBody="late") for _ in range(3)
        ]
    )
    sender.start()
    status, _, _ = dlq_cli(capsys, "list", dlq, "--max", "3")
    sender.join()
    assert status == 0
    assert counts(embedded, dlq.url).visible == 7
