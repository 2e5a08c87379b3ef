"""The limits ``serve`` and ``dev`` put on HTTP clients (enforced by local/limited_http.py);
apart from it so that the command line can show the defaults without importing uvicorn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """What one process accepts from clients; the defaults are documented in docs/security.md."""

    max_header_bytes: int = 64 * 1024
    """The request line and headers together, in bytes; past it: 431."""
    header_timeout: float = 10.0
    """Seconds from a connection's opening (or a later request's first byte) to the end of the
    request's headers; past it: 408 and the connection closed."""
    idle_timeout: int = 5
    """Seconds a kept-alive connection may wait for its next request (uvicorn's keep-alive)."""
    max_connections: int = 1000
    """Open connections per process; one more is answered 503 and closed."""


DEFAULT_LIMITS: Final = HttpLimits()
