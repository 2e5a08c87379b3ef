"""Start real servers on loopback for tests: subprocesses on free ports, waited for until ready."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import pytest
    from boto3.session import Session
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

BIN = Path(sys.executable).parent


AWS_CLI = str(BIN / "aws")
"""The AWS CLI of the project's environment: an independent client of the local servers."""
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any TRIGGERSQS_ or AWS_ settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIGGERSQS_", "AWS_"))}
    return {**env, **extra}


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
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (in ``cwd``) until the block ends; ready once ``ready_url`` answers."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        list(command),
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        cwd=cwd,
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


DYNAMODB_LOCAL = Path(__file__).resolve().parents[2] / ".cache" / "dynamodb-local"
"""Where scripts/install-dynamodb-local puts DynamoDB Local (AWS's emulator jar)."""


@contextmanager
def dynamodb_local(
    *, quick_start: bool = True, port: int | None = None, db_path: Path | None = None
) -> Iterator[str]:
    """DynamoDB Local on ``port`` (a free one by default); yields its endpoint. Needs Java 17+.

    ``quick_start``: only the JVM's fast compiler and a single-threaded collector, which halves
    its start and warm-up on two cores (tests); off, its full JIT for long runs (benchmarks).
    In memory by default; with ``db_path`` (a directory), one shared database kept there, so a
    server started again on the same directory finds the tables and items of the last one.
    """
    jar = DYNAMODB_LOCAL / "DynamoDBLocal.jar"
    if not jar.is_file():
        raise RuntimeError(
            f"DynamoDB Local is not installed at {jar}: run scripts/install-dynamodb-local"
        )
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("DynamoDB Local needs Java 17 or newer on PATH")
    port = port or free_port()
    endpoint = f"http://127.0.0.1:{port}"
    storage = ["-inMemory"] if db_path is None else ["-sharedDb", "-dbPath", str(db_path)]
    command = [
        java,
        *(("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC") if quick_start else ()),
        f"-Djava.library.path={DYNAMODB_LOCAL / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        *storage,
        "-disableTelemetry",
        "-port",
        str(port),
    ]
    # It writes dynamodb-local-metadata.json into its working directory: keep that out of the tree.
    with (
        tempfile.TemporaryDirectory() as workdir,
        server_process(command, f"{endpoint}/", cwd=Path(workdir)),
    ):
        yield endpoint


class Relay:
    """A TCP relay on loopback in front of a server: a way to stop that server for one client.

    Clients talk to :attr:`endpoint`; :meth:`stop` closes the listening socket and every
    connection through it, as a stopped server does, while the server itself runs on for others.
    :attr:`delay` (seconds, changeable at any time) holds back every piece of every answer: a
    server that answers slowly.
    """

    def __init__(self, endpoint: str, *, delay: float = 0.0) -> None:
        self.delay = delay
        target = urlsplit(endpoint)
        self._target = (target.hostname or "127.0.0.1", target.port or 80)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # so the accepting thread sees stop() soon
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Refuse new connections and cut every open one."""
        self._stopped.set()
        self._thread.join()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                downstream, _ = self._listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._sockets += [downstream, upstream]
            for source, sink, slow in ((downstream, upstream, False), (upstream, downstream, True)):
                threading.Thread(target=self._pump, args=(source, sink, slow), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, slow: bool) -> None:
        """Copy bytes one way until either side closes; answers wait :attr:`delay` first."""
        with suppress(OSError):
            while data := source.recv(65536):
                if slow and self.delay:
                    time.sleep(self.delay)
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def local_aws_environment(**endpoints: str) -> dict[str, str]:
    """The AWS_ variables that point botocore's own configuration (what the composition root
    reads) at local servers, ``local_aws_environment(dynamodb=url, s3=url)``: dummy credentials,
    one region, no configuration files."""
    return {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        **{f"AWS_ENDPOINT_URL_{service.upper()}": url for service, url in endpoints.items()},
    }


def use_local_aws(monkeypatch: pytest.MonkeyPatch, **endpoints: str) -> None:
    """For one test: :func:`local_aws_environment`, and no other AWS_ or TRIGGERSQS_ setting of
    the machine running the tests."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "TRIGGERSQS_")):
            monkeypatch.delenv(name)
    for name, value in local_aws_environment(**endpoints).items():
        monkeypatch.setenv(name, value)


_boto3_session: Session | None = None


def dynamodb_client(
    endpoint: str, *, max_connections: int = 16, attempts: int = 3, read_timeout: float = 30
) -> DynamoDBClient:
    """A boto3 DynamoDB client for a local server, with dummy credentials and short timeouts."""
    global _boto3_session  # noqa: PLW0603 - one session: it caches the service model (~150 ms)
    import boto3
    from botocore.config import Config

    if _boto3_session is None:
        _boto3_session = boto3.session.Session()
    return _boto3_session.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(
            connect_timeout=2,
            read_timeout=read_timeout,
            retries={"mode": "standard", "total_max_attempts": attempts},
            max_pool_connections=max_connections,
        ),
    )


@contextmanager
def fresh_table(endpoint: str, prefix: str) -> Iterator[str]:
    """A new table of the store's schema, uniquely named ``<prefix>-...``, on the DynamoDB server
    at ``endpoint``; deleted when the block ends."""
    from triggersqs.storage.dynamodb import create_table

    admin = dynamodb_client(endpoint)
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    create_table(admin, name)
    try:
        yield name
    finally:
        admin.delete_table(TableName=name)
        admin.close()


def s3_client(endpoint: str) -> S3Client:
    """A boto3 S3 client for a local server (moto's), with dummy credentials."""
    global _boto3_session  # noqa: PLW0603 - the one session of dynamodb_client
    import boto3

    if _boto3_session is None:
        _boto3_session = boto3.session.Session()
    return _boto3_session.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
