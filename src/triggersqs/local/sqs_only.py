"""What the embedded SQS server answers: the SQS API, to SDKs and the AWS CLI, and nothing else.

moto's server also serves its management API (``/moto-api/data.json`` lists every message body,
``/moto-api/reset`` wipes every queue), instance metadata, every other AWS service, and grants
CORS to any origin: any web page the developer visited could read and wipe the queues (issue 11).
This WSGI wrapper in front of it

- answers 404 for the management and metadata paths;
- answers 403 to anything only a browser sends: an ``Origin`` header (every cross-origin
  request, and every POST), ``Sec-Fetch-Site`` other than ``none``, or a ``Host`` that is not a
  loopback name (a DNS-rebinding page reaches loopback under its own name);
- answers 403 to a request for another AWS service than SQS;
- removes every ``Access-Control-*`` header from moto's answers, so no origin is ever granted.

SDKs and the AWS CLI send none of those headers and name SQS in their signature or target.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Final

from triggersqs.local.loopback import is_loopback_host

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_MANAGEMENT_PATHS: Final = ("/moto-api", "/latest/", "/favicon.ico")


class SqsOnly:
    """WSGI middleware: pass SQS API calls from non-browser clients to ``app``, refuse the rest."""

    def __init__(self, app: WsgiApp, *, loopback_only: bool = True) -> None:
        self.app = app
        self.loopback_only = loopback_only
        """Refuse a ``Host`` that is not a loopback name (off for a server bound beyond it)."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:  # noqa: ANN401 - WSGI
        """Answer one request."""
        refusal = _refusal(environ, loopback_only=self.loopback_only)
        if refusal is not None:
            status, message = refusal
            body = json.dumps({"message": message}).encode()
            start_response(
                status,
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:  # noqa: ANN401
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            return start_response(status, kept, exc_info)

        return self.app(environ, start)


def _refusal(environ: dict[str, Any], *, loopback_only: bool) -> tuple[str, str] | None:
    path = str(environ.get("PATH_INFO", ""))
    if path.startswith(_MANAGEMENT_PATHS):
        return "404 Not Found", "this server serves the SQS API only"
    fetch_site = environ.get("HTTP_SEC_FETCH_SITE")
    if "HTTP_ORIGIN" in environ or (fetch_site is not None and fetch_site != "none"):
        return "403 Forbidden", "requests from web pages are refused"
    if loopback_only and not is_loopback_host(str(environ.get("HTTP_HOST", ""))):
        return "403 Forbidden", "only loopback host names are served"
    if not _names_sqs(environ):
        return "403 Forbidden", "this server serves the SQS API only"
    return None


def _names_sqs(environ: dict[str, Any]) -> bool:
    """Whether the request is for SQS: its SigV4 credential scope, its JSON target, or (unsigned,
    query protocol) neither, which moto serves as SQS at a queue or root path."""
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if auth:
        scope = auth.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
        return len(scope) == 5 and scope[3].lower() == "sqs"
    if target:
        return target.startswith("AmazonSQS.")
    return True
