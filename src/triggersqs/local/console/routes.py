"""The console's routes: the page and its two static files (shipped as package data), and the
few endpoints it needs beyond the read API: the counts, the DLQ's messages, and its redrive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from triggersqs.api.auth import bearer_check
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

JsonBody = Annotated[dict[str, Any], Depends(json_object)]


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


def add_console(app: FastAPI, console: Console, *, api_key: str | None) -> None:
    """Serve the page at ``/`` and its endpoints under ``/console/api`` on ``app``."""
    for path, (name, media_type) in STATIC.items():
        app.add_api_route(path, _static(name, media_type), methods=["GET"], include_in_schema=False)
    own = [Depends(same_origin)]
    guarded = [*own, *([Depends(bearer_check(api_key))] if api_key else [])]

    def hello() -> dict[str, Any]:
        """What the page needs before anything else: whether to ask for the API key."""
        return {"mode": console.mode, "api_key": bool(api_key)}

    app.add_api_route(
        API + "/hello", hello, methods=["GET"], dependencies=own, include_in_schema=False
    )

    def state() -> dict[str, Any]:
        return _state(console)

    def dead_letters() -> dict[str, Any]:
        if console.queues is None:
            raise HTTPException(404, f"`{console.mode}` watches no queue")
        try:
            return {"messages": console.queues.dead_letters()}
        except RedriveBusyError as exc:
            raise HTTPException(409, str(exc)) from None

    def start_redrive(_body: JsonBody) -> JSONResponse:
        if console.queues is None:
            raise HTTPException(404, f"`{console.mode}` watches no queue")
        try:
            return JSONResponse(console.queues.start_redrive(), status_code=202)
        except RedriveBusyError as exc:
            raise HTTPException(409, str(exc)) from None

    for path, endpoint, method in (
        ("/state", state, "GET"),
        ("/dlq", dead_letters, "GET"),
        ("/redrive", start_redrive, "POST"),
    ):
        app.add_api_route(
            API + path,
            endpoint,
            methods=[method],
            dependencies=guarded,
            include_in_schema=False,
        )


def _static(name: str, media_type: str) -> Any:  # noqa: ANN401 - a route endpoint
    content = resources.files(__package__).joinpath("static", name).read_bytes()

    def serve() -> Response:
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
