"""The read benchmark's peak memory is the measuring process's own, not its parent's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARENT_MIB = 256


def test_a_child_reports_its_own_peak_resident_set_not_its_parents() -> None:
    # GIVEN a parent that has touched 256 MiB (the harness, grown by earlier sections)
    held = bytearray(PARENT_MIB * 2**20)
    for offset in range(0, len(held), 4096):
        held[offset] = 1

    # WHEN a fresh child process, as each size of the read benchmark is, reads its peak
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "from benchmarks.read_api import max_rss_bytes; print(max_rss_bytes())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )

    # THEN it reports what the child itself used, far below what the parent holds
    assert int(child.stdout) < PARENT_MIB * 2**20 // 2, child.stdout
    del held
