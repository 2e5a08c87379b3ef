"""The ladder's worst cases hold against botocore itself: clients built as the composition root
builds them, calling stand-in endpoints that never answer or throttle with the longest
``x-amz-retry-after`` botocore honours, never take longer than their rung says."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from tests.support.servers import use_local_aws
from triggersqs.bootstrap import build_aws_clients
from triggersqs.storage.budget import LADDER, CallBudget

ITEM = {"pk": {"S": "m"}, "sk": {"S": "#"}}


@pytest.fixture
def silent() -> Iterator[str]:
    """An endpoint that accepts connections (the kernel does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


class _Throttling(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        payload = json.dumps(
            {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow"}
        ).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("x-amz-retry-after", "60000")  # 60 s: botocore caps what it adds at 5 s
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def throttling() -> Iterator[str]:
    """An endpoint that throttles every request and asks for a 60 s wait before the next."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def timed_put(monkeypatch: pytest.MonkeyPatch, endpoint: str, rung: CallBudget) -> float:
    """Seconds one PutItem takes on the client of ``rung``, failing as it must."""
    use_local_aws(monkeypatch, dynamodb=endpoint)
    clients = build_aws_clients("dynamodb", max_connections=2)
    client = clients.clients[LADDER.index(rung)]
    started = time.monotonic()
    with pytest.raises((ReadTimeoutError, ClientError)):
        client.put_item(TableName="t", Item=ITEM)
    elapsed = time.monotonic() - started
    for made in clients.clients:
        made.close()
    return elapsed


@pytest.mark.parametrize("rung", LADDER[1:], ids=["middle", "narrow"])
def test_a_call_to_an_endpoint_that_never_answers_ends_within_its_rungs_worst_case(
    monkeypatch: pytest.MonkeyPatch, silent: str, rung: CallBudget
) -> None:
    elapsed = timed_put(monkeypatch, silent, rung)

    # Every attempt waited its read timeout (so botocore did retry), and no more than allowed
    assert rung.attempts * rung.read_timeout <= elapsed <= rung.worst_case


@pytest.mark.slow
def test_a_throttled_call_asked_to_wait_long_ends_within_its_rungs_worst_case(
    monkeypatch: pytest.MonkeyPatch, throttling: str
) -> None:
    rung = LADDER[1]  # two attempts: one wait, which the header stretches by up to 5 s

    elapsed = timed_put(monkeypatch, throttling, rung)

    assert 5.0 <= elapsed <= rung.worst_case
