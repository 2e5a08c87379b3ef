"""The exception handlers: every error, expected or not, answers JSON ``{"message": ...}``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from triggersqs.api.query import InvalidQuery
from triggersqs.errors import InvalidCursorError, StorageError

logger = logging.getLogger("triggersqs.api")

# Async: Starlette runs a plain function handler in a thread, where the 500's log would lose the
# exception it is handling.
Handler = Callable[[Request, Any], Awaitable[Response]]


def error_handlers() -> dict[Any, Handler]:
    """Starlette's exception handlers that answer every error (4xx, 422, bad cursor 400, store
    down 503, unexpected 500) as JSON."""
    return {
        HTTPException: _http_error,
        InvalidQuery: _invalid_query,
        InvalidCursorError: _invalid_cursor,
        StorageError: _storage_error,
        Exception: _unexpected,
    }


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status, headers=headers)


async def _http_error(_request: Request, exc: HTTPException) -> Response:
    return _error(exc.status_code, str(exc.detail), exc.headers)


async def _invalid_query(_request: Request, exc: InvalidQuery) -> Response:
    summary = "; ".join(
        f"{'.'.join(str(part) for part in d['loc'][1:]) or d['loc'][0]}: {d['msg']}"
        for d in exc.errors
    )
    return JSONResponse(
        {"message": f"invalid request: {summary}", "detail": exc.errors}, status_code=422
    )


async def _invalid_cursor(_request: Request, exc: InvalidCursorError) -> Response:
    return _error(400, f"invalid cursor: {exc}")


async def _storage_error(_request: Request, exc: StorageError) -> Response:
    logger.error("store error while serving a request", extra={"error": str(exc)})
    return _error(503, "the store is unavailable; try again later")


async def _unexpected(_request: Request, _exc: Exception) -> Response:
    logger.exception("unexpected error while serving a request")
    return _error(500, "internal error")
