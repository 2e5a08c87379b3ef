"""``triggersqs serve``: the HTTP API under uvicorn, in one process or several."""

from __future__ import annotations

import logging
import socket

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from triggersqs.bootstrap import build_app, build_store, settings_from_environ
from triggersqs.local.sockets import bound_port, listen
from triggersqs.local.startup import checked_store
from triggersqs.logs import configure_logging, default_log_format
from triggersqs.settings import Settings

logger = logging.getLogger("triggersqs.serve")


def serve(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted; ``workers`` > 1 runs that many processes on one socket.

    The port is bound and the store checked first: either failing is a ConfigurationError before
    anything runs.
    """
    listener = listen(host, port, "the HTTP API")
    try:
        store = checked_store(settings)
        if workers > 1:
            store.close()  # each process opens its own (worker_app)
            _ready(host, listener, workers)
            _serve_in_processes(listener, host, workers)
            return
        try:
            server = uvicorn.Server(uvicorn.Config(build_app(settings, store), log_level="warning"))
            _ready(host, listener, workers)
            server.run(sockets=[listener])
        finally:
            store.close()
    finally:
        listener.close()


def _ready(host: str, listener: socket.socket, workers: int) -> None:
    shown = f"[{host}]" if ":" in host else host
    logger.info(
        "serving the HTTP API",
        extra={"url": f"http://{shown}:{bound_port(listener)}", "workers": workers},
    )


def worker_app() -> FastAPI:
    """The app of one process of ``serve --workers N``: its own store, from the same settings."""
    settings = settings_from_environ()
    # Its own process: the parent's --log-format does not reach it; the default for its output does.
    configure_logging(settings.log_level, log_format=default_log_format())
    return build_app(settings, build_store(settings))


def _serve_in_processes(listener: socket.socket, host: str, workers: int) -> None:
    # What uvicorn.run does for workers > 1, but on the socket listen() made with IPPROTO_TCP:
    # uvicorn's own has protocol 0, so asyncio leaves TCP_NODELAY off on the connections it
    # accepts, and each response (written in two parts) then waits ~40 ms for a delayed ACK.
    config = uvicorn.Config(
        f"{__name__}:worker_app",
        factory=True,
        host=host,
        port=bound_port(listener),
        workers=workers,
        log_level="warning",
    )
    Multiprocess(config, sockets=[listener]).run()
