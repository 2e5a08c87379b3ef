"""One Lambda function for SQS batches and HTTP requests: dispatch by event shape.

Like Mangum's adapter, a short ordered list of predicates picks the handler, and an event that
matches none fails loudly, naming what arrived. FastAPI and Mangum are imported on the first HTTP
request only, so SQS cold starts never pay for them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from triggersqs.bootstrap import build_app, build_processor, build_store
from triggersqs.errors import BatchFailedError, UnsupportedEventError
from triggersqs.http_event import is_http_event
from triggersqs.logs import request_id
from triggersqs.settings import Settings
from triggersqs.sqs_event import is_sqs_event, parse_sqs_event
from triggersqs.storage.port import MessageStore
from triggersqs.types import BatchResponse, LambdaContext, LambdaEvent

if TYPE_CHECKING:
    from mangum import Mangum

    from triggersqs.batch import BatchProcessor

_DESCRIBE_CHARS = 300


class LambdaApp:
    """The state one execution environment keeps between invocations: store, processor, API."""

    def __init__(self, settings: Settings, store: MessageStore | None = None) -> None:
        self.settings = settings
        self._store = store
        self._lock = threading.Lock()  # pollers call one handler from several threads
        self._processor: BatchProcessor | None = None
        self._http: Mangum | None = None
        self._routes: list[tuple[Callable[[LambdaEvent], bool], Callable[..., Any]]] = [
            (is_sqs_event, self.handle_sqs),
            (is_http_event, self.handle_http),
        ]

    @property
    def store(self) -> MessageStore:
        """The store, built on first use."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = build_store(self.settings)
        return self._store

    def __call__(self, event: object, context: LambdaContext) -> Any:  # noqa: ANN401
        """Handle one invocation."""
        if not isinstance(event, Mapping):
            raise UnsupportedEventError(f"expected a JSON object event, got {type(event).__name__}")
        token = request_id.set(getattr(context, "aws_request_id", None))
        try:
            for matches, handle in self._routes:
                if matches(event):
                    return handle(event, context)
            raise UnsupportedEventError(f"unsupported event: {_describe(event)}")
        finally:
            request_id.reset(token)

    def handle_sqs(self, event: LambdaEvent, context: LambdaContext) -> BatchResponse:
        """Process an SQS batch; raise when every record failed, so Lambda backs off."""
        if self._processor is None:
            store = self.store
            with self._lock:
                if self._processor is None:
                    self._processor = build_processor(self.settings, store)
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        report = self._processor.process(
            parse_sqs_event(event), remaining_ms=remaining() if remaining else None
        )
        if report.all_failed:
            first = report.results[0]
            raise BatchFailedError(
                f"all {len(report.results)} records failed; the first because: {first.reason}"
            )
        return report.response()

    def handle_http(self, event: LambdaEvent, context: LambdaContext) -> dict[str, Any]:
        """Serve an HTTP request through the FastAPI app."""
        if self._http is None:
            from mangum import Mangum

            store = self.store
            with self._lock:
                if self._http is None:
                    app = build_app(self.settings, store)
                    self._http = Mangum(
                        app, lifespan="off", api_gateway_base_path=self.settings.api_base_path
                    )
        # Mangum's context type lists every attribute of the real Lambda context; it reads few.
        return self._http(dict(event), cast("Any", context))


def _describe(event: Mapping[str, Any]) -> str:
    keys = sorted(str(key) for key in event)[:20]
    text = f"top-level keys {keys}"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], Mapping):
        source = records[0].get("eventSource") or records[0].get("EventSource")
        text += f", Records[0] from {json.dumps(source)[:60]}"
        if "cf" in records[0]:
            text += " (a CloudFront event)"
    return text[:_DESCRIBE_CHARS]
