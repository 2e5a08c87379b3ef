"""The composition root: the one place that turns settings into a runtime.

Every entry point builds through here: the Lambda handler (``lambda_handler.py``), ``worker``,
``dev``, ``serve`` and ``invoke``. Tests swap in fakes through the same door
(``build_runtime(settings, store=...)``). Only this module and the CLI's argument layer read the
environment.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from triggersqs.aws_lambda.dispatch import Dispatcher
from triggersqs.aws_lambda.http import HttpHandler, is_http_event
from triggersqs.aws_lambda.sqs import SqsHandler, is_sqs_event
from triggersqs.aws_lambda.types import LambdaContext
from triggersqs.core.batch import BatchPolicy, BatchProcessor
from triggersqs.core.ports import MessageStore
from triggersqs.core.service import RecordService
from triggersqs.errors import ConfigurationError
from triggersqs.logs import configure_logging
from triggersqs.settings import Settings

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from fastapi import FastAPI
    from mypy_boto3_dynamodb import DynamoDBClient


class Runtime:
    """What one process builds once from its settings: the store, the batch processor, the HTTP
    app (on its first use, so SQS cold starts never import FastAPI) and the Lambda handler that
    leads both doors, SQS and HTTP, into them."""

    def __init__(self, settings: Settings, store: MessageStore) -> None:
        self.settings = settings
        self.store = store
        self.processor = build_processor(settings, store)
        self.sqs = SqsHandler(self.processor)
        self.http = HttpHandler(self.http_app, base_path=settings.api_base_path)
        self.handler = Dispatcher([(is_sqs_event, self.sqs), (is_http_event, self.http)])
        self._lock = threading.Lock()
        self._app: FastAPI | None = None

    def __call__(self, event: object, context: LambdaContext) -> Any:  # noqa: ANN401 - JSON out
        """Handle one Lambda invocation (an SQS batch or an HTTP request)."""
        return self.handler(event, context)

    def http_app(self) -> FastAPI:
        """The HTTP API over this runtime's store, built once."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = build_app(self.settings, self.store)
        return self._app

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()


def settings_from_environ(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings in ``environ`` (the process environment by default)."""
    return Settings.from_environ(os.environ if environ is None else environ)


def build_runtime(settings: Settings, *, store: MessageStore | None = None) -> Runtime:
    """The runtime of ``settings``; ``store`` replaces the configured one (tests, benchmarks)."""
    return Runtime(settings, build_store(settings) if store is None else store)


def runtime_from_environ(environ: Mapping[str, str] | None = None) -> Runtime:
    """The Lambda execution environment's runtime: settings from the environment, JSON logs."""
    settings = settings_from_environ(environ)
    configure_logging(settings.log_level)
    return build_runtime(settings)


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


def build_app(settings: Settings, store: MessageStore, *, pool: Executor | None = None) -> FastAPI:
    """The HTTP API over ``store`` (imports FastAPI, so only HTTP paths call it); ``pool``: the
    threads its store queries run in, for a server (api/routes.py)."""
    from triggersqs.api import create_app

    service = RecordService(store, settings.store)
    return create_app(service, api_key=settings.api_key, pool=pool)
