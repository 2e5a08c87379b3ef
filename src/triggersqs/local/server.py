"""``triggersqs serve``: the HTTP API under uvicorn, in one process or several, with the limits
of local/http_limits.py, and never open beyond loopback unless asked."""

from __future__ import annotations

import ipaddress
import logging
import socket
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from triggersqs.bootstrap import build_app, build_store, settings_from_environ
from triggersqs.core.ports import MessageStore
from triggersqs.errors import ConfigurationError, TriggerSqsError
from triggersqs.local.console import Console, add_console
from triggersqs.local.http_limits import DEFAULT_LIMITS, HttpLimits
from triggersqs.local.http_metrics import add_metrics
from triggersqs.local.limited_http import LimitedConfig
from triggersqs.logs import configure_logging
from triggersqs.settings import Settings

logger = logging.getLogger("triggersqs.server")


def serve(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int = 1,
    no_auth: bool = False,
    limits: HttpLimits = DEFAULT_LIMITS,
) -> None:
    """Serve until interrupted; ``workers`` > 1 runs that many processes on one socket."""
    configure_logging(settings.log_level)
    check_exposure(host, api_key=settings.api_key, no_auth=no_auth)
    announce_access(settings.api_key, f"{host}:{port}")
    if workers > 1:
        _serve_in_processes(host, port, workers, limits)
        return
    store = build_store(settings)
    try:
        config = LimitedConfig(
            served_app(settings, store), host=host, port=port, log_level="warning", limits=limits
        )
        import uvicorn

        uvicorn.Server(config).run()
    finally:
        store.close()


SERVED_THREADS = 4
"""Threads per process that run store queries for ``serve`` and ``dev`` (a DynamoDB store gets
as many as its connection pool): the GIL lets one run Python at a time, so more only add SQLite
connections; a few keep one query's I/O wait from holding the others."""


def served_app(
    settings: Settings, store: MessageStore, *, console: Console | None = None
) -> FastAPI:
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


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


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


def worker_app() -> FastAPI:
    """The app of one process of ``serve --workers N``: its own store, from the same settings."""
    settings = settings_from_environ()
    configure_logging(settings.log_level)
    return served_app(settings, build_store(settings))


def _serve_in_processes(host: str, port: int, workers: int, limits: HttpLimits) -> None:
    # What uvicorn.run does for workers > 1, but on a socket made with IPPROTO_TCP: uvicorn's own
    # has protocol 0, so asyncio leaves TCP_NODELAY off on the connections it accepts, and each
    # response (written in two parts) then waits ~40 ms for a delayed ACK.
    config = LimitedConfig(
        f"{__name__}:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        limits=limits,
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
