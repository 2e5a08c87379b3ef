"""Real AWS Lambda events (the JSON files in tests/events/) and builders of variants of them.

The builders start from a real payload and change only what a test needs (path, query, headers,
bodies), so every event the tests send keeps AWS's exact shape.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal, Protocol
from urllib.parse import quote_plus, urlencode

EVENTS_DIR: Final = Path(__file__).resolve().parents[1] / "events"

HttpKind = Literal["api_gateway_rest_v1", "http_api_v2", "function_url", "alb", "alb_multi_value"]
HTTP_KINDS: Final[tuple[HttpKind, ...]] = (
    "api_gateway_rest_v1",
    "http_api_v2",
    "function_url",
    "alb",
    "alb_multi_value",
)
NEITHER_SQS_NOR_HTTP: Final = (
    "s3",
    "sns",
    "eventbridge",
    "dynamodb_stream",
    "cloudfront_viewer_request",
    "empty",
)


class SqsEventFactory(Protocol):
    """The signature of :func:`sqs_event`, for fixtures that hand it out."""

    def __call__(
        self,
        *bodies: str,
        fifo: bool = ...,
        queue_arn: str | None = ...,
        message_ids: list[str] | None = ...,
        group: str = ...,
    ) -> dict[str, Any]: ...


class HttpEventFactory(Protocol):
    """The signature of :func:`http_event`, for fixtures that hand it out."""

    def __call__(
        self,
        kind: HttpKind,
        path: str = ...,
        *,
        query: Mapping[str, str] | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> dict[str, Any]: ...


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of the event in ``<name>.json``."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return event


def sqs_event(
    *bodies: str,
    fifo: bool = False,
    queue_arn: str | None = None,
    message_ids: list[str] | None = None,
    group: str = "group-1",
) -> dict[str, Any]:
    """An SQS event with one record per body, each a copy of the real file's first record."""
    template = load_event("sqs_fifo" if fifo else "sqs_standard")["Records"][0]
    ids = message_ids or [str(uuid.uuid4()) for _ in bodies]
    records = []
    for position, (message_id, body) in enumerate(zip(ids, bodies, strict=True)):
        record = copy.deepcopy(template)
        record["messageId"] = message_id
        record["body"] = body
        record["md5OfBody"] = hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
        if queue_arn is not None:
            record["eventSourceARN"] = queue_arn
        if fifo:
            attributes = record["attributes"]
            attributes["MessageGroupId"] = group
            attributes["MessageDeduplicationId"] = hashlib.sha256(body.encode()).hexdigest()
            attributes["SequenceNumber"] = str(18873177232222703872 + position)
        records.append(record)
    return {"Records": records}


def http_event(
    kind: HttpKind,
    path: str = "/records",
    *,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A GET request for ``path`` as ``kind`` delivers it, built from the real file."""
    event = load_event(kind)
    params = dict(query or {})
    extra = dict(headers or {})
    if kind == "api_gateway_rest_v1":
        event["path"] = event["requestContext"]["path"] = path
        event["queryStringParameters"] = params or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()} or None
        event["headers"] |= extra
        event["multiValueHeaders"] |= {k: [v] for k, v in extra.items()}
        event["body"] = None
    elif kind in {"http_api_v2", "function_url"}:
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["rawQueryString"] = urlencode(params)
        if params:
            event["queryStringParameters"] = params
        else:
            event.pop("queryStringParameters", None)
        event["headers"] |= {k.lower(): v for k, v in extra.items()}
    elif kind == "alb":
        # An ALB passes the query as it arrived, still URL-encoded.
        event["path"] = path
        event["queryStringParameters"] = {quote_plus(k): quote_plus(v) for k, v in params.items()}
        event["headers"] |= {k.lower(): v for k, v in extra.items()}
        event["body"] = ""
    else:
        event["path"] = path
        event["multiValueQueryStringParameters"] = {
            quote_plus(k): [quote_plus(v)] for k, v in params.items()
        }
        event["multiValueHeaders"] |= {k.lower(): [v] for k, v in extra.items()}
    return event
