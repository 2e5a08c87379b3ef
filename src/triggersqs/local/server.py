"""``triggersqs serve``: the HTTP API under uvicorn, in one process or several."""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from triggersqs.bootstrap import build_app, build_store, settings_from_environ
from triggersqs.errors import TriggerSqsError
from triggersqs.local.console import Console, add_console
from triggersqs.local.http_metrics import add_metrics
from triggersqs.logs import configure_logging
from triggersqs.settings import Settings


def serve(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted; ``workers`` > 1 runs that many processes on one socket."""
    configure_logging(settings.log_level)
    if workers > 1:
        _serve_in_processes(host, port, workers)
        return
    store = build_store(settings)
    try:
        app = build_app(settings, store)
        add_metrics(app, api_key=settings.api_key)
        add_console(app, Console("serve"), api_key=settings.api_key)
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.close()


def worker_app() -> FastAPI:
    """The app of one process of ``serve --workers N``: its own store, from the same settings."""
    settings = settings_from_environ()
    configure_logging(settings.log_level)
    app = build_app(settings, build_store(settings))
    add_metrics(app, api_key=settings.api_key)  # each process counts its own requests
    add_console(app, Console("serve"), api_key=settings.api_key)
    return app


def _serve_in_processes(host: str, port: int, workers: int) -> None:
    # What uvicorn.run does for workers > 1, but on a socket made with IPPROTO_TCP: uvicorn's own
    # has protocol 0, so asyncio leaves TCP_NODELAY off on the connections it accepts, and each
    # response (written in two parts) then waits ~40 ms for a delayed ACK.
    config = uvicorn.Config(
        f"{__name__}:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise TriggerSqsError(f"cannot listen on {host}:{port}: {exc}") from exc
    listener.set_inheritable(True)
    try:
        Multiprocess(config, sockets=[listener]).run()
    finally:
        listener.close()
