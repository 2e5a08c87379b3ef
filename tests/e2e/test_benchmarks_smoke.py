"""The benchmark harness runs whole in its quick mode (no timing asserted), so it cannot rot."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

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

    # THEN it succeeds and prints each section's table, each with numbers in its rows
    assert finished.returncode == 0, finished.stdout + finished.stderr
    sections = re.split(r"^### ", finished.stdout, flags=re.M)[1:]
    by_title = {title: next((s for s in sections if s.startswith(title)), None) for title in TITLES}
    assert all(by_title.values()), [title for title, text in by_title.items() if text is None]
    for title, text in by_title.items():
        assert text is not None
        rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
        assert len(rows) >= 2, title  # a header and at least one row
        assert all(re.search(r"\d", row) for row in rows[1:]), title
    # AND it saved the figures as JSON, with the chart beside them
    report = json.loads((results / "quick.json").read_text())
    assert set(report["tables"]) == {"cold_start", "batch", "read_api", "served", "end_to_end"}
    assert (results / "read-latency.png").stat().st_size > 0
