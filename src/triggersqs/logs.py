"""Logging for every entry point: JSON lines (one object per line, extra fields included) for
Lambda, CloudWatch and anything piped, or readable text lines (colour on a terminal) for a person
watching ``dev``, ``worker`` or ``serve``."""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal, TextIO

if TYPE_CHECKING:
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


LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")


def configure_logging(
    level: str = "INFO", stream: TextIO | None = None, log_format: LogFormat = "json"
) -> None:
    """Send the ``triggersqs`` loggers' records to ``stream`` (stdout) as JSON lines, or as text
    lines with ``log_format="text"`` (coloured when ``stream`` is a terminal); idempotent."""
    root = logging.getLogger("triggersqs")
    root.setLevel(level)
    root.propagate = False  # Lambda's root handler would print each line a second time
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    out = stream or sys.stdout
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    formatter: logging.Formatter = (
        TextFormatter(colour=_is_terminal(out)) if log_format == "text" else JsonLines()
    )
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)


class JsonLines(logging.Formatter):
    """One JSON object per record (python-json-logger's formatter), made on the first record.

    python-json-logger's import is a visible part of a cold start that may log nothing: an HTTP
    request that succeeds does not (issue 15). An SQS batch logs its summary, and pays it then.
    """

    def __init__(self) -> None:
        super().__init__()
        self._json: JsonFormatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line (its handler holds its lock: one thread at a time)."""
        if self._json is None:
            from pythonjsonlogger.json import JsonFormatter

            self._json = JsonFormatter(
                "%(levelname)s %(name)s %(message)s",
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp=True,
                json_ensure_ascii=False,
                json_serializer=_dumps,
            )
        return self._json.format(record)


def default_log_format(stream: TextIO | None = None) -> LogFormat:
    """Text for a person at a terminal, JSON for anything else (a pipe, a file, a collector)."""
    return "text" if _is_terminal(stream or sys.stdout) else "json"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# The attributes every LogRecord has; the rest are the ``extra`` fields of a line.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_COLOURS = {"DEBUG": "2", "INFO": "32", "WARNING": "33", "ERROR": "31", "CRITICAL": "1;31"}


class TextFormatter(logging.Formatter):
    """One readable line per record: time, level, message, then ``key=value`` extra fields.

    Values with spaces, quotes or control characters are JSON-quoted, so one record is always one
    line (a message body cannot forge a second one).
    """

    def __init__(self, *, colour: bool = False) -> None:
        super().__init__()
        self._colour = colour

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line (plus the traceback's lines, if it carries one)."""
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = record.levelname
        if self._colour:
            level = f"\x1b[{_COLOURS.get(level, '0')}m{level:<7}\x1b[0m"
        else:
            level = f"{level:<7}"
        fields = " ".join(
            f"{key}={_text_value(value)}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD
        )
        line = f"{stamp} {level} {_text_value(record.getMessage(), bare=True)}"
        if fields:
            line += f"  {fields}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _text_value(value: object, *, bare: bool = False) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    plain = text.isprintable() and (bare or (text and " " not in text and '"' not in text))
    if plain:
        return text
    quoted = json.dumps(text, ensure_ascii=False)  # leaves U+0085, U+2028... that end a line
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in quoted)
