"""Run triggersqs as a user does, as processes: `triggersqs dev` (the dev stack), `triggersqs
worker` on its queues, and any command run to its end (:func:`run_triggersqs`)."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from tests.support import factories
from tests.support.servers import BIN, CREDENTIALS, clean_env, free_port, wait_until_answering

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

TRIGGERSQS = str(BIN / "triggersqs")


def run_triggersqs(
    *args: str,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """The installed ``triggersqs`` run to its end, with no AWS credentials, AWS configuration or
    TRIGGERSQS_* settings of the machine's, only ``env`` (on loopback, ``send`` must fall back to
    throwaway credentials by itself)."""
    isolated = {
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    environ = clean_env(**{**isolated, **(env or {})})
    return subprocess.run(
        [TRIGGERSQS, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


@dataclass
class DevStack:
    """A running `triggersqs dev` process and how to reach it."""

    process: subprocess.Popen[str]
    endpoint: str
    queue_url: str
    dlq_url: str
    api_url: str
    region: str
    banner: str

    def sqs(self) -> SQSClient:
        """A boto3 SQS client of the embedded server."""
        return boto3.client(
            "sqs",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def get(self, path: str) -> Any:
        """GET a path of the API and decode its JSON."""
        with urllib.request.urlopen(self.api_url + path, timeout=10) as response:  # noqa: S310
            return json.load(response)

    def all_records(self) -> list[dict[str, Any]]:
        """Every stored record, page by page."""
        found: list[dict[str, Any]] = []
        path = "/records?limit=1000"
        while True:
            page = self.get(path)
            found.extend(page["messages"].values())
            if page["next_cursor"] is None:
                return found
            path = f"/records?limit=1000&cursor={page['next_cursor']}"

    def queue_depth(self, url: str | None = None) -> int:
        """Visible plus in-flight messages of a queue (the main one by default)."""
        attributes = self.sqs().get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )


@contextmanager
def dev_stack(
    workdir: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    region: str = "us-east-1",
    ports: tuple[int, int] | None = None,
) -> Iterator[DevStack]:
    """`triggersqs dev` in ``workdir`` on free ports (or ``ports``: SQS, API); stopped with
    SIGINT, which must exit 0."""
    sqs_port, api_port = ports or (free_port(), free_port())
    command = [
        TRIGGERSQS,
        "dev",
        "--sqs-port",
        str(sqs_port),
        "--api-port",
        str(api_port),
        *args,
    ]
    log = (workdir / "dev.log").open("w")
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=clean_env(AWS_REGION=region, **(env or {})),
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    drain: threading.Thread | None = None
    try:
        assert process.stdout is not None
        banner = _read_banner(process)
        drain = _drain(process, workdir / "dev.out")  # logs follow the banner on stdout
        api_url = f"http://127.0.0.1:{api_port}"
        wait_until_answering(f"{api_url}/healthcheck", process)  # type: ignore[arg-type]
        stack = DevStack(
            process=process,
            endpoint=f"http://127.0.0.1:{sqs_port}",
            queue_url=_line_value(banner, "queue").split()[0],
            dlq_url=_line_value(banner, "dead letters").split()[0],
            api_url=api_url,
            region=region,
            banner=banner,
        )
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if drain is not None:
            drain.join(10)
        if process.stdout is not None:
            process.stdout.close()
        log.close()
    assert process.returncode == 0, (workdir / "dev.log").read_text()[-3000:]


def _read_banner(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + 60
    for line in process.stdout:
        lines.append(line)
        if line.startswith("triggersqs dev is ready"):
            return "".join(lines)
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"`triggersqs dev` printed no banner: {''.join(lines)!r}")


def _drain(process: subprocess.Popen[str], path: Path) -> threading.Thread:
    """Copy the rest of the process's stdout to ``path``, so its pipe never fills up."""
    assert process.stdout is not None
    stdout = process.stdout

    def copy() -> None:
        with path.open("w") as out:
            for line in stdout:
                out.write(line)
                out.flush()  # tests read it while the process runs

    thread = threading.Thread(target=copy, daemon=True)
    thread.start()
    return thread


def _line_value(banner: str, label: str) -> str:
    for line in banner.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == label:
            return value.strip()
    raise AssertionError(f"no {label!r} line in the banner:\n{banner}")


@contextmanager
def worker(
    stack: DevStack, workdir: Path, *args: str, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """`triggersqs worker` on the stack's queue; yields the process (stopped at the end)."""
    with worker_on(stack, workdir, stack.queue_url, *args, env=env) as process:
        yield process


_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _obey_file_modes() -> None:
    """In the child: give up root's power to ignore file modes (dropped across exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@contextmanager
def worker_on(
    stack: DevStack,
    workdir: Path,
    queue_url: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    obey_file_modes: bool = False,
) -> Iterator[subprocess.Popen[str]]:
    """`triggersqs worker` on ``queue_url`` in ``workdir`` (its SQLite file is the stack's);
    its JSON log goes to ``workdir/worker-*.log``. Killed at the end if still running.

    ``obey_file_modes``: when the tests run as root, the worker cannot write read-only files.
    """
    command = [
        TRIGGERSQS,
        "worker",
        "--queue-url",
        queue_url,
        "--endpoint-url",
        stack.endpoint,
        "--wait-time",
        "1",
        *args,
    ]
    log = (workdir / f"worker-{time.monotonic_ns()}.log").open("w")
    preexec = _obey_file_modes if obey_file_modes and os.geteuid() == 0 else None
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=clean_env(AWS_REGION=stack.region, **CREDENTIALS, **(env or {})),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=preexec,  # noqa: PLW1509 - only drops a capability, before exec
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def body(client_id: str, command: str = "SetStatus") -> str:
    """A valid message body for ``client_id`` (factories.body with the client first)."""
    return factories.body(command, client_id)
