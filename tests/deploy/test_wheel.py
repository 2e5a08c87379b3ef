"""The wheel users install: it carries the console page's static files as package data (the
Lambda artifact leaves them out with the rest of local/: test_lambda_zip.py)."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from tests.deploy.support import ROOT

UV = ROOT / ".tools" / "uv" / "bin" / "uv"
CONSOLE_FILES = ("index.html", "console.js", "console.css", "favicon.svg")


def test_the_wheel_ships_the_console_page_and_its_files(tmp_path: Path) -> None:
    # WHEN the wheel is built as a release would be
    built = subprocess.run(
        [str(UV), "build", "--wheel", "--out-dir", str(tmp_path), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("triggersqs-*.whl")

    # THEN every file of the page is in it, the same bytes as in the source tree
    static = ROOT / "src" / "triggersqs" / "local" / "console" / "static"
    with zipfile.ZipFile(wheel) as archive:
        for name in CONSOLE_FILES:
            shipped = archive.read(f"triggersqs/local/console/static/{name}")
            assert shipped == (static / name).read_bytes(), name
    assert sorted(path.name for path in static.iterdir()) == sorted(CONSOLE_FILES)
