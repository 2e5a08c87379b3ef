"""The composition root: the one place that turns settings into a runtime.

Every entry point builds through here: the Lambda handler (``lambda_handler.py``), ``worker``,
``dev``, ``serve`` and ``invoke``. Tests swap in fakes through the same door
(``build_runtime(settings, store=...)``). Only this module and the CLI's argument layer read the
environment.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from triggersqs.aws_lambda.dispatch import Dispatcher, Route, refusal
from triggersqs.aws_lambda.http import HttpHandler, is_http_event
from triggersqs.aws_lambda.sqs import SqsHandler, is_sqs_event
from triggersqs.aws_lambda.types import LambdaContext, LambdaEvent
from triggersqs.core.batch import BatchPolicy, BatchProcessor
from triggersqs.core.observe import BatchObserver
from triggersqs.core.outcomes import BatchResponse
from triggersqs.core.ports import MessageStore
from triggersqs.core.service import RecordService
from triggersqs.errors import ConfigurationError
from triggersqs.logs import configure_logging
from triggersqs.settings import Settings

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from boto3.session import Session
    from mypy_boto3_dynamodb import DynamoDBClient
    from starlette.applications import Starlette

    from triggersqs.storage.budget import Budgeted, CallBudget


class Runtime:
    """What one process builds once from its settings: the store, the batch processor, the HTTP
    app (on its first use, so SQS cold starts never import Starlette) and the Lambda handler that
    leads the doors its role opens (``settings.role``), SQS and HTTP, into them.

    The consumer (``role="consumer"``) refuses HTTP events; the API function (``role="api"``)
    refuses SQS events before any other route looks at them, whatever else they look like, and
    builds no batch processor: whoever may invoke it directly cannot write through it.
    """

    def __init__(
        self, settings: Settings, store: MessageStore, observer: BatchObserver | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        role = settings.role
        self.processor = None if role == "api" else build_processor(settings, store, observer)
        # A door the role closes gets a handler that refuses everything, routed first, so an
        # event of its shape never reaches another door however else it looks.
        self.sqs: Callable[[LambdaEvent, LambdaContext], BatchResponse] = (
            refusal(_NO_SQS) if self.processor is None else SqsHandler(self.processor)
        )
        self.http: Callable[[LambdaEvent, LambdaContext], dict[str, Any]] = (
            refusal(_NO_HTTP)
            if role == "consumer"
            else HttpHandler(self.http_app, base_path=settings.api_base_path)
        )
        routes: list[Route] = [(is_sqs_event, self.sqs), (is_http_event, self.http)]
        self.handler = Dispatcher(routes)
        self._lock = threading.Lock()
        self._app: Starlette | None = None

    def __call__(self, event: object, context: LambdaContext) -> Any:  # noqa: ANN401 - JSON out
        """Handle one Lambda invocation (an SQS batch or an HTTP request)."""
        return self.handler(event, context)

    def http_app(self) -> Starlette:
        """The HTTP API over this runtime's store, built once."""
        if self.settings.role == "consumer":
            raise ConfigurationError(_NO_HTTP)
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = build_app(self.settings, self.store)
        return self._app

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()


_NO_SQS = "this function serves HTTP only (TRIGGERSQS_ROLE=api): it never takes SQS events"
_NO_HTTP = "this function consumes SQS batches only (TRIGGERSQS_ROLE=consumer): it serves no HTTP"


def require_role(settings: Settings, *doors: str, command: str) -> None:
    """Refuse to run ``command``, which opens ``doors`` ("sqs", "http"), under a role that closes
    one of them: a worker under ``api`` would fail every batch into the DLQ."""
    closed = {"api": "sqs", "consumer": "http"}.get(settings.role)
    if closed in doors:
        raise ConfigurationError(
            f"triggersqs {command} needs TRIGGERSQS_ROLE=all"
            f"{' or consumer' if closed == 'http' else ' or api'}"
            f" (it is {settings.role}, which serves no {closed.upper()})"
        )


