"""`--log-format text|json` of `dev` as a user sees it: JSON lines when piped, readable text lines
(one per batch) when asked, and coloured text by default on a terminal; Lambda always JSON."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.servers import clean_env, free_port
from tests.support.sqs import send_bodies, sqs_client
from tests.support.stack import TRIGGERSQS, body, dev_stack
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


def batch_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if "batch processed" in line]


def test_piped_logs_are_json_lines_by_default(tmp_path: Path) -> None:
    with dev_stack(tmp_path) as stack:
        send_bodies(stack.sqs(), stack.queue_url, [body("json")])
        wait_for(lambda: bool(batch_lines(tmp_path / "dev.out")), 30, "a batch line")
        [line] = batch_lines(tmp_path / "dev.out")
    record = json.loads(line)
    assert (record["message"], record["stored"]) == ("batch processed", 1)


def test_text_logs_are_one_readable_line_per_batch(tmp_path: Path) -> None:
    with dev_stack(tmp_path, "--log-format", "text") as stack:
        send_bodies(stack.sqs(), stack.queue_url, [body("text")])
        wait_for(lambda: bool(batch_lines(tmp_path / "dev.out")), 30, "a batch line")
        [line] = batch_lines(tmp_path / "dev.out")
    assert not line.startswith("{")
    assert " INFO " in line
    assert "records=1 stored=1" in line
    assert "\x1b[" not in line  # a pipe gets no colour codes


def test_on_a_terminal_logs_are_coloured_text_by_default(tmp_path: Path) -> None:
    # GIVEN dev with its output on a terminal (a pseudo-terminal), no --log-format
    sqs_port, api_port = free_port(), free_port()
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [TRIGGERSQS, "dev", "--sqs-port", str(sqs_port), "--api-port", str(api_port)],
        cwd=tmp_path,
        env=clean_env(AWS_REGION="us-east-1"),
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    screen = b""

    def read_until(text: bytes, timeout: float) -> None:
        nonlocal screen
        deadline = time.monotonic() + timeout
        while text not in screen:
            assert time.monotonic() < deadline, screen.decode(errors="replace")[-2000:]
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                screen += os.read(leader, 65536)

    try:
        read_until(b"is ready", 60)
        # WHEN a message is processed
        sqs = sqs_client(f"http://127.0.0.1:{sqs_port}")
        url = sqs.get_queue_url(QueueName="triggersqs")["QueueUrl"]
        send_bodies(sqs, url, [body("terminal")])
        read_until(b"batch processed", 30)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
        os.close(leader)
    # THEN its line is text, with the level in colour
    [line] = [x for x in screen.decode().splitlines() if "batch processed" in x]
    assert "\x1b[32mINFO" in line
    assert "records=1 stored=1" in line
    assert process.returncode == 0


def test_lambda_logs_json_even_on_a_terminal(tmp_path: Path) -> None:
    # the Lambda entry point configures logging itself, with no flag: JSON, whatever stdout is
    script = (
        "import logging, triggersqs.bootstrap as b; b.runtime_from_environ({});"
        " logging.getLogger('triggersqs.x').info('hello')"
    )
    leader, follower = pty.openpty()
    done = subprocess.run(
        [str(Path(TRIGGERSQS).parent / "python"), "-c", script],
        stdout=follower,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    os.close(follower)
    output = os.read(leader, 65536).decode()
    os.close(leader)
    assert done.returncode == 0, done.stderr
    assert json.loads(output.strip())["message"] == "hello"
