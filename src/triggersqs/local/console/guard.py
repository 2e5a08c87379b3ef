"""What keeps a web page of another site from using the console's endpoints: they answer only
requests that name this server by a loopback name (a DNS-rebinding page names its own host), that
come from the console's own origin (``Origin``, ``Sec-Fetch-Site``), and, for a change, that carry
a JSON body: a foreign page can send a form or ``text/plain`` without asking, never JSON without
a CORS preflight, which gets no grant here."""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request

from triggersqs.local.loopback import is_loopback_host

MAX_BODY_BYTES: Final = 1024
SAME_ORIGIN: Final = frozenset({"same-origin", "none"})
"""``Sec-Fetch-Site`` values of the page's own requests, and of one typed in or run by a tool."""


def same_origin(request: HTTPConnection) -> None:
    """A guard (api/auth.py): 403 unless the request is the console's own (see module doc).

    Its ``Host`` must be a loopback name or the very address the connection came in on (``serve
    --host 0.0.0.0`` reached by its IP address): a rebound DNS name is neither.
    """
    host = request.headers.get("host", "")
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:
        name = None
    local = (request.scope.get("server") or ("",))[0]
    if name is None or not (is_loopback_host(host) or name == local):
        raise HTTPException(
            403,
            "the console answers only to a loopback name (localhost, 127.0.0.1) or the"
            f" server's address, not {host!r}",
        )
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{host}":
        raise HTTPException(403, f"the console refuses requests from {origin!r}")
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in SAME_ORIGIN:
        raise HTTPException(403, f"the console refuses {site} requests")


async def json_object(request: Request) -> dict[str, Any]:
    """The request's body, which must be a small JSON object sent as ``application/json``."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/json":
        raise HTTPException(415, "send a JSON object with Content-Type: application/json")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"the body is over {MAX_BODY_BYTES} bytes")
    try:
        value = json.loads(body)
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(value, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return value
