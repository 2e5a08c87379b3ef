"""What the commands print: the records table (alignment, long cells, the next cursor, an empty
page) and the progress line of ``send`` on a terminal and off it."""

from __future__ import annotations

import io
import json
import time
import unicodedata

from triggersqs.cli.output import Progress, json_text, records_table

# -- the records table -------------------------------------------------------------------------


def record(n: int, **fields: object) -> dict[str, object]:
    return {
        "message_id": f"059f36b4-87a3-44ab-83d2-{n:012d}",
        "command": "SetStatus",
        "client_id": "c79da7ce8e5e",
        "stored_at": f"2025-11-24T16:0{n}:00.000000Z",
        **fields,
    }


def column_starts(header: str) -> list[int]:
    return [header.index(name) for name in ("#", "stored_at", "command", "client_id", "message_id")]


def test_the_table_aligns_every_column_under_its_header() -> None:
    # GIVEN a page of records with cells of different widths
    page = {
        "messages": {
            "0": record(0, command="Reset"),
            "1": record(1, client_id="x"),
            "12": record(2, command="SetStatusAndMore"),
        },
        "next_cursor": None,
    }
    # WHEN it is printed
    lines = records_table(page).splitlines()
    # THEN there is a header and one line per record, each cell starting under its header
    assert len(lines) == 4
    starts = column_starts(lines[0])
    for line, position in zip(lines[1:], ["0", "1", "12"], strict=True):
        assert line.startswith(position)
        for start in starts[1:]:
            assert line[start - 1] == " "
            assert line[start] != " "
    assert lines[3][starts[2] :].startswith("SetStatusAndMore")
    assert lines[2][starts[3] :].startswith("x ")
    assert all(line == line.rstrip() for line in lines)


def test_long_cells_are_cut_and_control_characters_shown() -> None:
    # GIVEN a record with a very long command and a client id holding a newline and a tab
    page = {"messages": {"0": record(0, command="C" * 100, client_id="a\nb\tc")}}
    # WHEN it is printed
    lines = records_table(page).splitlines()
    # THEN the command is cut to 40 characters ending in an ellipsis, and the client id stays on
    # its line with the control characters escaped
    assert len(lines) == 2
    assert "C" * 39 + "…" in lines[1]
    assert "C" * 40 not in lines[1]
    assert "a\\nb\\tc" in lines[1]


def test_a_page_with_more_records_ends_with_the_cursor_to_pass_next() -> None:
    # GIVEN a page with a next cursor
    page = {"messages": {"0": record(0)}, "next_cursor": "eyJwIjoxfQ"}
    # WHEN it is printed
    lines = records_table(page).splitlines()
    # THEN the last line says how to get the next page
    assert lines[-1] == "more: --cursor eyJwIjoxfQ"


def test_an_empty_page_says_there_are_no_records() -> None:
    # GIVEN a page without records or a next cursor
    page: dict[str, object] = {"messages": {}, "next_cursor": None}
    # WHEN it is printed
    lines = records_table(page).splitlines()
    # THEN the header is followed by "(no records)" and nothing else
    assert lines[0].split() == ["#", "stored_at", "command", "client_id", "message_id"]
    assert lines[1:] == ["(no records)"]


# -- the progress line -------------------------------------------------------------------------


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_off_a_terminal_writes_whole_lines_without_carriage_returns() -> None:
    # GIVEN a progress line for 10 messages on a stream that is not a terminal
    out = io.StringIO()
    progress = Progress(out, total=10, every=0)
    # WHEN half is done, then all
    progress.update(5)
    progress.update(10, final=True)
    # THEN each update is a line of its own with a bar and the counts
    lines = out.getvalue().split("\n")
    assert "\r" not in out.getvalue()
    assert lines[0].startswith("[" + "#" * 15 + "." * 15 + "] 5/10 (")
    assert lines[1].startswith("[" + "#" * 30 + "] 10/10 (")
    assert lines[0].endswith(" msg/s)")
    assert lines[2] == ""


def test_progress_off_a_terminal_is_throttled_but_always_shows_the_end() -> None:
    # GIVEN a progress line that may write once an hour, on a stream that is not a terminal
    out = io.StringIO()
    progress = Progress(out, total=None, every=3600)
    # WHEN many updates come, then the final one
    for done in range(1, 100):
        progress.update(done)
    progress.update(100, final=True)
    # THEN only the final count was written, as a line
    assert out.getvalue().startswith("100 sent (")
    assert out.getvalue().count("\n") == 1


def test_progress_on_a_terminal_redraws_one_line() -> None:
    # GIVEN a progress line on a terminal, past its tenth of a second between redraws
    out = Terminal()
    progress = Progress(out, total=4, every=0)
    time.sleep(0.15)
    # WHEN an update comes, then the final one
    progress.update(2)
    middle = out.getvalue()
    progress.update(4, final=True)
    # THEN the bar is redrawn in place, and only the final one ends the line
    assert middle.startswith("\r[" + "#" * 15 + "." * 15 + "] 2/4 (")
    assert "\n" not in middle
    final = out.getvalue()[len(middle) :]
    assert final.startswith("\r[" + "#" * 30 + "] 4/4 (")
    assert final.endswith(" msg/s)\n")


# -- control characters from stored fields -----------------------------------------------------

CONTROLS = "\x1b]0;pwned\x07\x1b[2J\r\x9b31m\x7f\u202e\u2028"


def test_no_field_of_the_table_reaches_the_terminal_with_a_control_character() -> None:
    # GIVEN a page whose every field (and cursor) a producer or a hostile API filled with
    # terminal controls: OSC title, BEL, clear screen, CR, C1 CSI, DEL, bidi override
    page = {
        "messages": {
            f"0{CONTROLS}": record(
                1,
                message_id=f"id{CONTROLS}",
                command=f"Cmd{CONTROLS}",
                client_id=f"c{CONTROLS}",
                stored_at=f"2025{CONTROLS}",
            )
        },
        "next_cursor": f"cur{CONTROLS}",
    }

    # WHEN it is printed as a table
    table = records_table(page)

    # THEN no control character is left, each shows as a visible escape
    assert not any(_is_control(char) for char in table.replace("\n", ""))
    assert "\\x1b" in table
    assert "\\u202e" in table


def test_the_json_output_carries_no_raw_control_character_and_reads_back_the_same() -> None:
    page = {"messages": {"0": record(1, command=f"Cmd{CONTROLS}")}, "next_cursor": None}

    text = json_text(page)

    assert not any(_is_control(char) for char in text.replace("\n", ""))
    assert json.loads(text) == page


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}
