"""The composition root: the one place that turns settings into a store, a processor and an app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from triggersqs.batch import BatchPolicy, BatchProcessor
from triggersqs.errors import ConfigurationError
from triggersqs.service import RecordService
from triggersqs.settings import Settings
from triggersqs.storage.port import MessageStore

if TYPE_CHECKING:
    from fastapi import FastAPI
    from mypy_boto3_dynamodb import DynamoDBClient


def build_store(settings: Settings) -> MessageStore:
    """The configured store; nothing connects until first use."""
    if settings.store == "memory":
        from triggersqs.storage.memory import MemoryStore

        return MemoryStore()
    if settings.store == "sqlite":
        from triggersqs.storage.sqlite import SqliteStore

        return SqliteStore(settings.sqlite_path, synchronous=settings.sqlite_synchronous)
    if settings.store == "dynamodb":
        from triggersqs.storage.dynamodb import DEFAULT_MAX_WORKERS, DynamoDbStore

        client = build_dynamodb_client(max_connections=DEFAULT_MAX_WORKERS)
        return DynamoDbStore(client, settings.dynamodb_table, max_workers=DEFAULT_MAX_WORKERS)
    raise NotImplementedError(f"store {settings.store!r} is not available yet")


def build_dynamodb_client(*, max_connections: int = 10) -> DynamoDBClient:
    """A DynamoDB client: short timeouts, standard retries; imports boto3, so call it only if used.

    Region, credentials and endpoint come from the usual AWS sources (``AWS_REGION``,
    ``AWS_ENDPOINT_URL_DYNAMODB``, ...), which botocore reads itself.
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    config = Config(
        connect_timeout=1,
        read_timeout=3,
        retries={"mode": "standard", "total_max_attempts": 3},
        max_pool_connections=max_connections,
    )
    try:
        return boto3.session.Session().client("dynamodb", config=config)
    except NoRegionError as exc:
        raise ConfigurationError(
            "TRIGGERSQS_STORE=dynamodb needs an AWS region: set AWS_DEFAULT_REGION"
        ) from exc


def build_processor(settings: Settings, store: MessageStore) -> BatchProcessor:
    """The batch processor with the configured policy."""
    policy = BatchPolicy(
        max_body_bytes=settings.max_body_bytes,
        retry_invalid=settings.invalid_messages == "retry",
        allowed_queues=frozenset(settings.queue_arns),
        time_margin_ms=settings.time_margin_ms,
    )
    return BatchProcessor(store, policy)


def build_app(settings: Settings, store: MessageStore) -> FastAPI:
    """The HTTP API over ``store`` (imports FastAPI, so only HTTP paths call it)."""
    from triggersqs.api import create_app

    service = RecordService(store, settings.store, cursor_secret=settings.api_key or "")
    return create_app(service, api_key=settings.api_key)
