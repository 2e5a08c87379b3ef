"""Fixtures for integration tests: the API under a real uvicorn server, an embedded SQS server per
module, a client of DynamoDB Local, and Lambda events built from the real payloads in
tests/events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pytest

from tests.support.events import HttpEventFactory, SqsEventFactory, http_event, sqs_event
from tests.support.servers import dynamodb_client
from tests.support.serving import Serve, uvicorn_in_thread
from tests.support.sqs import sqs_client, sqs_server

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient


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


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """The endpoint URL of an embedded SQS server of the test module's own."""
    with sqs_server() as url:
        yield url


@pytest.fixture(scope="module")
def sqs(endpoint: str) -> Iterator[SQSClient]:
    """A boto3 SQS client of that server (a module may define its own ``sqs`` instead)."""
    client = sqs_client(endpoint)
    yield client
    client.close()


@pytest.fixture
def admin(dynamodb_local_endpoint: str) -> Iterator[DynamoDBClient]:
    """A client of DynamoDB Local, to look at a table behind the store's back."""
    client = dynamodb_client(dynamodb_local_endpoint)
    yield client
    client.close()
