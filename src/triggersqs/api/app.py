"""The FastAPI application, built by :func:`create_app` from a :class:`RecordService`.

The concerns live apart: routes.py (the routes), auth.py (the API key), errors.py (the JSON error
answers), paths.py (trailing slashes, without a redirect), docs.py (what only the OpenAPI schema
shows), render.py and schemas.py (the wire format).
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from triggersqs import __version__
from triggersqs.api.auth import bearer_check
from triggersqs.api.docs import Docs
from triggersqs.api.errors import add_error_handlers
from triggersqs.api.paths import WithoutTrailingSlash
from triggersqs.api.routes import add_data_routes, add_health_routes
from triggersqs.api.swagger import add_docs_routes
from triggersqs.core.service import RecordService

NETWORK_STORES = frozenset({"dynamodb"})
"""Stores that wait on a network: their routes run in FastAPI's thread pool, off the event loop."""


def create_app(
    service: RecordService, *, api_key: str | None = None, pool: Executor | None = None
) -> FastAPI:
    """The API over ``service``; every route but the health checks needs ``api_key`` if set.

    ``pool``: the threads the store queries run in (a server's); none under Mangum (routes.py).

    The app that serves is built without its routes' response models: they only describe the
    answers in the OpenAPI schema (the routes render their own JSON), and building them costs the
    HTTP path's Lambda cold start about 40 ms. The schema comes, on its first request, from the
    same routes built with them.
    """
    app = _build(service, api_key, Docs(documented=False), pool)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _build(service, api_key, Docs(documented=True), pool).openapi()
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _build(
    service: RecordService, api_key: str | None, docs: Docs, pool: Executor | None
) -> FastAPI:
    app = FastAPI(
        title="triggersqs",
        version=__version__,
        description="Commands consumed from SQS, stored exactly once.",
        generate_unique_id_function=_route_name,
        # With a key, the schema is served below behind it, and the browsable docs are off: the
        # Swagger page could not send the key when it fetches the schema.
        openapi_url=None if api_key else "/openapi.json",
        docs_url=None,  # served by swagger.py, from local files
        redoc_url=None if api_key else "/redoc",
        redirect_slashes=False,  # paths.py serves /records/ as /records instead
    )
    app.add_middleware(WithoutTrailingSlash)
    if not api_key:
        add_docs_routes(app, openapi_url="/openapi.json")
    add_error_handlers(app)
    inline = service.store_name not in NETWORK_STORES
    add_health_routes(app, service, inline=inline, docs=docs, pool=pool)
    protected = [Depends(bearer_check(api_key))] if api_key else []
    errors = (503, 401) if api_key else (503,)
    add_data_routes(
        app,
        service,
        dependencies=protected,
        errors=errors,
        inline=inline,
        docs=docs,
        pool=pool,
    )
    if api_key:

        @app.get("/openapi.json", dependencies=protected, include_in_schema=False)
        def openapi() -> dict[str, Any]:
            return app.openapi()

    return app


def _route_name(route: APIRoute) -> str:
    return route.name
