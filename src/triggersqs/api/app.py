"""The API application, built by :func:`create_app` from a :class:`RecordService`: a Starlette app.

The concerns live apart: routes.py (the routes), query.py (their query parameters), auth.py (the
API key), errors.py (the JSON error answers), paths.py (trailing slashes, without a redirect),
openapi.py (the OpenAPI document), swagger.py (the browsable docs), render.py and schemas.py (the
wire format).

Starlette, not FastAPI (which is built on it): FastAPI's import and its first request were most
of the HTTP path's Lambda cold start (issue 15, docs/benchmarks.md); what it did here (checking
the query parameters, the API key, writing the OpenAPI document) is done with the pydantic-core
validators the project already uses, and pydantic itself is imported only to write the document.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, Final

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from triggersqs import __version__
from triggersqs.api.auth import Guard, bearer_check
from triggersqs.api.errors import error_handlers
from triggersqs.api.paths import WithoutTrailingSlash
from triggersqs.api.routes import data_routes, get_only, health_routes, runner
from triggersqs.api.swagger import docs_routes
from triggersqs.core.service import RecordService

TITLE: Final = "triggersqs"
DESCRIPTION: Final = "Commands consumed from SQS, stored exactly once."
OPENAPI_URL: Final = "/openapi.json"
NETWORK_STORES: Final = frozenset({"dynamodb"})
"""Stores that wait on a network: under Mangum their routes run in a thread (routes.runner)."""


def create_app(
    service: RecordService, *, api_key: str | None = None, pool: Executor | None = None
) -> Starlette:
    """The API over ``service``; every route but the health checks needs ``api_key`` if set.

    ``pool``: the threads the store queries run in (a server's); none under Mangum (routes.py).
    """
    run = runner(pool=pool, inline=service.store_name not in NETWORK_STORES)
    guard = bearer_check(api_key) if api_key else None
    routes: list[BaseRoute] = []
    document = _Document()
    if not api_key:
        # With a key, the schema is served below behind it, and the browsable docs are off: the
        # Swagger page could not send the key when it fetches the schema.
        routes.append(Route(OPENAPI_URL, document.endpoint, include_in_schema=False))
        routes += docs_routes(title=TITLE, openapi_url=OPENAPI_URL)
    routes += health_routes(service, run=run)
    routes += data_routes(service, run=run, guard=guard)
    if guard is not None:
        keyed = Route(OPENAPI_URL, document.guarded(guard), include_in_schema=False)
        routes.append(get_only(keyed))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(WithoutTrailingSlash)],
        exception_handlers=error_handlers(),
    )
    app.router.redirect_slashes = False  # paths.py serves /records/ as /records instead
    document.app = app
    return app


class _Document:
    """The OpenAPI document of an app, written on its first request (openapi.py)."""

    def __init__(self) -> None:
        self.app: Starlette | None = None
        self._lock = threading.Lock()
        self._document: dict[str, Any] | None = None

    def get(self) -> dict[str, Any]:
        """The document, written once."""
        with self._lock:
            if self._document is None:
                from triggersqs.api.openapi import openapi_document

                assert self.app is not None  # noqa: S101 - set by create_app
                self._document = openapi_document(
                    self.app.routes, title=TITLE, version=__version__, description=DESCRIPTION
                )
        return self._document

    async def endpoint(self, _request: Request) -> Response:
        """``/openapi.json``."""
        return JSONResponse(self.get())

    def guarded(self, guard: Guard) -> Callable[[Request], Awaitable[Response]]:
        """``/openapi.json`` behind ``guard``."""

        async def keyed(request: Request) -> Response:
            guard(request)
            return JSONResponse(self.get())

        return keyed
