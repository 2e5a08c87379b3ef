"""The benchmark harness runs whole in its quick mode (no timing asserted), so it cannot rot;
over several runs its figures come with their spread; and a section that fails fails the run."""

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
NUMBER = r"\d[\d,]*(?:\.\d+)?"
SPREAD = re.compile(rf"^({NUMBER}) \(({NUMBER})\u2013({NUMBER})\)$")
"""A figure over runs: ``median (min\u2013max)``."""
RANGE = re.compile(rf"^({NUMBER})\u2013({NUMBER}) \(runs: (.+)\)$")
"""A target's spread over runs: ``min\u2013max (runs: each run's figure)``."""

pytestmark = pytest.mark.slow


def test_the_quick_benchmark_run_prints_every_table_with_figures(tmp_path: Path) -> None:
    # GIVEN a results folder of its own
    results = tmp_path / "results"

    # WHEN the harness runs in its quick mode, as `python -m benchmarks --quick`
    finished = _python("-m", "benchmarks", "--quick", "--results", str(results), timeout=600)

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


def test_two_quick_runs_print_every_table_again_as_medians_with_their_spread(
    tmp_path: Path,
) -> None:
    # GIVEN a results folder of its own
    results = tmp_path / "results"

    # WHEN two quick runs of the sections with figures and targets run in turn
    command = ["--quick", "--runs", "2", "--sections", "cold,batch", "--results", str(results)]
    finished = _python("-m", "benchmarks", *command, timeout=300)

    # THEN it succeeds: each run printed and saved on its own, then the tables over both runs
    assert finished.returncode == 0, finished.stdout + finished.stderr
    for heading in ("## Run 1 of 2", "## Run 2 of 2", "## Over 2 runs"):
        assert f"\n{heading}\n" in finished.stdout, heading
    for title in (r"1\. Cold start.*, over 2 runs", r"2\. Batch processing.*, over 2 runs"):
        assert re.search(rf"^### {title}: median \(min\u2013max\)$", finished.stdout, re.M), title
    assert re.search(r"^### Targets over 2 runs ", finished.stdout, re.M)
    assert len(list(results.glob("quick-*-run[12].json"))) == 2
    report = json.loads((results / "quick-runs.json").read_text())
    assert [sorted(run["tables"]) for run in report["runs"]] == [["batch", "cold_start"]] * 2
    # AND every figure over the runs is its median between the least and the greatest run's
    assert set(report["tables"]) == {"cold_start", "batch"}
    for key, table in report["tables"].items():
        assert table["rows"], key
        for position, row in enumerate(table["rows"]):
            each = [run["tables"][key]["rows"][position] for run in report["runs"]]
            for column, value, *by_run in zip(table["columns"], row, *each, strict=True):
                assert _over_the_runs(column, value, by_run), (key, column, value, by_run)
    # AND each target's median, within its spread, decides whether it is met
    targets = report["targets"]
    assert len(targets["rows"]) == 3  # two cold starts, the batch of 10
    for name, median, spread, met in targets["rows"]:
        figures = targets["data"][name]
        parsed = RANGE.match(spread)
        assert parsed, (name, spread)
        low, high = _number(parsed[1]), _number(parsed[2])
        assert low <= _number(median.split()[0]) <= high, (name, median, spread)
        assert figures["min"] <= figures["median"] <= figures["max"], name
        assert met is figures["met"], name


def _over_the_runs(column: str, value: Any, by_run: list[Any]) -> bool:
    """Whether a cell over the runs is what the runs measured: the value they agree on, else the
    median with the least and the greatest of them."""
    if all(each == by_run[0] for each in by_run):
        return value == by_run[0] and _of_its_kind(column, value)
    parsed = SPREAD.match(value) if isinstance(value, str) else None
    if parsed is None:
        return False
    median, low, high = (_number(text) for text in parsed.groups())
    # the cell shows 3 significant digits
    return (
        0 < low <= median <= high
        and low == pytest.approx(min(by_run), rel=0.01, abs=0.001)
        and high == pytest.approx(max(by_run), rel=0.01, abs=0.001)
    )


