"""JSON-lines logging for every entry point: one object per line, extra fields included."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the Lambda invocation (or poller batch) being handled, added to every line."""

_HANDLER_NAME = "triggersqs-json"
# Line breaks that JSON leaves raw: a log reader (or a terminal) that splits on them would cut
# one record in two, and text from a message could then pose as a log line of its own.
_LINE_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085"})


def _dumps(value: Any, **options: Any) -> str:  # noqa: ANN401 - json.dumps's signature
    """``json.dumps``, with U+2028, U+2029 and U+0085 escaped (non-ASCII text stays as it is)."""
    return json.dumps(value, **options).translate(_LINE_BREAKS)


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
            json_serializer=_dumps,
        )
    )
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)
