"""``triggersqs serve``: the HTTP API under uvicorn."""

from __future__ import annotations

import uvicorn

from triggersqs.bootstrap import build_app, build_store
from triggersqs.logs import configure_logging
from triggersqs.settings import Settings


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Serve until interrupted."""
    configure_logging(settings.log_level)
    store = build_store(settings)
    try:
        uvicorn.run(build_app(settings, store), host=host, port=port, log_level="warning")
    finally:
        store.close()