def settings_from_environ(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings in ``environ`` (the process environment by default)."""
    return Settings.from_environ(os.environ if environ is None else environ)


def build_runtime(
    settings: Settings,
    *,
    store: MessageStore | None = None,
    observer: BatchObserver | None = None,
) -> Runtime:
    """The runtime of ``settings``; ``store`` replaces the configured one (tests, benchmarks);
    ``observer`` watches every batch (metrics)."""
    return Runtime(settings, build_store(settings) if store is None else store, observer)


def runtime_from_environ(environ: Mapping[str, str] | None = None) -> Runtime:
    """The Lambda execution environment's runtime: settings from the environment, JSON logs,
    and CloudWatch EMF metrics unless ``TRIGGERSQS_METRICS=off``."""
    settings = settings_from_environ(environ)
    configure_logging(settings.log_level)
    return build_runtime(settings, observer=build_lambda_metrics(settings))


def build_lambda_metrics(settings: Settings) -> BatchObserver | None:
    """The EMF observer of a Lambda runtime, or None when metrics are off."""
    if settings.metrics == "off":
        return None
    from triggersqs.aws_lambda.metrics import EmfMetrics

    return EmfMetrics(settings.metrics_namespace)


def build_store(settings: Settings) -> MessageStore:
    """The configured store; nothing connects until first use."""
    if settings.store == "memory":
        from triggersqs.storage.memory import MemoryStore

        return MemoryStore()
    if settings.store == "sqlite":
        from triggersqs.storage.retention import Retention
        from triggersqs.storage.sqlite import SqliteStore

        return SqliteStore(
            settings.sqlite_path,
            synchronous=settings.sqlite_synchronous,
            retention=Retention(settings.retention_days),
        )
    if settings.store == "dynamodb":
        from triggersqs.storage.dynamodb import DEFAULT_MAX_WORKERS, DynamoDbStore
        from triggersqs.storage.retention import Retention

        # Every client is built here, at init (Lambda builds the runtime when it imports the
        # handler module), not in the first invocation.
        session = _aws_session()
        bodies = None
        if settings.body_bucket:
            from triggersqs.storage.s3_bodies import BodyBucket

            bodies = BodyBucket(
                build_aws_clients("s3", max_connections=DEFAULT_MAX_WORKERS, session=session),
                settings.body_bucket,
                threshold_bytes=settings.body_s3_threshold_bytes,
            )
        return DynamoDbStore(
            build_aws_clients("dynamodb", max_connections=DEFAULT_MAX_WORKERS, session=session),
            settings.dynamodb_table,
            max_workers=DEFAULT_MAX_WORKERS,
            retention=Retention(settings.retention_days),
            bodies=bodies,
        )
    raise NotImplementedError(f"store {settings.store!r} is not available yet")


def build_dynamodb_client(*, max_connections: int = 10) -> DynamoDBClient:
    """A DynamoDB client with the widest budget (``create-table``); imports boto3."""
    from triggersqs.storage.budget import LADDER

    client: DynamoDBClient = _aws_client(_aws_session(), "dynamodb", LADDER[0], max_connections)
    return client


def build_aws_clients(
    service: str, *, max_connections: int, session: Session | None = None
) -> Budgeted[Any]:
    """One client of ``service`` per time budget (storage/budget.py), from one boto3 session."""
    from triggersqs.storage.budget import Budgeted

    session = session or _aws_session()
    return Budgeted.build(lambda budget: _aws_client(session, service, budget, max_connections))


def _aws_session() -> Session:
    import boto3

    return boto3.session.Session()


def _aws_client(session: Session, service: str, budget: CallBudget, max_connections: int) -> Any:  # noqa: ANN401 - a boto3 client of ``service``
    """A client of ``service`` with ``budget``'s timeouts and attempts (storage/budget.py).

    Region, credentials and endpoint come from the usual AWS sources (``AWS_REGION``,
    ``AWS_ENDPOINT_URL_DYNAMODB``, ...), which botocore reads itself.
    """
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    config = Config(
        connect_timeout=budget.connect_timeout,
        read_timeout=budget.read_timeout,
        retries={"mode": "standard", "total_max_attempts": budget.attempts},
        max_pool_connections=max_connections,
    )
    try:
        return session.client(service, config=config)  # type: ignore[call-overload]
    except NoRegionError as exc:
        raise ConfigurationError(
            "TRIGGERSQS_STORE=dynamodb needs an AWS region: set AWS_DEFAULT_REGION"
        ) from exc


def build_processor(
    settings: Settings, store: MessageStore, observer: BatchObserver | None = None
) -> BatchProcessor:
    """The batch processor with the configured policy, telling ``observer`` of each batch."""
    policy = BatchPolicy(
        max_body_bytes=settings.max_body_bytes,
        retry_invalid=settings.invalid_messages == "retry",
        allowed_queues=frozenset(settings.queue_arns),
        time_margin_ms=settings.time_margin_ms,
    )
    return BatchProcessor(store, policy, observer=observer)


def build_app(
    settings: Settings, store: MessageStore, *, pool: Executor | None = None
) -> Starlette:
    """The HTTP API over ``store`` (imports Starlette, so only HTTP paths call it); ``pool``: the
    threads its store queries run in, for a server (api/routes.py)."""
    from triggersqs.api import create_app

    service = RecordService(store, settings.store)
    return create_app(service, api_key=settings.api_key, pool=pool)
