"""Malformed HTTP events get a 400 with a JSON message, in the shape their front door expects,
instead of raising inside Mangum (Lambda then answers 502) (issue 11)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.events import HTTP_KINDS, HttpKind, http_event
from triggersqs.bootstrap import Runtime, build_runtime
from triggersqs.local.context import LocalContext
from triggersqs.settings import Settings

Event = dict[str, Any]


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return build_runtime(Settings.build(store="memory"))


def single(kind: HttpKind) -> bool:
    return kind != "alb_multi_value"


def set_header(name: str, value: object) -> Callable[[HttpKind, Event], None]:
    def change(kind: HttpKind, event: Event) -> None:
        if single(kind):
            event["headers"][name] = value
        else:
            event["multiValueHeaders"][name] = [value]

    return change


def set_field(name: str, value: object) -> Callable[[HttpKind, Event], None]:
    return lambda _kind, event: event.__setitem__(name, value)


def query_value(value: object) -> Callable[[HttpKind, Event], None]:
    def change(kind: HttpKind, event: Event) -> None:
        if kind == "alb_multi_value":
            event["multiValueQueryStringParameters"] = {"limit": [value]}
        else:
            event["queryStringParameters"] = {"limit": value}

    return change


def base64_body(_kind: HttpKind, event: Event) -> None:
    event["isBase64Encoded"] = True
    event["body"] = "!!! not base64"


COMMON = {
    "host-x:y": set_header("host", "x:y"),
    "host-a:b:c": set_header("host", "a:b:c"),
    "forwarded-port-word": set_header("x-forwarded-port", "eighty"),
    "header-null": set_header("x-a", None),
    "header-number": set_header("x-a", 5),
    "header-list": set_header("x-a", ["a"]),
    "body-number": set_field("body", 5),
    "body-object": set_field("body", {"a": 1}),
    "body-not-base64": base64_body,
}
BY_KIND: dict[str, dict[str, Callable[[HttpKind, Event], None]]] = {
    "api_gateway_rest_v1": {
        "multi-value-header-number": lambda _k, e: e["multiValueHeaders"].__setitem__("x", [5]),
        "identity-null": lambda _k, e: e["requestContext"].__setitem__("identity", None),
        "path-number": set_field("path", 5),
    },
    "http_api_v2": {
        "headers-null": set_field("headers", None),
        "raw-query-null": set_field("rawQueryString", None),
        "raw-query-number": set_field("rawQueryString", 5),
        "cookies-numbers": set_field("cookies", [5]),
        "no-source-ip": lambda _k, e: e["requestContext"]["http"].pop("sourceIp"),
    },
    "function_url": {
        "headers-null": set_field("headers", None),
        "raw-query-null": set_field("rawQueryString", None),
    },
    "alb": {
        "headers-null": set_field("headers", None),
        "query-value-number": query_value(5),
        "query-value-list": query_value(["5"]),
        "path-number": set_field("path", 5),
    },
    "alb_multi_value": {
        "header-values-null": set_field("multiValueHeaders", {"x-a": None}),
        "query-value-number": query_value(5),
        "query-value-null": query_value(None),
    },
}
CASES = [
    pytest.param(kind, change, id=f"{kind}-{name}")
    for kind in HTTP_KINDS
    for name, change in {**COMMON, **BY_KIND[kind]}.items()
]


@pytest.mark.parametrize(("kind", "change"), CASES)
def test_a_malformed_http_event_is_answered_400_with_a_json_message(
    runtime: Runtime, kind: HttpKind, change: Callable[[HttpKind, Event], None]
) -> None:
    # GIVEN a real HTTP event of this front door with one field made malformed
    event = copy.deepcopy(http_event(kind, "/healthcheck"))
    change(kind, event)

    # WHEN the function gets it
    response = runtime(event, LocalContext.with_timeout(10))

    # THEN it answers 400 with a JSON message, in the shape the front door reads
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["message"].startswith("malformed HTTP event: ")
    headers = (
        {k: v[0] for k, v in response["multiValueHeaders"].items()}
        if kind == "alb_multi_value"
        else response["headers"]
    )
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize("kind", HTTP_KINDS)
def test_a_well_formed_event_with_a_port_in_its_host_is_served(
    runtime: Runtime, kind: HttpKind
) -> None:
    event = http_event(kind, "/healthcheck")
    set_header("host", "api.example.com:8443")(kind, event)

    assert runtime(event, LocalContext.with_timeout(10))["statusCode"] == 200


def test_a_rest_event_with_null_headers_and_parameters_is_served(runtime: Runtime) -> None:
    # API Gateway REST sends null for a request without headers or parameters
    event = http_event("api_gateway_rest_v1", "/healthcheck")
    event |= {"headers": None, "multiValueHeaders": None, "queryStringParameters": None}

    assert runtime(event, LocalContext.with_timeout(10))["statusCode"] == 200
