"""What the commands print for people: JSON, the records table, the progress bar of ``send``.

Whatever a record holds reaches an operator's terminal only through :func:`printable` or
:func:`json_text`: a producer (or a hostile API) could otherwise write ESC, BEL, CR, C1 or bidi
controls into a field and rewrite the terminal (issue 11).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

COLUMNS = ("#", "stored_at", "command", "client_id", "message_id")
_MAX_CELL = 40


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on shown as a Python escape.

    That is what ``str.isprintable`` refuses: controls (C0, DEL, C1), format characters (bidi
    overrides...), line and paragraph separators, unassigned code points.
    """
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def json_text(value: object) -> str:
    """``value`` as indented JSON, printable non-ASCII characters kept as they are, every other
    character as a JSON escape (so it reads back the same)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() or char == "\n" else json.dumps(char)[1:-1] for char in text
    )


def records_table(page: Mapping[str, Any], *, newest: bool = False) -> str:
    """The page's records as an aligned text table, with the options of the next page (a cursor
    goes on only in the order it was issued for: ``newest`` repeats ``--newest``)."""
    rows: list[Sequence[str]] = [COLUMNS]
    for position, record in page.get("messages", {}).items():
        rows.append(
            [
                printable(str(position)),
                printable(str(record.get("stored_at", ""))),
                _cell(record.get("command")),
                _cell(record.get("client_id")),
                printable(str(record.get("message_id", ""))),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if len(rows) == 1:
        lines.append("(no records)")
    if page.get("next_cursor"):
        lines.append(more_line(str(page["next_cursor"]), newest=newest))
    return "\n".join(lines)


def _cell(value: object) -> str:
    text = printable("" if value is None else str(value))
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


class Progress:
    """A one-line progress bar on a terminal, or a line every few seconds elsewhere."""

    def __init__(self, out: TextIO, total: int | None, every: float = 2.0) -> None:
        self._out = out
        self._total = total
        self._tty = out.isatty()
        self._every = every
        self._start = self._last = time.monotonic()

    def update(self, done: int, *, final: bool = False) -> None:
        """Show ``done`` messages handled so far."""
        now = time.monotonic()
        if not final and now - self._last < (0.1 if self._tty else self._every):
            return
        self._last = now
        rate = done / max(now - self._start, 1e-9)
        if self._total:
            filled = int(30 * done / self._total)
            text = f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{self._total} ({rate:,.0f} msg/s)"
        else:
            text = f"{done} sent ({rate:,.0f} msg/s)"
        end = "\n" if final or not self._tty else ""
        self._out.write(("\r" if self._tty else "") + text + end)
        self._out.flush()


def more_line(cursor: str, *, newest: bool) -> str:
    """The options that ask a listing command for its next page."""
    return f"more: {'--newest ' if newest else ''}--cursor {printable(cursor)}"
