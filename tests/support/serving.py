"""Serve an ASGI app (the API) with a real uvicorn on a free loopback port, in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

Serve = Callable[[ASGIApp], str]
"""Start serving an app; its base URL (``http://127.0.0.1:<port>``)."""

_START_TIMEOUT_S = 10.0


@contextmanager
def uvicorn_in_thread(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread until the block ends."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped before it started serving")
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start within {_START_TIMEOUT_S} s")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(_START_TIMEOUT_S)
