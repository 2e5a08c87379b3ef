"""The benchmark harness runs whole in its quick mode (no timing asserted), so it cannot rot;
and a section that fails fails the run."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TITLES = (
    "1. Cold start",
    "2. Batch processing",
    "3. Read API",
    "4. Served API",
    "5. End to end",
    "Targets",
)
LABELS = ("path", "handler", "request", "setup", "load generator", "target", "measured")
"""Columns that name what a row measured: text, not figures."""
COUNTS = ("batch size", "stored records", "uvicorn workers", "errors", "messages")
"""Columns of whole numbers."""
SIZE = re.compile(r"^\d+(\.\d+)? MB( \(over the limit\))?$")
"""A response size as the read table gives it (``baseline response``)."""

pytestmark = pytest.mark.slow


def test_the_quick_benchmark_run_prints_every_table_with_figures(tmp_path: Path) -> None:
    # GIVEN a results folder of its own
    results = tmp_path / "results"

    # WHEN the harness runs in its quick mode, as `python -m benchmarks --quick`
    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--results", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    # THEN it succeeds and prints each section's table, each with rows under its header
    assert finished.returncode == 0, finished.stdout + finished.stderr
    sections = re.split(r"^### ", finished.stdout, flags=re.M)[1:]
    by_title = {title: next((s for s in sections if s.startswith(title)), None) for title in TITLES}
    assert all(by_title.values()), [title for title, text in by_title.items() if text is None]
    for title, text in by_title.items():
        assert text is not None
        assert "FAILED" not in text.splitlines()[0], title
        rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
        assert len(rows) >= 2, title  # a header and at least one row
    # AND it saved the figures as JSON, each cell of the kind its column holds, with the chart
    report = json.loads((results / "quick.json").read_text())
    assert set(report["tables"]) == {"cold_start", "batch", "read_api", "served", "end_to_end"}
    for key, table in [*report["tables"].items(), ("targets", report["targets"])]:
        assert table["rows"], key
        for row in table["rows"]:
            assert len(row) == len(table["columns"]), (key, row)
            wrong = [
                (column, value)
                for column, value in zip(table["columns"], row, strict=True)
                if not _of_its_kind(column, value)
            ]
            assert not wrong, (key, row, wrong)
    assert (results / "read-latency.png").stat().st_size > 0


def _of_its_kind(column: str, value: Any) -> bool:
    """Whether a cell holds what its column promises: a label, a count, a yes/no or a figure."""
    if column in LABELS:
        return isinstance(value, str) and bool(value.strip())
    if column in COUNTS:
        return type(value) is int and value >= 0
    if column == "met":
        return type(value) is bool
    if column == "baseline response":
        return value is None or (isinstance(value, str) and SIZE.match(value) is not None)
    if value is None:
        # "n/a" only where the baseline has no figure (its own ratio, sizes it cannot serve)
        return "baseline" in column or "÷" in column
    return type(value) in (int, float) and math.isfinite(value) and value > 0


def test_a_section_that_fails_makes_the_run_fail(tmp_path: Path) -> None:
    # GIVEN the harness with a batch section that raises, as a broken benchmark would
    script = textwrap.dedent(
        f"""
        import runpy, sys
        import benchmarks.batch

        def broken(*args, **kwargs):
            raise RuntimeError("the handler did not store a batch of 10")

        benchmarks.batch.run = broken
        sys.argv = ["benchmarks", "--quick", "--sections", "batch", "--results", {str(tmp_path)!r}]
        runpy.run_module("benchmarks", run_name="__main__")
        """
    )

    # WHEN it runs as `python -m benchmarks` would
    finished = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # THEN the section is reported failed, and the run exits non-zero saying which section
    assert "### 2. Batch processing: FAILED" in finished.stdout, finished.stdout
    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert "benchmarks: failed sections: batch" in finished.stderr, finished.stderr
    # AND the figures of the run are still saved, the failure with them
    report = json.loads((tmp_path / "quick.json").read_text())
    assert "failed" in report["tables"]["batch"]["data"]
