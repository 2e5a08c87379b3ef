"""The API-key check: a FastAPI dependency that wants ``Authorization: Bearer <API key>``."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

# Module level, not inside bearer_check: with postponed annotations FastAPI resolves the alias by
# name in the globals of the module that defines the dependency (this one), and a local one would
# turn into a required query parameter.
BearerCredentials = Annotated[
    HTTPAuthorizationCredentials | None,
    Depends(HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`")),
]


def bearer_check(api_key: str) -> Any:  # noqa: ANN401 - a FastAPI dependency callable
    """A dependency that answers 401 unless the request bears ``api_key``, in constant time."""
    expected = api_key.encode()

    def require_api_key(credentials: BearerCredentials) -> None:
        given = b"" if credentials is None else credentials.credentials.encode()
        if not secrets.compare_digest(given, expected):
            raise HTTPException(401, "missing or wrong API key", {"WWW-Authenticate": "Bearer"})

    return require_api_key
