"""Tables of several benchmark runs combine into one: each figure its median with its min-max
spread, labels kept, and runs that failed or measured other rows left out with a note saying so."""

from __future__ import annotations

from typing import Any

from benchmarks.common import DASH, Table
from benchmarks.runs import combine, combine_cells, combine_table


def _table(rows: list[list[Any]], *, notes: list[str] | None = None) -> Table:
    """A batch-like table of one run: a label, a count and two figures per row."""
    return Table(
        "batch",
        "2. Batch processing",
        ["setup", "batch size", "µs per record", "speed-up"],
        rows,
        notes or [],
    )


def _failed(error: str) -> Table:
    """The table a section that raised leaves, as benchmarks/__main__.py builds it."""
    table = Table("batch", "2. Batch processing: FAILED", ["error"], [[error]])
    table.data["failed"] = "Traceback ..."
    return table


def test_each_figure_becomes_its_median_with_the_least_and_greatest_over_the_runs() -> None:
    # GIVEN three runs that measured the same rows, the figures differing
    runs = [
        _table([["SQLite", 10, 12.1, 0.8], ["SQLite", 100, 150.0, 1.9]]),
        _table([["SQLite", 10, 11.8, 0.7], ["SQLite", 100, 140.0, 2.1]]),
        _table([["SQLite", 10, 12.9, 0.75], ["SQLite", 100, 160.0, 2.0]]),
    ]

    # WHEN they are combined
    table = combine_table(runs)

    # THEN each figure reads "median (min-max)", the label and the count every run agrees on kept
    assert table.rows == [
        ["SQLite", 10, f"12.1 (11.8{DASH}12.9)", f"0.750 (0.700{DASH}0.800)"],
        ["SQLite", 100, f"150 (140{DASH}160)", f"2.00 (1.90{DASH}2.10)"],
    ]
    assert table.title == f"2. Batch processing, over 3 runs: median (min{DASH}max)"
    assert table.columns == runs[0].columns
    # AND the figures themselves are kept for the JSON, each run's value with them
    assert table.data["cells"][0][2] == {
        "median": 12.1,
        "min": 11.8,
        "max": 12.9,
        "runs": [12.1, 11.8, 12.9],
    }
    assert table.data["cells"][0][0] is None
    assert table.data["runs"] == [1, 2, 3]
    assert table.data["left_out"] == {}


def test_whole_numbers_keep_their_kind_and_an_even_count_of_runs_takes_the_middle_two() -> None:
    assert combine_cells([3, 4])[0] == f"3.50 (3{DASH}4)"
    assert combine_cells([3, 5])[0] == f"4 (3{DASH}5)"
    assert combine_cells([2000, 2000]) == (
        2000,
        {"median": 2000, "min": 2000, "max": 2000, "runs": [2000, 2000]},
    )
    assert combine_cells([1234.5, 1000.0])[0] == f"1,117 (1,000{DASH}1,234)"


def test_what_is_not_a_figure_is_kept_when_the_runs_agree_else_each_runs_value_is_shown() -> None:
    # labels, "n/a" (None, NaN) and yes/no are not figures: no median of them
    assert combine_cells(["SQS", "SQS"]) == ("SQS", None)
    assert combine_cells([None, None]) == (None, None)
    assert combine_cells([True, True]) == (True, None)
    assert combine_cells([True, False]) == ("yes / **no**", None)
    assert combine_cells(["1.2 MB", "1.3 MB", "1.2 MB"]) == ("1.2 MB / 1.3 MB / 1.2 MB", None)
    assert combine_cells([12.5, None]) == ("12.5 / n/a", None)
    assert combine_cells([float("nan"), 3.0]) == ("n/a / 3.00", None)


def test_a_run_whose_table_has_other_rows_is_left_out_and_the_note_says_so() -> None:
    # GIVEN three runs, the second of which measured one row fewer
    runs = [
        _table([["SQLite", 10, 12.0, 0.8], ["SQLite", 100, 150.0, 1.9]]),
        _table([["SQLite", 10, 99.0, 9.9]]),
        _table([["SQLite", 10, 14.0, 0.6], ["SQLite", 100, 170.0, 2.1]]),
    ]

    # WHEN they are combined
    table = combine_table(runs)

    # THEN rows matched by position combine the two runs alike, the odd one out left out
    assert table.rows[0][2] == f"13.0 (12.0{DASH}14.0)"
    assert table.rows[1][2] == f"160 (150{DASH}170)"
    assert table.title == f"2. Batch processing, over 2 of 3 runs: median (min{DASH}max)"
    assert table.data["runs"] == [1, 3]
    assert table.data["left_out"] == {2: "another shape"}
    assert any(note.startswith("Run 2 left out: its table has 1 rows") for note in table.notes)


def test_a_run_whose_section_failed_is_left_out_and_the_note_gives_its_error() -> None:
    # GIVEN two runs that measured, and one in between whose section raised
    runs = [
        _table([["SQLite", 10, 12.0, 0.8]]),
        _failed("RuntimeError: the handler did not store a batch of 10"),
        _table([["SQLite", 10, 14.0, 0.6]]),
    ]

    # WHEN they are combined
    table = combine_table(runs)

    # THEN the figures are those of the runs that succeeded, the failure said under the table
    assert table.rows == [["SQLite", 10, f"13.0 (12.0{DASH}14.0)", f"0.700 (0.600{DASH}0.800)"]]
    assert "failed" not in table.data
    assert table.notes[0] == (
        "Run 2 left out: the section failed"
        " (RuntimeError: the handler did not store a batch of 10)."
    )


def test_a_section_that_failed_in_every_run_stays_a_failed_table_with_each_runs_error() -> None:
    table = combine_table([_failed("RuntimeError: one"), _failed("OSError: two")])

    assert table.title == "2. Batch processing: FAILED (in all 2 runs)"
    assert table.rows == [["run 1", "RuntimeError: one"], ["run 2", "OSError: two"]]
    assert "failed" in table.data


def test_notes_every_run_wrote_are_kept_once_and_the_others_name_their_run() -> None:
    runs = [
        _table([["SQLite", 10, 12.0, 0.8]], notes=["speed-up = baseline / ours", "242 compiled"]),
        _table([["SQLite", 10, 14.0, 0.6]], notes=["speed-up = baseline / ours", "0 compiled"]),
    ]

    assert combine_table(runs).notes == [
        "speed-up = baseline / ours",
        "Run 1: 242 compiled",
        "Run 2: 0 compiled",
    ]


def test_every_table_of_the_runs_is_combined_in_the_order_first_printed() -> None:
    # GIVEN two runs, the second without the table the first printed last (its section not run)
    cold = Table("cold_start", "1. Cold start", ["path", "ms"], [["SQS", 80.0]])
    first = {"cold_start": cold, "batch": _table([["SQLite", 10, 12.0, 0.8]])}
    second = {"cold_start": Table("cold_start", "1. Cold start", ["path", "ms"], [["SQS", 90.0]])}

    # WHEN they are combined
    tables = combine([first, second])

    # THEN both tables come out, the missing one left out of the second run's figures
    assert [table.key for table in tables] == ["cold_start", "batch"]
    assert tables[0].rows == [["SQS", f"85.0 (80.0{DASH}90.0)"]]
    assert tables[1].rows == [["SQLite", 10, 12.0, 0.8]]
    assert tables[1].notes[0] == "Run 2 left out: the section failed (no table in this run)."
