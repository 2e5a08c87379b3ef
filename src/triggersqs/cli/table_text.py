"""Aligned text tables for the commands that list things (``dlq list``, ``rejected list``)."""

from __future__ import annotations

from collections.abc import Sequence

MAX_CELL = 48


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """``rows`` under ``columns``, each cell on one line and cut to :data:`MAX_CELL`."""
    cells = [list(columns), *([_cell(value) for value in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    if not rows:
        lines.append("(none)")
    return "\n".join(lines)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
