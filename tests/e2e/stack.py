"""Run triggersqs as a user does (`triggersqs dev`, `triggersqs worker` as processes) in tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from tests.servers import BIN, free_port, wait_until_answering

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

TRIGGERSQS = str(BIN / "triggersqs")
AWS_CLI = str(BIN / "aws")
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any TRIGGERSQS_ or AWS_ settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIGGERSQS_", "AWS_"))}
    return {**env, **extra}


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


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.2
) -> None:
    """Poll ``condition`` until true; fail the test naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@contextmanager
def dev_stack(
    workdir: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    region: str = "us-east-1",
) -> Iterator[DevStack]:
    """`triggersqs dev` in ``workdir`` on free ports; stopped with SIGINT, which must exit 0."""
    sqs_port, api_port = free_port(), free_port()
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
    command = [
        TRIGGERSQS,
        "worker",
        "--queue-url",
        stack.queue_url,
        "--endpoint-url",
        stack.endpoint,
        "--wait-time",
        "1",
        *args,
    ]
    log = (workdir / f"worker-{time.monotonic_ns()}.log").open("w")
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=clean_env(AWS_REGION=stack.region, **CREDENTIALS, **(env or {})),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def send_bodies(sqs: SQSClient, queue_url: str, bodies: list[str]) -> None:
    """Send every body, ten per request, failing loudly on any refusal."""
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)],
        )
        assert not response.get("Failed"), response.get("Failed")


def body(client_id: str, command: str = "SetStatus") -> str:
    """A valid message body."""
    return json.dumps({"command": command, "client_id": client_id})
