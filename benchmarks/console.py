"""The console page: how long it takes to show a sent message, and its picture for the README.

Starts `triggersqs dev` (retry mode, so invalid messages reach the DLQ), opens the page in
headless Chromium (tests/support/browser.py), then sends one message at a time with `triggersqs
send` and times each from the command returning to its row being visible on the page.

Run: .venv/bin/python -m benchmarks.console [--times 9] [--screenshot docs/console.png]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, expect
from tests.support.browser import chromium
from tests.support.stack import DevStack, body, dev_stack, run_triggersqs


def send(stack: DevStack, *lines: str) -> None:
    """``triggersqs send --file -`` of ``lines`` to the stack's queue."""
    sent: subprocess.CompletedProcess[str] = run_triggersqs(
        "send", "--file", "-", "--queue-url", stack.queue_url, stdin="\n".join(lines) + "\n"
    )
    if sent.returncode != 0:
        raise RuntimeError(sent.stderr)


def seconds_to_show(page: Page, stack: DevStack, times: int) -> list[float]:
    """From `send` returning to the message's row being visible, ``times`` times."""
    seen = []
    for number in range(times):
        client = f"latency-{number:03d}"
        send(stack, body(client))
        returned = time.perf_counter()
        page.locator("#records tbody tr", has_text=client).wait_for(timeout=30_000)
        seen.append(time.perf_counter() - returned)
        time.sleep(0.37 * (number % 3))  # land at different points of the page's 1 s poll
    return seen


def dress(page: Page, stack: DevStack) -> None:
    """Some of everything for the picture: commands, rejections, dead letters."""
    send(stack, *(body(f"c79da7ce8e{n:02d}", c) for n, c in enumerate(["SetStatus"] * 4)))
    send(stack, body("a41f0c9e2b7d", "Reboot"), '{"command": "SetStatus"}', "plain text")
    expect(page.locator("#dlq-depth")).to_have_text("2", timeout=30_000)
    expect(page.locator("#dlq tbody tr")).to_have_count(2, timeout=30_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=9, help="messages to time (9)")
    parser.add_argument("--screenshot", type=Path, default=None, help="write the page's PNG here")
    args = parser.parse_args()
    env = {"TRIGGERSQS_INVALID_MESSAGES": "retry"}
    with (
        tempfile.TemporaryDirectory() as workdir,
        dev_stack(Path(workdir), "--visibility-timeout", "2", env=env) as stack,
        chromium() as browser,
    ):
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(stack.api_url + "/")
        expect(page.locator("#connection")).to_have_text("Live")
        seen = seconds_to_show(page, stack, args.times)
        print(
            f"console: a sent message shows after {statistics.median(seen):.2f} s"
            f" (median of {len(seen)}; min {min(seen):.2f}, max {max(seen):.2f})"
        )
        if args.screenshot is not None:
            dress(page, stack)
            page.screenshot(path=str(args.screenshot), full_page=True)
            print(f"console: wrote {args.screenshot}")


if __name__ == "__main__":
    main()
