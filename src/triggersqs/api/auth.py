"""The API-key check: a request must bear ``Authorization: Bearer <API key>``."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

Guard = Callable[[HTTPConnection], None]
"""A check a route runs before anything else: it returns, or raises an HTTPException."""


def bearer_check(api_key: str) -> Guard:
    """A guard that answers 401 unless the request bears ``api_key``, in constant time.

    The header is read as FastAPI's ``HTTPBearer`` read it (the scheme in any case, the
    credentials after the first space, stripped), so the same headers pass and fail as before.
    """
    expected = api_key.encode()

    def require_api_key(request: HTTPConnection) -> None:
        header = request.headers.get("authorization")
        scheme, _, credentials = (header or "").partition(" ")
        credentials = credentials.strip()
        given = credentials.encode() if scheme.lower() == "bearer" and credentials else b""
        if not secrets.compare_digest(given, expected):
            raise HTTPException(401, "missing or wrong API key", {"WWW-Authenticate": "Bearer"})

    return require_api_key
