"""HTTP event recognition: the four HTTP front doors of a Lambda function, and nothing else."""

from __future__ import annotations

import pytest

from tests.support.events import HTTP_KINDS, NEITHER_SQS_NOR_HTTP, HttpKind, http_event, load_event
from triggersqs.aws_lambda.http import is_http_event


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_real_http_events_are_recognised(kind: HttpKind) -> None:
    assert is_http_event(load_event(kind))


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_http_events_built_from_the_real_ones_are_recognised(kind: HttpKind) -> None:
    assert is_http_event(http_event(kind, "/healthcheck", query={"limit": "5"}))


@pytest.mark.parametrize("name", [*NEITHER_SQS_NOR_HTTP, "sqs_standard", "sqs_fifo"])
def test_other_events_are_not_taken_for_http(name: str) -> None:
    assert not is_http_event(load_event(name))


def test_an_http_api_payload_version_1_is_recognised() -> None:
    # GIVEN an HTTP API event in payload format 1.0: REST-like, with "version" but no "resource"
    event = load_event("api_gateway_rest_v1")
    del event["resource"]
    assert event["version"] == "1.0"

    assert is_http_event(event)


@pytest.mark.parametrize(
    "event",
    [
        {"requestContext": "x", "httpMethod": "GET", "resource": "/"},
        {"requestContext": {"elb": {}}},
        {"version": "2.0", "requestContext": {"http": "GET"}},
        {"requestContext": {}, "httpMethod": "GET"},
        {"httpMethod": "GET", "resource": "/", "path": "/"},
    ],
    ids=[
        "context-not-object",
        "alb-without-method",
        "v2-without-http",
        "v1-no-resource",
        "no-context",
    ],
)
def test_events_missing_what_an_http_front_door_sends_are_not_http(
    event: dict[str, object],
) -> None:
    assert not is_http_event(event)
