"""Fixtures for integration tests: the API under a real uvicorn server, and Lambda events built
from the real payloads in tests/events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.support.events import HttpEventFactory, SqsEventFactory, http_event, sqs_event
from tests.support.serving import Serve, uvicorn_in_thread


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
