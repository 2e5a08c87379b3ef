"""The FastAPI application, built by :func:`create_app` from a :class:`RecordService`."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from triggersqs import __version__
from triggersqs.api.render import record_json, rejection_json, render_item, render_page
from triggersqs.core.pagination import MAX_CURSOR_CHARS
from triggersqs.core.ports import RecordFilter
from triggersqs.core.service import RecordService
from triggersqs.errors import InvalidCursorError, StorageError

logger = logging.getLogger("triggersqs.api")

MAX_PAGE = 1000
NETWORK_STORES = frozenset({"dynamodb"})
"""Stores that wait on a network: their routes run in FastAPI's thread pool, off the event loop."""
_FIELD = {"min_length": 1, "max_length": 256}

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Entries per page (1..1000).")]
Cursor = Annotated[
    str | None,
    Query(min_length=1, max_length=MAX_CURSOR_CHARS, description="`next_cursor` of the last page."),
]
ClientId = Annotated[str | None, Query(**_FIELD, description="Only records of this client.")]
Command = Annotated[str | None, Query(**_FIELD, description="Only records of this command.")]
Since = Annotated[
    datetime | None,
    Query(description="Only records stored at or after this ISO 8601 time (UTC if no zone)."),
]
Until = Annotated[
    datetime | None, Query(description="Only records stored before this ISO 8601 time.")
]

_ERROR_ANSWERS = {
    400: "The cursor is invalid for this listing.",
    401: "Missing or wrong API key.",
    404: "No such message.",
    503: "The store cannot be reached.",
}
_JSON = "application/json"


def create_app(service: RecordService, *, api_key: str | None = None) -> FastAPI:
    """The API over ``service``; every route but the health checks needs ``api_key`` if set.

    The app that serves is built without its routes' response models: they only describe the
    answers in the OpenAPI schema (the routes render their own JSON), and building them costs the
    HTTP path's Lambda cold start about 40 ms. The schema comes, on its first request, from the
    same routes built with them.
    """
    app = _build(service, api_key, _Docs(documented=False))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _build(service, api_key, _Docs(documented=True)).openapi()
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


@dataclass(frozen=True, slots=True)
class _Docs:
    """What routes document beyond their parameters: response models and error answers."""

    documented: bool

    def model(self, name: str) -> Any:  # noqa: ANN401 - a pydantic model class, or None
        """The wire schema ``name`` of triggersqs.api.schemas; None (no model) when undocumented."""
        if not self.documented:
            return None
        from triggersqs.api import schemas

        return getattr(schemas, name)

    def errors(self, *codes: int) -> dict[int | str, dict[str, Any]]:
        """The error answers with these status codes, in this order."""
        if not self.documented:
            return {}
        from triggersqs.api import schemas

        return {
            code: {"model": schemas.ErrorOut, "description": _ERROR_ANSWERS[code]} for code in codes
        }


def _build(service: RecordService, api_key: str | None, docs: _Docs) -> FastAPI:
    app = FastAPI(
        title="triggersqs",
        version=__version__,
        description="Commands consumed from SQS, stored exactly once.",
        generate_unique_id_function=_route_name,
        # With a key, the schema is served below behind it, and the browsable docs are off: the
        # Swagger page could not send the key when it fetches the schema.
        openapi_url=None if api_key else "/openapi.json",
        docs_url=None if api_key else "/docs",
        redoc_url=None if api_key else "/redoc",
    )
    _add_error_handlers(app)
    inline = service.store_name not in NETWORK_STORES
    _add_health_routes(app, service, inline=inline, docs=docs)
    protected = [Depends(_bearer_check(api_key))] if api_key else []
    errors = (503, 401) if api_key else (503,)
    _add_data_routes(app, service, dependencies=protected, errors=errors, inline=inline, docs=docs)
    if api_key:

        @app.get("/openapi.json", dependencies=protected, include_in_schema=False)
        def openapi() -> dict[str, Any]:
            return app.openapi()

    return app


def _route_name(route: APIRoute) -> str:
    return route.name


# Routes go on the app itself, not on APIRouters it includes: FastAPI builds an included router's
# routes a second time on the first request, which every Lambda cold start of the HTTP path pays.


P = ParamSpec("P")
R = TypeVar("R")


