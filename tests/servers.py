"""Start real servers on loopback for tests: subprocesses on free ports, waited for until ready."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Poll ``url`` until any HTTP answer arrives; fail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 - loopback http only
        except urllib.error.HTTPError:
            return  # an HTTP error status still means the server answers
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(
                    f"server exited with status {process.returncode}: {url}"
                ) from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer within {timeout} s: {url}") from None
            time.sleep(0.05)
        else:
            return


@contextmanager
def server_process(
    command: Sequence[str],
    ready_url: str,
    *,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` until the block ends; ready once ``ready_url`` answers."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        list(command), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
    )
    try:
        wait_until_answering(ready_url, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            out.close()  # type: ignore[union-attr]


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server (SQS and DynamoDB wire protocols) on a free port; yields its endpoint."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with server_process(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], f"{endpoint}/moto-api/"
    ):
        yield endpoint
