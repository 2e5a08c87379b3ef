"""Listening sockets bound before any server starts (``dev``, ``serve``, the embedded SQS server),
so a busy or invalid port is one line at once, never a hang or another port picked silently."""

from __future__ import annotations

import socket

from triggersqs.errors import ConfigurationError

MAX_PORT = 65_535
_BACKLOG = 2048  # uvicorn's default


def listen(host: str, port: int, what: str) -> socket.socket:
    """A TCP socket listening on ``host:port`` (0: any free port) for ``what``.

    Bound before anything starts, so a busy or invalid port is one ConfigurationError at once,
    with nothing left running (the servers then serve on this socket). IPPROTO_TCP, not 0: asyncio
    turns TCP_NODELAY on only for such sockets, so responses do not wait on delayed ACKs.
    """
    where = f"{host}:{port}"
    if not 0 <= port <= MAX_PORT:
        raise ConfigurationError(f"cannot listen on {where} for {what}: a port is 0..{MAX_PORT}")
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise ConfigurationError(f"cannot listen on {where} for {what}: {exc}") from None
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(_BACKLOG)
    except OSError as exc:
        listener.close()
        reason = exc.strerror or str(exc)
        raise ConfigurationError(f"cannot listen on {where} for {what}: {reason}") from None
    listener.set_inheritable(True)  # serve --workers N hands it to its processes
    return listener


def bound_port(listener: socket.socket) -> int:
    """The port ``listener`` is bound to (the free one picked for port 0)."""
    port: int = listener.getsockname()[1]
    return port
