"""Several runs combined: each table's figures as medians with their spread, the targets met by
their medians.

A single run's figure can be luck (another process, a cold cache); the median over runs with the
range around it says how far to trust it (issue 15). Rows are matched by position: the same plan
gives the same rows in every run.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from benchmarks import targets
from benchmarks.common import DASH, Table, cell


class Run(NamedTuple):
    """One full run: its tables by key, its targets and its JSON report."""

    tables: dict[str, Table]
    targets: list[targets.Target]
    report: dict[str, Any]


def over(done: Sequence[Run]) -> tuple[list[Table], dict[str, Any]]:
    """The tables and the targets over the runs, and the JSON report of the whole set."""
    combined = combine([run.tables for run in done])
    goal = targets.over_runs([run.targets for run in done])
    report = {
        "runs": [run.report for run in done],
        "tables": {table.key: table.as_json() for table in combined},
        "targets": goal.as_json(),
        "markdown": "\n\n".join(t.markdown() for t in [*combined, goal]),
    }
    return [*combined, goal], report


def combine(runs: Sequence[Mapping[str, Table]]) -> list[Table]:
    """Every table of the runs (by key, in the order first seen) combined over the runs."""
    keys = list(dict.fromkeys(key for tables in runs for key in tables))
    return [combine_table([tables.get(key) for tables in runs]) for key in keys]


def combine_table(tables: Sequence[Table | None]) -> Table:
    """One table over the runs (``None`` where a run lacks it): the runs that failed or whose
    table has another shape than most are left out, and its notes say so."""
    count = len(tables)
    failed = {i: _why(t) for i, t in enumerate(tables, 1) if t is None or "failed" in t.data}
    good = {i: t for i, t in enumerate(tables, 1) if t is not None and i not in failed}
    if not good:
        return _all_failed(tables, failed)
    shapes = {i: _shape(t) for i, t in good.items()}
    shape = Counter(shapes.values()).most_common(1)[0][0]
    used = {i: t for i, t in good.items() if shapes[i] == shape}
    first = next(iter(used.values()))
    over = f"{len(used)} runs" if len(used) == count else f"{len(used)} of {count} runs"
    table = Table(first.key, f"{first.title}, over {over}: median (min{DASH}max)", first.columns)
    table.notes = [f"Run {i} left out: the section failed ({why})." for i, why in failed.items()]
    table.notes += [
        f"Run {i} left out: its table has {_describe(shapes[i])}, the others {_describe(shape)}."
        for i in good
        if i not in used
    ]
    table.notes += _notes({i: t.notes for i, t in used.items()})
    cells: list[list[dict[str, Any] | None]] = []
    for position, row in enumerate(first.rows):
        combined = [
            combine_cells([t.rows[position][column] for t in used.values()])
            for column in range(len(row))
        ]
        table.rows.append([shown for shown, _ in combined])
        cells.append([figures for _, figures in combined])
    table.data = {
        "runs": list(used),
        "left_out": {**failed, **{i: "another shape" for i in good if i not in used}},
        "cells": cells,
    }
    return table


def combine_cells(values: Sequence[Any]) -> tuple[Any, dict[str, Any] | None]:
    """One cell over the runs, and its figures when numeric: the median with its range for
    numbers, the value itself when every run agrees, else each run's value joined by " / "."""
    if all(_number(value) for value in values):
        middle = statistics.median(values)
        if all(type(value) is int for value in values) and middle == int(middle):
            middle = int(middle)
        low, high = min(values), max(values)
        figures = {"median": middle, "min": low, "max": high, "runs": list(values)}
        if low == high:
            return values[0], figures
        return f"{cell(middle)} ({cell(low)}{DASH}{cell(high)})", figures
    if all(value == values[0] for value in values):
        return values[0], None
    return " / ".join(cell(value) for value in values), None


def _number(value: Any) -> bool:  # noqa: ANN401 - any cell
    """Whether a cell is a figure: a finite int or float (not a yes/no, not "n/a")."""
    return type(value) in (int, float) and math.isfinite(value)


def _shape(table: Table) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The columns and the length of each row: what rows matched by position need alike."""
    return tuple(table.columns), tuple(len(row) for row in table.rows)


def _describe(shape: tuple[tuple[str, ...], tuple[int, ...]]) -> str:
    """A shape in words, for the note of a run left out."""
    columns, rows = shape
    return f"{len(rows)} rows of {len(columns)} columns ({', '.join(columns)})"


def _why(table: Table | None) -> str:
    """What failed: the error of a FAILED table, or that the run has no such table."""
    if table is None:
        return "no table in this run"
    return str(table.rows[0][0]) if table.rows and table.rows[0] else "no error recorded"


def _notes(by_run: Mapping[int, Sequence[str]]) -> list[str]:
    """The notes every run wrote alike, then those of one run only, each with its run number."""
    runs = list(by_run.values())
    common = [note for note in runs[0] if all(note in notes for notes in runs)]
    own = [
        f"Run {i}: {note}" for i, notes in by_run.items() for note in notes if note not in common
    ]
    return common + own


def _all_failed(tables: Sequence[Table | None], failed: Mapping[int, str]) -> Table:
    """The table of a section that failed in every run: each run's error."""
    first = next((t for t in tables if t is not None), None)
    key = first.key if first is not None else "unknown"
    title = first.title if first is not None else key
    table = Table(key, f"{title} (in all {len(tables)} runs)", ["run", "error"])
    table.rows = [[f"run {i}", why] for i, why in failed.items()]
    table.data = {"failed": "in every run", "runs": [], "left_out": dict(failed)}
    return table
