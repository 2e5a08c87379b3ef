"""The shape an HTTP event must have before Mangum reads it, and the 400 answer when it has not.

Mangum trusts the event: a ``Host`` of ``x:y``, a header value that is null, a number or a list,
``headers: null``, ``rawQueryString: null``, a non-string query value or body, or a body that is
not the base64 it claims to be made it raise, and Lambda answered 502 (issue 11). Each field
Mangum reads (mangum/handlers/api_gateway.py, alb.py, utils.py) is checked here, per front door;
a bad one gets a 400 with a JSON message in the shape that front door expects back.

A real API Gateway or ALB never sends such events, but anything that can invoke the function
can, and a test harness or proxy may build them by hand.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from triggersqs.aws_lambda.types import LambdaEvent


class Malformed(Exception):  # noqa: N818 - a private signal, never raised out of this module
    """What is wrong with an event, as the 400's message says it."""


def malformed(event: LambdaEvent) -> str | None:
    """Why Mangum cannot read this HTTP event, or None when it can."""
    try:
        context = event["requestContext"]
        if "elb" in context:
            _check_alb(event)
        elif event.get("version") == "2.0":
            _check_v2(event, context)
        else:
            _check_v1(event, context)
        _check_body(event)
    except Malformed as exc:
        return f"malformed HTTP event: {exc}"
    return None


def bad_request(event: LambdaEvent, message: str) -> dict[str, Any]:
    """A 400 with ``{"message": ...}`` as the event's front door expects a response."""
    headers = {"content-type": "application/json"}
    response: dict[str, Any] = {
        "statusCode": 400,
        "body": json.dumps({"message": message}),
        "isBase64Encoded": False,
    }
    if "elb" in event["requestContext"]:
        response["statusDescription"] = "400 Bad Request"
    if "elb" in event["requestContext"] and "multiValueHeaders" in event:
        # A target group with multi-value headers on reads only these.
        response["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    else:
        response["headers"] = headers
    return response


def _check_v2(event: LambdaEvent, context: Mapping[str, Any]) -> None:
    headers = _strings(event.get("headers", {}), "headers")
    http = context["http"]
    if "sourceIp" not in http:
        raise Malformed("requestContext.http.sourceIp is missing")
    for name in ("path", "method"):
        if not isinstance(http.get(name), str):
            raise Malformed(f"requestContext.http.{name} must be a string")
    if not isinstance(event.get("rawQueryString", ""), str):
        raise Malformed("rawQueryString must be a string")
    cookies = event.get("cookies")
    if cookies is not None and not _list_of_strings(cookies):
        raise Malformed("cookies must be a list of strings")
    _check_host({name.lower(): value for name, value in headers.items()})


def _check_v1(event: LambdaEvent, context: Mapping[str, Any]) -> None:
    # API Gateway sends null headers and parameters for a request without any.
    headers = _strings(event.get("headers") or {}, "headers")
    multi = _lists_of_strings(event.get("multiValueHeaders") or {}, "multiValueHeaders")
    _strings(event.get("queryStringParameters") or {}, "queryStringParameters")
    _lists_of_strings(
        event.get("multiValueQueryStringParameters") or {}, "multiValueQueryStringParameters"
    )
    if not isinstance(context.get("identity", {}), Mapping):
        raise Malformed("requestContext.identity must be an object")
    _check_path_and_method(event)
    merged = {name.lower(): value for name, value in headers.items()}
    merged |= {name.lower(): ", ".join(values) for name, values in multi.items() if values}
    _check_host(merged)


def _check_alb(event: LambdaEvent) -> None:
    if "multiValueHeaders" in event:
        multi = _lists_of_strings(event["multiValueHeaders"], "multiValueHeaders")
        headers = {name.lower(): values[-1] for name, values in multi.items() if values}
    else:
        headers = {k.lower(): v for k, v in _strings(event.get("headers"), "headers").items()}
    if "multiValueQueryStringParameters" in event:
        _lists_of_strings(
            event["multiValueQueryStringParameters"] or {}, "multiValueQueryStringParameters"
        )
    else:
        _strings(event.get("queryStringParameters") or {}, "queryStringParameters")
    _check_path_and_method(event)
    _check_host(headers)


def _check_path_and_method(event: LambdaEvent) -> None:
    if not isinstance(event.get("path") or "", str):
        raise Malformed("path must be a string")
    if not isinstance(event.get("httpMethod"), str):
        raise Malformed("httpMethod must be a string")


def _check_host(headers: Mapping[str, str]) -> None:
    """Mangum splits ``Host`` at ``:`` into a name and a port number (else X-Forwarded-Port)."""
    host = headers.get("host", "")
    if ":" in host:
        _name, _, port = host.partition(":")
        if not (port.isascii() and port.isdigit()):
            raise Malformed("the Host header's port must be a number")
    elif "x-forwarded-port" in headers:
        port = headers["x-forwarded-port"]
        if not (port.isascii() and port.isdigit()):
            raise Malformed("the X-Forwarded-Port header must be a number")


def _check_body(event: LambdaEvent) -> None:
    body = event.get("body")
    if body is None:
        return
    if not isinstance(body, str):
        raise Malformed("body must be a string")
    if event.get("isBase64Encoded"):
        try:
            base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise Malformed("body is marked base64 but is not base64") from None


def _strings(value: object, field: str) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise Malformed(f"{field} must be an object of strings")
    return value


def _lists_of_strings(value: object, field: str) -> Mapping[str, list[str]]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and _list_of_strings(v) for k, v in value.items()
    ):
        raise Malformed(f"{field} must be an object of lists of strings")
    return value


def _list_of_strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
