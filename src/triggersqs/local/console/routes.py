"""The console's routes: the page and its two static files (shipped as package data), and the
few endpoints it needs beyond the read API: the counts, the DLQ's messages, and its redrive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from triggersqs.api.auth import Guard, bearer_check
from triggersqs.api.routes import get_only
from triggersqs.errors import RedriveBusyError
from triggersqs.local.console.guard import json_object, same_origin
from triggersqs.local.console.queues import QueueWatch
from triggersqs.local.console.tally import OutcomeTally

API: Final = "/console/api"
STATIC: Final = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/console/console.js": ("console.js", "text/javascript; charset=utf-8"),
    "/console/console.css": ("console.css", "text/css; charset=utf-8"),
    "/console/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
PAGE_HEADERS: Final = {
    # Only this server's own script, styles and API; never framed (the redrive button cannot
    # be clicked through another site's page); no referrer leaves with a link.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self';"
    " connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none';"
    " frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from starlette.applications import Starlette


@dataclass
class Console:
    """What the page can show in this process: ``mode`` (``dev`` or ``serve``), outcome counts
    when it processes batches, the queues when it knows them."""

    mode: str
    tally: OutcomeTally | None = None
    queues: QueueWatch | None = None
    started_at: str = field(
        default_factory=lambda: (
            datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        )
    )


def add_console(app: Starlette, console: Console, *, api_key: str | None) -> None:
    """Serve the page at ``/`` and its endpoints under ``/console/api`` on ``app``."""
    routes = app.router.routes
    for path, (name, media_type) in STATIC.items():
        routes.append(get_only(Route(path, _static(name, media_type), include_in_schema=False)))
    own: list[Guard] = [same_origin]
    guarded = [*own, *([bearer_check(api_key)] if api_key else [])]

    def hello() -> dict[str, Any]:
        """What the page needs before anything else: whether to ask for the API key."""
        return {"mode": console.mode, "api_key": bool(api_key)}

    def state() -> dict[str, Any]:
        return _state(console)

    def dead_letters() -> dict[str, Any]:
        if console.queues is None:
            raise HTTPException(404, f"`{console.mode}` watches no queue")
        try:
            return {"messages": console.queues.dead_letters()}
        except RedriveBusyError as exc:
            raise HTTPException(409, str(exc)) from None

    def start_redrive() -> JSONResponse:
        if console.queues is None:
            raise HTTPException(404, f"`{console.mode}` watches no queue")
        try:
            return JSONResponse(console.queues.start_redrive(), status_code=202)
        except RedriveBusyError as exc:
            raise HTTPException(409, str(exc)) from None

    async def redrive(request: Request) -> Response:
        for guard in guarded:
            guard(request)
        await json_object(request)  # a JSON object, or refused
        return await run_in_threadpool(start_redrive)

    routes += [
        get_only(Route(API + "/hello", _json(own, hello), include_in_schema=False)),
        get_only(Route(API + "/state", _json(guarded, state), include_in_schema=False)),
        get_only(Route(API + "/dlq", _json(guarded, dead_letters), include_in_schema=False)),
        Route(API + "/redrive", redrive, methods=["POST"], include_in_schema=False),
    ]


def _json(guards: Sequence[Guard], work: Callable[[], dict[str, Any]]) -> Any:  # noqa: ANN401 - a route endpoint
    """An endpoint (run in Starlette's thread pool) that checks ``guards``, then answers ``work``'s
    JSON."""

    def endpoint(request: Request) -> Response:
        for guard in guards:
            guard(request)
        return JSONResponse(work())

    return endpoint


def _static(name: str, media_type: str) -> Any:  # noqa: ANN401 - a route endpoint
    content = resources.files(__package__).joinpath("static", name).read_bytes()

    def serve(_request: Request) -> Response:
        return Response(content, media_type=media_type, headers=PAGE_HEADERS)

    return serve


def _state(console: Console) -> dict[str, Any]:
    state: dict[str, Any] = {
        "mode": console.mode,
        "started_at": console.started_at,
        "outcomes": None,
        "rate_per_second": None,
        "queue": None,
        "dlq": None,
        "queue_error": None,
        "redrive": None,
    }
    if console.tally is not None:
        counts = console.tally.read()
        state["outcomes"] = counts.counts
        state["rate_per_second"] = counts.rate_per_second
    if console.queues is not None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            state.update(console.queues.counts())
        except (ClientError, BotoCoreError) as exc:
            state["queue_error"] = f"cannot read the queue's counts: {exc}"
        state["redrive"] = console.queues.redrive_state()
    return state
