"""The routes: health checks, and the read-only pages and items of records and rejections."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from triggersqs.api.docs import Docs
from triggersqs.api.render import record_json, rejection_json, render_item, render_page
from triggersqs.core.pagination import MAX_CURSOR_CHARS
from triggersqs.core.ports import RecordFilter
from triggersqs.core.service import RecordService

# The query parameters' aliases stay at module level, in the module that defines the routes: with
# postponed annotations FastAPI resolves them by name in the route function's module globals (it
# unwraps _get's inline wrapper first), as auth.py's BearerCredentials.
MAX_PAGE = 1000
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
Order = Annotated[
    Literal["asc", "desc"],
    Query(description="`asc`: oldest first (the default); `desc`: newest first."),
]

_JSON = "application/json"

# Routes go on the app itself, not on APIRouters it includes: FastAPI builds an included router's
# routes a second time on the first request, which every Lambda cold start of the HTTP path pays.


P = ParamSpec("P")
R = TypeVar("R")


def _get(
    app: FastAPI,
    path: str,
    *,
    inline: bool,
    pool: Executor | None = None,
    **options: Any,  # noqa: ANN401 - app.get's
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """``app.get(path, **options)``, the route run in ``pool``, else inline or in FastAPI's pool.

    A server (``serve``, ``dev``) passes a bounded ``pool``: a store query never runs on its event
    loop, where a slow one held every other request, ``/healthcheck`` included (issue 11), and
    at most the pool's threads query the store at once (SQLite keeps one connection per thread,
    so a fixed pool also keeps their number fixed). Under Mangum a Lambda environment serves one
    request at a time, so nothing waits on the loop: a local store (SQLite, memory) answers a page
    in less than a thread hand-off costs, and its routes run ``inline``; a store that waits on a
    network keeps FastAPI's pool.
    """
    register = app.get(path, **options)

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        if pool is not None:

            @functools.wraps(function)  # FastAPI reads the parameters through __wrapped__
            async def run_in_pool(*args: P.args, **kwargs: P.kwargs) -> R:
                call = functools.partial(function, *args, **kwargs)
                return await asyncio.get_running_loop().run_in_executor(pool, call)

            register(run_in_pool)
            return function
        if not inline:
            register(function)
            return function

        @functools.wraps(function)  # FastAPI reads the parameters through __wrapped__
        async def run_inline(*args: P.args, **kwargs: P.kwargs) -> R:
            return function(*args, **kwargs)

        register(run_inline)
        return function

    return decorate


def add_health_routes(
    app: FastAPI, service: RecordService, *, inline: bool, docs: Docs, pool: Executor | None = None
) -> None:
    """``/healthcheck`` (the process answers) and ``/health`` (the store answers); never keyed."""
    tags: list[str | Enum] = ["health"]

    @_get(app, "/healthcheck", inline=True, response_model=docs.model("HealthcheckOut"), tags=tags)
    def healthcheck() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"message": "health check"}

    @_get(
        app,
        "/health",
        inline=inline,
        pool=pool,
        response_model=docs.model("HealthOut"),
        responses=docs.errors(503),
        tags=tags,
    )
    def health() -> dict[str, str]:
        """Readiness: the store answers a query."""
        service.check()
        return {"status": "ok", "store": service.store_name}


def add_data_routes(
    app: FastAPI,
    service: RecordService,
    *,
    dependencies: list[Any],
    errors: tuple[int, ...],
    inline: bool,
    docs: Docs,
    pool: Executor | None = None,
) -> None:
    """``/records`` and ``/rejected``, paged and one by one, behind ``dependencies``."""
    tags: list[str | Enum] = ["messages"]
    # The routes return Responses of JSON rendered by render.py; response_class=JSONResponse only
    # tells the OpenAPI schema that their 200 answers are application/json of response_model.

    @_get(
        app,
        "/records",
        inline=inline,
        pool=pool,
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
        order: Order = "asc",
    ) -> Response:
        """Stored records in stored order (or newest first), filtered, a page at a time."""
        where = RecordFilter(client_id=client_id, command=command, since=since, until=until)
        page = service.records(where, cursor=cursor, limit=limit, newest_first=order == "desc")
        return Response(render_page("messages", page, record_json), media_type=_JSON)

    @_get(
        app,
        "/records/{message_id}",
        inline=inline,
        pool=pool,
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
        pool=pool,
        response_model=docs.model("RejectionPage"),
        response_class=JSONResponse,
        responses=docs.errors(*errors, 400),
        dependencies=dependencies,
        tags=tags,
    )
    def list_rejected(limit: Limit = 100, cursor: Cursor = None, order: Order = "asc") -> Response:
        """Rejected messages in stored order (or newest first), with the reason, a page at a
        time."""
        page = service.rejections(cursor=cursor, limit=limit, newest_first=order == "desc")
        return Response(render_page("rejected", page, rejection_json), media_type=_JSON)

    @_get(
        app,
        "/rejected/{message_id}",
        inline=inline,
        pool=pool,
        response_model=docs.model("RejectionOut"),
        response_class=JSONResponse,
        responses=docs.errors(*errors, 404),
        dependencies=dependencies,
        tags=tags,
    )
    def get_rejected(message_id: str) -> Response:
        """One rejected message, with its kept raw body (up to 256 KiB) and the whole one's size
        and SHA-256."""
        rejection = service.rejection(message_id)
        if rejection is None:
            raise HTTPException(404, f"no rejected message with message id {message_id!r}")
        return Response(render_item(rejection_json(rejection)), media_type=_JSON)
