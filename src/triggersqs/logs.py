"""JSON-lines logging for every entry point: one object per line, extra fields included."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the Lambda invocation (or poller batch) being handled, added to every line."""

_HANDLER_NAME = "triggersqs-json"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current is not None:
            record.request_id = current
        return True


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send the ``triggersqs`` loggers' records to ``stream`` (stdout) as JSON lines; idempotent."""
    root = logging.getLogger("triggersqs")
    root.setLevel(level)
    root.propagate = False  # Lambda's root handler would print each line a second time
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
            json_ensure_ascii=False,
        )
    )
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)
