"""``triggersqs serve``: the HTTP API under uvicorn, in one process or several, with the limits
of local/http_limits.py, and never open beyond loopback unless asked."""

from __future__ import annotations

import logging
import socket
from concurrent.futures import ThreadPoolExecutor

from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

from triggersqs.bootstrap import build_app, build_store, settings_from_environ
from triggersqs.core.ports import MessageStore
from triggersqs.errors import ConfigurationError
from triggersqs.local.console import Console, add_console
from triggersqs.local.http_limits import DEFAULT_LIMITS, HttpLimits
from triggersqs.local.http_metrics import add_metrics
from triggersqs.local.limited_http import LimitedConfig
from triggersqs.local.loopback import is_loopback
from triggersqs.local.sockets import bound_port, listen
from triggersqs.local.startup import checked_store
from triggersqs.logs import configure_logging, default_log_format
from triggersqs.settings import Settings

logger = logging.getLogger("triggersqs.serve")


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int = 1,
    no_auth: bool = False,
    limits: HttpLimits = DEFAULT_LIMITS,
) -> None:
    """Serve until interrupted; ``workers`` > 1 runs that many processes on one socket.

    An API without a key beyond loopback is refused unless ``no_auth``; then the port is bound and
    the store checked: each failing is a ConfigurationError before anything runs.
    """
    check_exposure(host, api_key=settings.api_key, no_auth=no_auth)
    listener = listen(host, port, "the HTTP API")
    try:
        store = checked_store(settings)
        announce_access(settings.api_key, f"{host}:{bound_port(listener)}")
        if workers > 1:
            store.close()  # each process opens its own (worker_app)
            _ready(host, listener, workers)
            _serve_in_processes(listener, host, workers, limits)
            return
        try:
            import uvicorn

            config = LimitedConfig(served_app(settings, store), log_level="warning", limits=limits)
            server = uvicorn.Server(config)
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


SERVED_THREADS = 1
"""Threads per process that run SQLite and memory-store queries for ``serve`` and ``dev`` (a
DynamoDB store, which waits on the network, gets as many as its connection pool). One: the GIL
runs one thread's Python at a time, and SQLite hands it back at every row, so with several
threads each page waited for the GIL a hundred times, and served fewer pages per second than one
thread (docs/benchmarks.md, section 4); a query waits for none of its own I/O beyond the page
cache. ``serve --workers N`` is how to use more cores."""


def served_app(
    settings: Settings, store: MessageStore, *, console: Console | None = None
) -> Starlette:
    """The API as ``serve`` and ``dev`` serve it: store queries in a bounded pool of threads,
    never on the event loop (api/routes.py), Prometheus metrics at /metrics (each process
    counts its own requests), and the console page at / (``serve``'s, unless ``console``)."""
    threads = SERVED_THREADS
    if settings.store == "dynamodb":
        from triggersqs.storage.dynamodb import DEFAULT_MAX_WORKERS

        threads = DEFAULT_MAX_WORKERS
    pool = ThreadPoolExecutor(threads, thread_name_prefix="store-query")
    app = build_app(settings, store, pool=pool)
    add_metrics(app, api_key=settings.api_key)
    add_console(app, console or Console("serve"), api_key=settings.api_key)
    return app


def check_exposure(host: str, *, api_key: str | None, no_auth: bool) -> None:
    """Refuse to serve an API without a key beyond loopback, unless ``no_auth`` says so."""
    if api_key is None and not no_auth and not is_loopback(host):
        raise ConfigurationError(
            f"refusing to serve the API on {host} without TRIGGERSQS_API_KEY: anyone who can reach"
            " it could read every record; set a key, or pass --no-auth if something in front"
            " (a proxy, a firewall) already guards it"
        )


def announce_access(api_key: str | None, where: str) -> None:
    """Log, once at start, whether the API answers anyone or only holders of the key."""
    if api_key is None:
        logger.warning(
            "the API is open: no TRIGGERSQS_API_KEY, anyone who can reach %s reads every record",
            where,
            extra={"api_open": True, "listen": where},
        )
    else:
        logger.info(
            "the API needs Authorization: Bearer <TRIGGERSQS_API_KEY> (but the health checks)",
            extra={"api_open": False, "listen": where},
        )


def worker_app() -> Starlette:
    """The app of one process of ``serve --workers N``: its own store, from the same settings."""
    settings = settings_from_environ()
    # Its own process: the parent's --log-format does not reach it; the default for its output does.
    configure_logging(settings.log_level, log_format=default_log_format())
    return served_app(settings, build_store(settings))


def _serve_in_processes(
    listener: socket.socket, host: str, workers: int, limits: HttpLimits
) -> None:
    # What uvicorn.run does for workers > 1, but on the socket listen() made with IPPROTO_TCP:
    # uvicorn's own has protocol 0, so asyncio leaves TCP_NODELAY off on the connections it
    # accepts, and each response (written in two parts) then waits ~40 ms for a delayed ACK.
    config = LimitedConfig(
        f"{__name__}:worker_app",
        factory=True,
        host=host,
        port=bound_port(listener),
        workers=workers,
        log_level="warning",
        limits=limits,
    )
    Multiprocess(config, sockets=[listener]).run()
