"""``triggersqs serve`` as an operator runs it (the installed script in a subprocess): it refuses
to open an unauthenticated API beyond loopback, says at start whether the API is open, and keeps
hostile clients (huge, slow or idle requests, too many connections) from holding it (issue 11)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.servers import clean_env, free_port, wait_until_answering
from tests.support.stack import TRIGGERSQS, run_triggersqs

KEY = "serve-Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5o"


@contextmanager
def serving(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``triggersqs serve`` on a free loopback port with ``args``; yields its URL, then its log."""
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [TRIGGERSQS, "serve", "--port", str(port), *args],
            env=clean_env(TRIGGERSQS_SQLITE_PATH=str(tmp_path / "t.db"), **(env or {})),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(f"{url}/healthcheck", process)
            yield url
        finally:
            process.terminate()
            process.wait(15)


def log_lines(tmp_path: Path) -> list[dict[str, object]]:
    [log] = tmp_path.glob("serve-*.log")
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(10)
    return sock


def answer_of(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (then closed here too)."""
    chunks = []
    with sock:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# -- who may reach it ------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])  # noqa: S104 - what the test refuses
def test_serve_beyond_loopback_without_a_key_refuses_to_start(host: str) -> None:
    result = run_triggersqs("serve", "--host", host, "--port", str(free_port()), timeout=20)

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("triggersqs: ")
    assert "TRIGGERSQS_API_KEY" in line
    assert "--no-auth" in line


def test_serve_beyond_loopback_starts_with_a_key_or_with_no_auth(tmp_path: Path) -> None:
    # GIVEN serve on every interface, once with a key and once with --no-auth
    for args, env in (((), {"TRIGGERSQS_API_KEY": KEY}), (("--no-auth",), {})):
        with serving(tmp_path, "--host", "0.0.0.0", *args, env=env) as url:  # noqa: S104
            # THEN it answers
            assert httpx.get(f"{url}/healthcheck").status_code == 200


def test_serve_logs_at_start_that_its_api_is_open(tmp_path: Path) -> None:
    with serving(tmp_path):
        pass

    [line] = [line for line in log_lines(tmp_path) if "api_open" in line]
    assert line["api_open"] is True
    assert line["level"] == "WARNING"


def test_serve_logs_at_start_that_its_api_needs_the_key(tmp_path: Path) -> None:
    with serving(tmp_path, env={"TRIGGERSQS_API_KEY": KEY}):
        pass

    [line] = [line for line in log_lines(tmp_path) if "api_open" in line]
    assert line["api_open"] is False
    assert KEY not in json.dumps(line)


# -- hostile clients -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """serve with short timeouts and few connections, so that tests see the limits quickly."""
    args = ("--header-timeout", "1", "--max-connections", "8")
    with serving(tmp_path_factory.mktemp("limited"), *args) as url:
        yield url


def test_a_huge_header_is_refused_with_431_before_the_client_has_sent_it(limited: str) -> None:
    sock = connect(limited)
    # WHEN a client sends the first megabyte of a 48 MB header, and waits
    sock.sendall(b"GET /records HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000)

    # THEN the server has already answered 431 with a JSON message and closed the connection
    answer = answer_of(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b'"message"' in answer
    assert httpx.get(f"{limited}/healthcheck").status_code == 200


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(limited: str) -> None:
    sock = connect(limited)

    assert answer_of(sock).startswith(b"HTTP/1.1 408 ")


def test_a_client_trickling_its_headers_is_cut_off_at_the_header_timeout(
    limited: str, request: pytest.FixtureRequest
) -> None:
    sock = connect(limited)
    sock.sendall(b"GET /healthcheck HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    request.addfinalizer(sock.close)

    # WHEN it sends one more header line every 0.2 s, for up to 8 s
    closed = False
    while not closed and time.monotonic() - started < 8:
        try:
            sock.sendall(b"X-Slow: 1\r\n")
            time.sleep(0.2)
            sock.setblocking(False)
            closed = sock.recv(65536).startswith(b"HTTP/1.1 408 ")
        except BlockingIOError:
            pass
        except OSError:
            closed = True
        finally:
            sock.setblocking(True)

    # THEN the server cut it off
    assert closed


def test_a_kept_alive_connection_serves_several_requests(limited: str) -> None:
    with httpx.Client() as client:
        assert [client.get(f"{limited}/healthcheck").status_code for _ in range(3)] == [200] * 3


def test_a_connection_over_the_limit_gets_503_at_once_and_the_limit_frees_up(limited: str) -> None:
    # GIVEN the server's 8 connections taken by clients that say nothing
    held = [connect(limited) for _ in range(8)]
    time.sleep(0.2)

    # WHEN one more connects
    extra = connect(limited)

    # THEN it is answered 503 and closed before it sent a byte
    assert answer_of(extra).startswith(b"HTTP/1.1 503 ")
    # AND once the silent ones time out, new clients are served again
    for sock in held:
        answer_of(sock)
    assert httpx.get(f"{limited}/healthcheck").status_code == 200
