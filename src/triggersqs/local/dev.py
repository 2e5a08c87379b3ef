"""``triggersqs dev``: the whole flow on one machine, in one process, with no AWS account.

An embedded SQS-compatible server (moto), a queue with a dead-letter queue (standard or FIFO), the
poller calling the Lambda handler, the SQLite store, and the HTTP API under uvicorn. Its SQS
clients use the embedded endpoint and throwaway credentials only: nothing here can reach AWS.

Start-up goes in an order that fails early and leaves nothing running: both ports are bound,
then the store is built and checked, and only then do servers and pollers start. Once everything
answers, the state file tells client commands in this folder where the stack is
(local/devstate.py), and the banner ends with the line that says it is ready.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from triggersqs.errors import ConfigurationError
from triggersqs.local.console import Console
from triggersqs.local.console.queues import QueueWatch
from triggersqs.local.console.tally import OutcomeTally
from triggersqs.local.dev_queues import (
    QueueSpec,
    banner,
    connect_host,
    create_queues,
    exposure_warning,
)
from triggersqs.local.devstate import DevState, remove_state, write_state
from triggersqs.local.embedded_sqs import LOOPBACK, embedded_sqs
from triggersqs.local.limited_http import LimitedConfig
from triggersqs.local.loopback import LoopbackHostOnly, is_loopback
from triggersqs.local.poller import PollerSettings
from triggersqs.local.server import announce_access, served_app
from triggersqs.local.sockets import bound_port, listen
from triggersqs.local.sqs_client import DEFAULT_REGION, SqsEndpoint, open_queue, region_of_environ
from triggersqs.local.startup import check_store
from triggersqs.local.worker import start_pollers, stop_on_signals
from triggersqs.settings import Settings

logger = logging.getLogger("triggersqs.dev")

THROWAWAY_KEY = "test"
_API_START_SECONDS = 30


@dataclass(frozen=True, slots=True)
class DevOptions:
    """What ``triggersqs dev`` was asked for."""

    sqs_port: int = 9324
    api_port: int = 8000
    host: str = LOOPBACK
    queue: QueueSpec = field(default_factory=QueueSpec)
    batch_size: int = 10
    batching_window: float = 0.0
    concurrency: int = 1
    wait_time: int = 1
    folder: Path | None = None
    """Where the state file goes (the working folder by default); see local/devstate.py."""


def region_from(environ: Mapping[str, str]) -> str:
    """``AWS_REGION``, else ``AWS_DEFAULT_REGION``, else ``us-east-1``."""
    return region_of_environ(environ) or DEFAULT_REGION


def run_dev(
    settings: Settings,
    options: DevOptions,
    *,
    region: str,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> None:
    """Run the stack until SIGINT or SIGTERM."""
    import uvicorn

    from triggersqs.bootstrap import build_runtime, build_store

    with ExitStack() as stack:
        sqs_socket = stack.enter_context(listen(options.host, options.sqs_port, "the SQS server"))
        api_socket = stack.enter_context(listen(options.host, options.api_port, "the HTTP API"))
        store = build_store(settings)
        check_store(store, settings, err=err)
        stack.callback(store.close)
        if not is_loopback(options.host):
            warning = exposure_warning(options.host, api_key=bool(settings.api_key))
            print(f"triggersqs: {warning}", file=err)

        stack.enter_context(embedded_sqs(host=options.host, listener=sqs_socket))
        host = connect_host(options.host)
        endpoint = f"http://{host}:{bound_port(sqs_socket)}"
        sqs_endpoint = SqsEndpoint(endpoint, region, THROWAWAY_KEY, THROWAWAY_KEY)
        sqs = sqs_endpoint.client()
        queue_url, dlq_url = create_queues(sqs, options.queue)
        queue = open_queue(sqs, queue_url)
        # Accept only this stack's queue unless the settings name others.
        if not settings.queue_arns:
            settings = replace(settings, queue_arns=(queue.arn,))
        tally = OutcomeTally()
        runtime = build_runtime(settings, store=store, observer=tally)
        watch = QueueWatch(sqs_endpoint.client, queue, open_queue(sqs, dlq_url))
        console = Console("dev", tally=tally, queues=watch)
        app = served_app(settings, runtime.store, console=console)
        # Bound to loopback, the API answers loopback host names only (DNS rebinding); bound
        # beyond it on purpose (--host, a container), it answers the names it is reached by.
        served = LoopbackHostOnly(app) if is_loopback(options.host) else app
        api = uvicorn.Server(LimitedConfig(served, log_level="warning"))
        api_thread = threading.Thread(
            target=api.run, kwargs={"sockets": [api_socket]}, name="http-api", daemon=True
        )
        api_thread.start()
        stop = threading.Event()
        with stop_on_signals(stop):
            pollers = (
                start_pollers(
                    sqs_endpoint,
                    queue,
                    runtime,
                    PollerSettings(options.batch_size, options.batching_window, options.wait_time),
                    concurrency=options.concurrency,
                    stop=stop,
                )
                if options.concurrency
                else []  # `worker` processes consume instead
            )
            try:
                _wait_until_started(api, api_thread, stop)
                api_url = f"http://{host}:{bound_port(api_socket)}"
                announce_access(settings.api_key, f"{options.host}:{bound_port(api_socket)}")
                state = DevState(os.getpid(), endpoint, queue_url, dlq_url, region, api_url)
                with _published(options.folder or Path.cwd(), state):
                    out.write(banner(queue_url, dlq_url, api_url, endpoint, region, options.queue))
                    out.flush()
                    while not stop.wait(0.2):
                        pass
            finally:
                stop.set()
                for thread in pollers:
                    thread.join()
                api.should_exit = True
                api_thread.join(10)


def _wait_until_started(api: object, thread: threading.Thread, stop: threading.Event) -> None:
    waited = 0.0
    while not getattr(api, "started", False) and thread.is_alive() and not stop.is_set():
        stop.wait(0.05)
        waited += 0.05
        if waited > _API_START_SECONDS:
            break
    if not getattr(api, "started", False) and not stop.is_set():
        raise ConfigurationError("the HTTP API could not start")


@contextmanager
def _published(folder: Path, state: DevState) -> Iterator[None]:
    """The state file, for client commands run from ``folder``, while the block runs."""
    try:
        write_state(folder, state)
    except OSError as exc:  # a read-only folder: the stack works, clients need flags
        logger.warning("cannot write the state file", extra={"error": str(exc)})
        yield
        return
    try:
        yield
    finally:
        remove_state(folder, state.pid)
