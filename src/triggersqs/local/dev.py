"""``triggersqs dev``: the whole flow on one machine, in one process, with no AWS account.

An embedded SQS-compatible server (moto) on loopback, a queue with a dead-letter queue, the
poller calling the Lambda handler, the SQLite store, and the HTTP API under uvicorn. Its SQS
clients use the embedded endpoint and throwaway credentials only: nothing here can reach AWS.
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TextIO

from triggersqs.bootstrap import build_runtime
from triggersqs.errors import ConfigurationError
from triggersqs.local.console import Console
from triggersqs.local.console.queues import QueueWatch
from triggersqs.local.console.tally import OutcomeTally
from triggersqs.local.embedded_sqs import LOOPBACK, embedded_sqs
from triggersqs.local.limited_http import LimitedConfig
from triggersqs.local.loopback import LoopbackHostOnly
from triggersqs.local.poller import PollerSettings
from triggersqs.local.server import announce_access, served_app
from triggersqs.local.sqs_client import DEFAULT_REGION, SqsEndpoint, open_queue, region_of_environ
from triggersqs.local.worker import start_pollers, stop_on_signals
from triggersqs.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger("triggersqs.dev")

QUEUE_NAME = "triggersqs"
DLQ_NAME = "triggersqs-dlq"
MAX_RECEIVE_COUNT = 3
THROWAWAY_KEY = "test"
EXAMPLE_BODY = '{"command": "SetStatus", "client_id": "c79da7ce8e5e"}'


@dataclass(frozen=True, slots=True)
class DevOptions:
    """What ``triggersqs dev`` was asked for."""

    sqs_port: int = 9324
    api_port: int = 8000
    visibility_timeout: int = 10
    batch_size: int = 10
    batching_window: float = 0.0
    concurrency: int = 1
    wait_time: int = 1


def region_from(environ: Mapping[str, str]) -> str:
    """``AWS_REGION``, else ``AWS_DEFAULT_REGION``, else ``us-east-1``."""
    return region_of_environ(environ) or DEFAULT_REGION


def create_queues(sqs: SQSClient, visibility_timeout: int) -> tuple[str, str]:
    """The queue and its DLQ (``maxReceiveCount`` 3); returns their URLs."""
    dlq_url = sqs.create_queue(QueueName=DLQ_NAME)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT})
    queue_url = sqs.create_queue(
        QueueName=QUEUE_NAME,
        Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": str(visibility_timeout)},
    )["QueueUrl"]
    return queue_url, dlq_url


def banner(queue_url: str, dlq_url: str, api_url: str, endpoint: str, region: str) -> str:
    """What a newcomer needs to see the flow: where things are and what to paste."""
    aws = shlex.join(
        [
            "aws",
            "--endpoint-url",
            endpoint,
            "--region",
            region,
            "sqs",
            "send-message",
            "--queue-url",
            queue_url,
            "--message-body",
            EXAMPLE_BODY,
        ]
    )
    return "\n".join(
        [
            "triggersqs dev is running (Ctrl-C to stop)",
            f"  SQS endpoint : {endpoint}  (region {region}, any credentials)",
            f"  queue        : {queue_url}",
            f"  dead letters : {dlq_url}  (after {MAX_RECEIVE_COUNT} failed receives)",
            f"  HTTP API     : {api_url}/records   (docs: {api_url}/docs)",
            f"  console      : {api_url}/   (in a browser)",
            "",
            "Send a message:",
            f"  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test {aws}",
            "  .venv/bin/triggersqs send --command SetStatus --client-id c79da7ce8e5e",
            "Read it back:",
            f"  curl -s {api_url}/records",
            "  .venv/bin/triggersqs records",
            "",
        ]
    )


def run_dev(
    settings: Settings, options: DevOptions, *, region: str, out: TextIO = sys.stdout
) -> None:
    """Run the stack until SIGINT or SIGTERM."""
    import uvicorn

    with embedded_sqs(options.sqs_port) as endpoint:
        sqs_endpoint = SqsEndpoint(endpoint, region, THROWAWAY_KEY, THROWAWAY_KEY)
        sqs = sqs_endpoint.client()
        queue_url, dlq_url = create_queues(sqs, options.visibility_timeout)
        queue = open_queue(sqs, queue_url)
        # Accept only this stack's queue unless the settings name others.
        if not settings.queue_arns:
            settings = replace(settings, queue_arns=(queue.arn,))
        tally = OutcomeTally()
        runtime = build_runtime(settings, observer=tally)
        watch = QueueWatch(sqs_endpoint.client, queue, open_queue(sqs, dlq_url))
        console = Console("dev", tally=tally, queues=watch)
        api = uvicorn.Server(
            LimitedConfig(
                LoopbackHostOnly(served_app(settings, runtime.store, console=console)),
                host=LOOPBACK,
                port=options.api_port,
                log_level="warning",
            )
        )
        api_thread = threading.Thread(target=api.run, name="http-api", daemon=True)
        api_thread.start()
        stop = threading.Event()
        with stop_on_signals(stop):
            poller_settings = PollerSettings(
                options.batch_size, options.batching_window, options.wait_time
            )
            pollers = (
                start_pollers(
                    sqs_endpoint,
                    queue,
                    runtime,
                    poller_settings,
                    concurrency=options.concurrency,
                    stop=stop,
                )
                if options.concurrency
                else []  # `worker` processes consume instead
            )
            while not api.started and api_thread.is_alive():
                stop.wait(0.05)
            if not api_thread.is_alive():
                stop.set()
                raise ConfigurationError(f"the HTTP API could not start on port {options.api_port}")
            api_url = f"http://{LOOPBACK}:{options.api_port}"
            announce_access(settings.api_key, f"{LOOPBACK}:{options.api_port}")
            out.write(banner(queue_url, dlq_url, api_url, endpoint, region))
            out.flush()
            while not stop.wait(0.2):
                pass
            for thread in pollers:
                thread.join()
            api.should_exit = True
            api_thread.join(10)
        runtime.close()
