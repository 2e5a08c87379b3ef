"""The exception handlers: every error, expected or not, answers JSON ``{"message": ...}``."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from triggersqs.errors import InvalidCursorError, StorageError

logger = logging.getLogger("triggersqs.api")


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error (4xx, 422, bad cursor 400, store down 503, unexpected 500) as JSON."""

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
