"""Headless Chromium for the console's tests and figures: Debian's /usr/bin/chromium (installed
by scripts/install-browser), driven by Playwright as it is; never `playwright install`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
AXE = Path(__file__).parents[2] / ".cache" / "axe-core" / "axe.min.js"
"""axe-core, the accessibility audit run in the page (scripts/install-browser)."""


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium until the block ends."""
    assert CHROMIUM.exists(), "no /usr/bin/chromium: run scripts/install-browser"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()