def _number(text: str) -> float:
    """A figure as a cell prints it (thousands separated)."""
    return float(text.replace(",", ""))


def test_runs_must_be_at_least_one() -> None:
    finished = _python("-m", "benchmarks", "--runs", "0", timeout=60)

    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert "--runs must be at least 1, not 0" in finished.stderr


def test_a_section_that_fails_makes_the_run_fail(tmp_path: Path) -> None:
    # GIVEN the harness with a batch section that raises, as a broken benchmark would
    # WHEN it runs as `python -m benchmarks --quick --sections batch` would
    finished = _with_batch_failing_in({1}, "--results", str(tmp_path))

    # THEN the section is reported failed, and the run exits non-zero saying which section
    assert "### 2. Batch processing: FAILED" in finished.stdout, finished.stdout
    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert "benchmarks: failed sections: batch" in finished.stderr, finished.stderr
    # AND the figures of the run are still saved, the failure with them
    report = json.loads((tmp_path / "quick.json").read_text())
    assert "failed" in report["tables"]["batch"]["data"]


def test_a_section_that_fails_in_one_of_several_runs_fails_the_set_naming_its_run(
    tmp_path: Path,
) -> None:
    # GIVEN the harness with a batch section that raises in its second run only
    # WHEN it runs as `python -m benchmarks --quick --sections batch --runs 3` would
    finished = _with_batch_failing_in({2}, "--runs", "3", "--results", str(tmp_path))

    # THEN the run exits non-zero naming the section and its run
    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert "benchmarks: failed sections: batch (run 2)" in finished.stderr, finished.stderr
    # AND the table over the runs combines the two that succeeded, saying which was left out
    batch = json.loads((tmp_path / "quick-runs.json").read_text())["tables"]["batch"]
    assert ", over 2 of 3 runs: " in batch["title"]
    assert batch["data"]["runs"] == [1, 3]
    assert batch["notes"][0].startswith("Run 2 left out: the section failed (RuntimeError: ")


def _with_batch_failing_in(runs: set[int], *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m benchmarks --quick --sections batch *argv``, its batch section raising in the
    runs numbered ``runs`` (from 1) and measuring in the others."""
    script = textwrap.dedent(
        f"""
        import runpy, sys
        import benchmarks.batch

        measure, calls = benchmarks.batch.run, []

        def flaky(*args, **kwargs):
            calls.append(1)
            if len(calls) in {sorted(runs)!r}:
                raise RuntimeError("the handler did not store a batch of 10")
            return measure(*args, **kwargs)

        benchmarks.batch.run = flaky
        sys.argv = ["benchmarks", "--quick", "--sections", "batch", *{list(argv)!r}]
        runpy.run_module("benchmarks", run_name="__main__")
        """
    )
    return _python("-c", script, timeout=120)


def _python(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python *args`` in the repository, as a user runs it, its output captured."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_sqlite_floor_prints_each_statement_of_each_layout_in_microseconds() -> None:
    # GIVEN nothing but the project (it makes its own files)
    # WHEN the floor of the SQLite store is measured, as docs/benchmarks.md says to
    finished = subprocess.run(
        [sys.executable, "-m", "benchmarks.sqlite_floor"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # THEN it succeeds with one row per batch size and layout, every timing a positive figure
    assert finished.returncode == 0, finished.stdout + finished.stderr
    rows = [line.strip("|").split("|") for line in finished.stdout.splitlines()[2:]]
    from benchmarks.sqlite_floor import CASES, LAYOUTS

    assert len(rows) == len(CASES) * len(LAYOUTS), finished.stdout
    for cells in rows:
        timings = [float(cell.replace(",", "")) for cell in cells[3:]]
        assert len(timings) == 6, cells
        assert all(value > 0 for value in timings), cells
        begin, ends, insert, commit, batch, per_record = timings
        assert max(begin, ends, insert, commit) <= batch, cells  # each part within the whole
        assert per_record == pytest.approx(batch / int(cells[0].replace(",", "")), rel=0.01)
