"""Fixtures shared by every test group."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import servers


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server (SQS, DynamoDB) on loopback for the whole session: its endpoint URL."""
    with servers.moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    """DynamoDB Local on loopback for the whole session: its endpoint URL (fails if missing)."""
    with servers.dynamodb_local() as endpoint:
        yield endpoint