def _get(
    app: FastAPI,
    path: str,
    *,
    inline: bool,
    **options: Any,  # noqa: ANN401 - app.get's
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``app.get(path, **options)``; with ``inline``, the route runs on the event loop.

    FastAPI runs a plain function in a worker thread, which costs a thread hand-off per request
    (and, under Mangum, often a new thread). A local store (SQLite, memory) answers a page in well
    under a millisecond, less than that hand-off, so its routes run inline; only a store that
    waits on a network keeps the thread pool, so that one slow answer does not hold the others.
    """
    register = app.get(path, **options)

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        if not inline:
            register(function)
            return function

        @functools.wraps(function)  # FastAPI reads the parameters through __wrapped__
        async def run_inline(*args: P.args, **kwargs: P.kwargs) -> R:
            return function(*args, **kwargs)

        register(run_inline)
        return function

    return decorate


def _add_health_routes(app: FastAPI, service: RecordService, *, inline: bool, docs: _Docs) -> None:
    tags: list[str | Enum] = ["health"]

    @_get(app, "/healthcheck", inline=True, response_model=docs.model("HealthcheckOut"), tags=tags)
    def healthcheck() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"message": "health check"}

    @_get(
        app,
        "/health",
        inline=inline,
        response_model=docs.model("HealthOut"),
        responses=docs.errors(503),
        tags=tags,
    )
    def health() -> dict[str, str]:
        """Readiness: the store answers a query."""
        service.check()
        return {"status": "ok", "store": service.store_name}


def _add_data_routes(
    app: FastAPI,
    service: RecordService,
    *,
    dependencies: list[Any],
    errors: tuple[int, ...],
    inline: bool,
    docs: _Docs,
) -> None:
    tags: list[str | Enum] = ["messages"]
    # The routes return Responses of JSON rendered by render.py; response_class=JSONResponse only
    # tells the OpenAPI schema that their 200 answers are application/json of response_model.

    @_get(
        app,
        "/records",
        inline=inline,
        response_model=docs.model("RecordPage"),
        response_class=JSONResponse,
        responses=docs.errors(*errors, 400),
        dependencies=dependencies,
        tags=tags,
    )
    def list_records(  # noqa: PLR0917 - FastAPI maps each parameter to a query parameter
        limit: Limit = 100,
        cursor: Cursor = None,
        client_id: ClientId = None,
        command: Command = None,
        since: Since = None,
        until: Until = None,
    ) -> Response:
        """Stored records in stored order, filtered, a page at a time."""
        where = RecordFilter(client_id=client_id, command=command, since=since, until=until)
        page = service.records(where, cursor=cursor, limit=limit)
        return Response(render_page("messages", page, record_json), media_type=_JSON)

    @_get(
        app,
        "/records/{message_id}",
        inline=inline,
        response_model=docs.model("RecordOut"),
        response_class=JSONResponse,
        responses=docs.errors(*errors, 404),
        dependencies=dependencies,
        tags=tags,
    )
    def get_record(message_id: str) -> Response:
        """One stored record, with its whole body."""
        record = service.record(message_id)
        if record is None:
            raise HTTPException(404, f"no record with message id {message_id!r}")
        return Response(render_item(record_json(record)), media_type=_JSON)

    @_get(
        app,
        "/rejected",
        inline=inline,
        response_model=docs.model("RejectionPage"),
        response_class=JSONResponse,
        responses=docs.errors(*errors, 400),
        dependencies=dependencies,
        tags=tags,
    )
    def list_rejected(limit: Limit = 100, cursor: Cursor = None) -> Response:
        """Rejected messages in stored order, with the reason, a page at a time."""
        page = service.rejections(cursor=cursor, limit=limit)
        return Response(render_page("rejected", page, rejection_json), media_type=_JSON)

    @_get(
        app,
        "/rejected/{message_id}",
        inline=inline,
        response_model=docs.model("RejectionOut"),
        response_class=JSONResponse,
        responses=docs.errors(*errors, 404),
        dependencies=dependencies,
        tags=tags,
    )
    def get_rejected(message_id: str) -> Response:
        """One rejected message, with its whole raw body."""
        rejection = service.rejection(message_id)
        if rejection is None:
            raise HTTPException(404, f"no rejected message with message id {message_id!r}")
        return Response(render_item(rejection_json(rejection)), media_type=_JSON)


# Module level, not inside _bearer_check: with postponed annotations FastAPI resolves the alias by
# name in this module's globals, and a local one would turn into a required query parameter.
BearerCredentials = Annotated[
    HTTPAuthorizationCredentials | None,
    Depends(HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`")),
]


def _bearer_check(api_key: str) -> Any:  # noqa: ANN401 - a FastAPI dependency callable
    expected = api_key.encode()

    def require_api_key(credentials: BearerCredentials) -> None:
        given = b"" if credentials is None else credentials.credentials.encode()
        if not secrets.compare_digest(given, expected):
            raise HTTPException(401, "missing or wrong API key", {"WWW-Authenticate": "Bearer"})

    return require_api_key


def _add_error_handlers(app: FastAPI) -> None:
    def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"message": message}, status_code=status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]}
            for err in exc.errors()
        ]
        summary = "; ".join(
            f"{'.'.join(str(part) for part in d['loc'][1:]) or d['loc'][0]}: {d['msg']}"
            for d in details
        )
        return JSONResponse(
            {"message": f"invalid request: {summary}", "detail": details}, status_code=422
        )

    @app.exception_handler(InvalidCursorError)
    async def invalid_cursor(_request: Request, exc: InvalidCursorError) -> JSONResponse:
        return error(400, f"invalid cursor: {exc}")

    @app.exception_handler(StorageError)
    async def storage_error(_request: Request, exc: StorageError) -> JSONResponse:
        logger.error("store error while serving a request", extra={"error": str(exc)})
        return error(503, "the store is unavailable; try again later")

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error while serving a request")
        return error(500, "internal error")
