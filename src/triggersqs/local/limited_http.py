"""The limits of local/http_limits.py (header size, header and idle time, connections) as a
uvicorn protocol, for ``serve`` and ``dev``.

uvicorn with httptools (its fastest parser, docs/benchmarks.md) has none of the first two and
closes idle connections only after a response: a 48 MB header was parsed whole (2.5 s of CPU, the
loop stalled), a connection that sent nothing or trickled its headers was held forever, and
``limit_concurrency`` answers 503 only once a request's headers are complete. h11 has a header
size limit but parses at about two thirds of the speed; granian and hypercorn lack an idle or
connection limit (docs/security.md has the comparison). So this subclass of uvicorn's own
httptools protocol adds what is missing, each a few lines at the points uvicorn already has:

- the request line and headers may take at most ``max_header_bytes``: past that the client gets
  ``431`` at once, without the server reading the rest;
- they must arrive within ``header_timeout`` seconds of the connection opening, or of the first
  byte of a later request on it: else ``408`` and the connection is closed (an idle kept-alive
  connection is closed by uvicorn's own ``timeout_keep_alive``);
- at most ``max_connections`` connections per process: one more is answered ``503`` and closed
  at once, before it can hold anything.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar, Final

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from triggersqs.local.http_limits import DEFAULT_LIMITS, HttpLimits

_LINGER_SECONDS: Final = 2.0
_REASONS: Final = {
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


def _answer(status: int, message: str) -> bytes:
    body = json.dumps({"message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of :class:`HttpLimits`.

    The limits are class attributes (:func:`protocol_with`), so that the class travels by name to
    the processes of ``serve --workers``.
    """

    limits: ClassVar[HttpLimits] = DEFAULT_LIMITS

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - uvicorn's signature
        super().__init__(*args, **kwargs)
        self._awaiting_headers = True
        self._header_bytes = 0
        self._header_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Refuse one connection too many; otherwise start the clock on its headers."""
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refuse(503, "too many connections; try again later")
            return
        self._start_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the header clock with the connection."""
        self._stop_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Count the bytes of a request's head; refuse it once it passes the limit."""
        if self._refused:
            return  # read and dropped, unparsed, until the connection closes (see _refuse)
        if not self._awaiting_headers:
            super().data_received(data)
            return
        if self._header_timer is None:
            self._start_header_timer()  # the first byte of a later request on this connection
        super().data_received(data)
        # Still no end of headers after this chunk: all of it belongs to the head.
        if self._awaiting_headers and not self.transport.is_closing():
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes:
                self._refuse(431, f"request headers exceed {self.limits.max_header_bytes} bytes")

    def on_headers_complete(self) -> None:
        """The head is in: the header clock and count stop until the next request."""
        self._awaiting_headers = False
        self._stop_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        """Wait for the next request's head (uvicorn arms its keep-alive timer)."""
        self._awaiting_headers = True
        self._header_bytes = 0
        super().on_response_complete()

    def _start_header_timer(self) -> None:
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._headers_late)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self._awaiting_headers and not self.transport.is_closing():
            self._refuse(408, f"request headers took more than {self.limits.header_timeout} s")

    def _refuse(self, status: int, message: str) -> None:
        # A lingering close: closing with unread bytes in the socket makes the kernel send a
        # reset, and the client may lose the answer. So the answer goes out with a FIN, what the
        # client still sends is read and dropped, and the connection is closed soon after.
        self._stop_header_timer()
        self._unset_keepalive_if_required()
        self._refused = True
        self.transport.write(_answer(status, message))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER_SECONDS, self.transport.close)


def protocol_with(limits: HttpLimits) -> type[LimitedHttpToolsProtocol]:
    """The protocol class enforcing ``limits`` (the class itself for the defaults)."""
    if limits == DEFAULT_LIMITS:
        return LimitedHttpToolsProtocol
    return type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,), {"limits": limits})


class LimitedConfig(uvicorn.Config):
    """A uvicorn configuration whose connections get :class:`LimitedHttpToolsProtocol`.

    The limits travel as data and the class is made in :meth:`load`, which runs in each process
    of ``serve --workers`` after the configuration was pickled to it.
    """

    def __init__(self, *args: Any, limits: HttpLimits = DEFAULT_LIMITS, **kwargs: Any) -> None:  # noqa: ANN401
        kwargs["timeout_keep_alive"] = limits.idle_timeout
        super().__init__(*args, **kwargs)
        self.limits = limits

    def load(self) -> None:
        """uvicorn's loading, then the protocol with this configuration's limits."""
        super().load()
        self.http_protocol_class = protocol_with(self.limits)
