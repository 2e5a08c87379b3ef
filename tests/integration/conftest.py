"""Fixtures for integration tests: the API under a real uvicorn server, and Lambda events built
from the real payloads in tests/events."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
import uvicorn
from fastapi import FastAPI

from tests.events import HttpEventFactory, SqsEventFactory, http_event, sqs_event

Serve = Callable[[FastAPI], str]
"""Start serving an app; its base URL (``http://127.0.0.1:<port>``)."""

_START_TIMEOUT_S = 10.0


@contextmanager
def uvicorn_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread until the block ends."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped before it started serving")
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start within {_START_TIMEOUT_S} s")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(_START_TIMEOUT_S)


@pytest.fixture
def serve() -> Iterator[Serve]:
    """A factory: ``serve(app)`` runs ``app`` under uvicorn until the test ends."""
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(uvicorn_in_thread(app))


@pytest.fixture
def sqs_event_factory() -> SqsEventFactory:
    """Build SQS events from the real standard or FIFO payload: ``factory(*bodies, fifo=...)``."""
    return sqs_event


@pytest.fixture
def http_event_factory() -> HttpEventFactory:
    """Build HTTP events from the real payloads: ``factory(kind, path, query=..., headers=...)``."""
    return http_event
