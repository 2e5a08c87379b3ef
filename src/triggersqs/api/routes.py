"""The routes: health checks, and the read-only pages and items of records and rejections.

Each is an :class:`ApiRoute`: a Starlette route for GET only, carrying the :class:`Operation` the
OpenAPI document describes it by (openapi.py), so the document is written from the routes served.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from triggersqs.api.auth import Guard
from triggersqs.api.query import RECORDS, REJECTED, Query
from triggersqs.api.render import record_json, rejection_json, render_item, render_page
from triggersqs.core.ports import RecordFilter
from triggersqs.core.service import RecordService

_JSON: Final = "application/json"

Work = Callable[..., Response]
"""What a route does once its request is checked: its path and query parameters in, a Response
out; it may query the store, so it runs where :func:`runner` says."""
Runner = Callable[[Callable[[], Response]], Awaitable[Response]]
R = TypeVar("R", bound=Route)


@dataclass(frozen=True, slots=True)
class Operation:
    """What the OpenAPI document says of a route beyond its path: its name (the operationId),
    what it does, its group, the wire model of its answer (api/schemas.py), the error statuses it
    documents, its query parameters, and whether it needs the API key."""

    name: str
    description: str
    tag: str
    model: str
    errors: tuple[int, ...] = ()
    query: Query | None = None
    keyed: bool = False


class ApiRoute(Route):
    """A documented route of the API, for GET only (:func:`get_only`)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], operation: Operation) -> None:
        super().__init__(path, endpoint, name=operation.name)
        get_only(self)
        self.operation = operation


def get_only(route: R) -> R:
    """``route`` for GET only: HEAD is refused (405), as FastAPI's routes refused it (Starlette's
    own answer it)."""
    route.methods = {"GET"}
    return route


def runner(*, pool: Executor | None, inline: bool) -> Runner:
    """Where a route's work runs: in ``pool``, else inline, else in Starlette's thread pool.

    A server (``serve``, ``dev``) passes a bounded ``pool``: a store query never runs on its event
    loop, where a slow one held every other request, ``/healthcheck`` included (issue 11), and
    at most the pool's threads query the store at once (SQLite keeps one connection per thread,
    so a fixed pool also keeps their number fixed). The work (query and rendering) makes one
    hop to a thread and one back. Under Mangum a Lambda environment serves one request at a time,
    so nothing waits on the loop: a local store (SQLite, memory) answers a page in less than a
    thread hand-off costs, and its routes run ``inline``; a store that waits on a network keeps
    the thread pool.
    """
    if pool is not None:

        async def in_pool(work: Callable[[], Response]) -> Response:
            return await asyncio.get_running_loop().run_in_executor(pool, work)

        return in_pool
    if inline:

        async def run_inline(work: Callable[[], Response]) -> Response:
            return work()

        return run_inline
    return run_in_threadpool


def api_route(
    path: str, operation: Operation, work: Work, *, run: Runner, guard: Guard | None = None
) -> ApiRoute:
    """The route of ``path``: the guard, then the query checked, then ``work`` run by ``run``."""
    query = operation.query

    async def endpoint(request: Request) -> Response:
        if guard is not None:
            guard(request)
        arguments = dict(request.path_params)
        if query is not None:
            arguments |= query.parse(request.query_params)
        return await run(functools.partial(work, **arguments))

    return ApiRoute(path, endpoint, operation)


HEALTH: Final = "health"
MESSAGES: Final = "messages"


def health_routes(service: RecordService, *, run: Runner) -> list[ApiRoute]:
    """``/healthcheck`` (the process answers) and ``/health`` (the store answers); never keyed."""

    def healthcheck() -> Response:
        return JSONResponse({"message": "health check"})

    def health() -> Response:
        service.check()
        return JSONResponse({"status": "ok", "store": service.store_name})

    async def inline(work: Callable[[], Response]) -> Response:
        return work()

    return [
        api_route(
            "/healthcheck",
            Operation("healthcheck", "Liveness: the process answers.", HEALTH, "HealthcheckOut"),
            healthcheck,
            run=inline,
        ),
        api_route(
            "/health",
            Operation(
                "health", "Readiness: the store answers a query.", HEALTH, "HealthOut", (503,)
            ),
            health,
            run=run,
        ),
    ]


def data_routes(service: RecordService, *, run: Runner, guard: Guard | None) -> list[ApiRoute]:
    """``/records`` and ``/rejected``, paged and one by one, behind ``guard`` (the API key)."""
    keyed = guard is not None
    errors = (503, 401) if keyed else (503,)

    def list_records(  # noqa: PLR0917 - one argument per query parameter
        limit: int,
        cursor: str | None,
        client_id: str | None,
        command: str | None,
        since: datetime | None,
        until: datetime | None,
        order: str,
    ) -> Response:
        where = RecordFilter(client_id=client_id, command=command, since=since, until=until)
        page = service.records(where, cursor=cursor, limit=limit, newest_first=order == "desc")
        return Response(render_page("messages", page, record_json), media_type=_JSON)

    def get_record(message_id: str) -> Response:
        record = service.record(message_id)
        if record is None:
            raise HTTPException(404, f"no record with message id {message_id!r}")
        return Response(render_item(record_json(record)), media_type=_JSON)

    def list_rejected(limit: int, cursor: str | None, order: str) -> Response:
        page = service.rejections(cursor=cursor, limit=limit, newest_first=order == "desc")
        return Response(render_page("rejected", page, rejection_json), media_type=_JSON)

    def get_rejected(message_id: str) -> Response:
        rejection = service.rejection(message_id)
        if rejection is None:
            raise HTTPException(404, f"no rejected message with message id {message_id!r}")
        return Response(render_item(rejection_json(rejection)), media_type=_JSON)

    def operation(name: str, description: str, model: str, *codes: int, **query: Any) -> Operation:  # noqa: ANN401
        return Operation(
            name, description, MESSAGES, model, (*errors, *codes), keyed=keyed, **query
        )

    return [
        api_route(
            "/records",
            operation(
                "list_records",
                "Stored records in stored order (or newest first), filtered, a page at a time.",
                "RecordPage",
                400,
                query=RECORDS,
            ),
            list_records,
            run=run,
            guard=guard,
        ),
        api_route(
            "/records/{message_id}",
            operation("get_record", "One stored record, with its whole body.", "RecordOut", 404),
            get_record,
            run=run,
            guard=guard,
        ),
        api_route(
            "/rejected",
            operation(
                "list_rejected",
                "Rejected messages in stored order (or newest first), with the reason, a page at a"
                " time.",
                "RejectionPage",
                400,
                query=REJECTED,
            ),
            list_rejected,
            run=run,
            guard=guard,
        ),
        api_route(
            "/rejected/{message_id}",
            operation(
                "get_rejected",
                "One rejected message, with its kept raw body (up to 256 KiB) and the whole one's"
                " size and SHA-256.",
                "RejectionOut",
                404,
            ),
            get_rejected,
            run=run,
            guard=guard,
        ),
    ]
