"""The console page in a real browser: headless Chromium (Debian's, from scripts/install-browser)
driven by Playwright, against `triggersqs dev` run as a process, with messages sent by
`triggersqs send`. One browser for the module; each test opens its own context (its own tab
storage) and asserts that the page logged no error and threw nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import AXE, chromium
from tests.support.servers import free_port
from tests.support.stack import DevStack, body, dev_stack, run_triggersqs
from tests.support.waiting import wait_for

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error

KEY = "console-e2e-Zp4tq9V1xkR7mN2sLw8eYb3cHd6fJu0aGi5o"
SEEN = 15_000
"""How long (ms) the page may take to show what the server has."""

pytestmark = pytest.mark.slow
expect.set_options(timeout=SEEN)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@dataclass
class Tab:
    """A page of its own browser context, and what it logged."""

    page: Page
    problems: list[str] = field(default_factory=list)
    tolerated: list[re.Pattern[str]] = field(default_factory=list)

    def untolerated(self) -> list[str]:
        return [p for p in self.problems if not any(t.search(p) for t in self.tolerated)]


@contextmanager
def tab(browser: Browser, url: str | None, *tolerated: str) -> Iterator[Tab]:
    """The console at ``url`` (None: the test goes there) in a new context; at the end, no
    console error and no page error but those matching ``tolerated`` (the browser's own lines
    for answers a test causes)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    opened = Tab(page, tolerated=[re.compile(t) for t in tolerated])

    def console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            opened.problems.append(f"console {message.type}: {message.text}")

    def error(exc: Error) -> None:
        opened.problems.append(f"page error: {exc}")

    page.on("console", console)
    page.on("pageerror", error)
    page.set_default_timeout(SEEN)
    if url is not None:
        page.goto(url)
    try:
        yield opened
    finally:
        context.close()
    assert opened.untolerated() == []


def send(stack: DevStack, *lines: str) -> None:
    """``triggersqs send --file -`` of JSON lines (or anything) to the stack's queue."""
    sent = run_triggersqs(
        "send", "--file", "-", "--queue-url", stack.queue_url, stdin="\n".join(lines) + "\n"
    )
    assert sent.returncode == 0, sent.stderr


def rows(page: Page, table: str) -> Any:
    return page.locator(f"#{table} tbody tr")


def audit(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of WCAG 2.x A and AA on the page as it is (labels, roles, names,
    contrast, keyboard traps...)."""
    assert AXE.exists(), "no axe-core: run scripts/install-browser"
    # Evaluated through the DevTools protocol: the page's policy rightly refuses a <script> tag.
    page.evaluate(AXE.read_text() + "\n;undefined")
    result: dict[str, Any] = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values:"
        " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in result["violations"]
    ]


def test_sent_messages_and_a_rejected_one_appear_with_their_counts_and_bodies(
    browser: Browser, tmp_path: Path
) -> None:
    with dev_stack(tmp_path) as stack, tab(browser, stack.api_url + "/") as opened:
        page = opened.page
        expect(page.locator("#connection")).to_have_text("Live")
        expect(page.locator("#records-empty")).to_be_visible()

        # WHEN three commands and a message that is not JSON are sent
        send(stack, body("client-a"), body("client-b"), body("client-c", "Reboot"))
        send(stack, "<img src=x onerror=alert(1)> not json")

        # THEN the three show, newest first, with the outcome counts
        expect(rows(page, "records")).to_have_count(3)
        expect(page.locator("#outcome-stored")).to_have_text("3")
        expect(page.locator("#outcome-rejected")).to_have_text("1")
        expect(page.locator("#outcome-failed")).to_have_text("0")
        expect(page.locator("#queue-visible")).to_have_text("0")
        expect(page.locator("#dlq-depth")).to_have_text("0")
        first = rows(page, "records").first
        expect(first.locator("td").nth(1)).to_have_text("client-c")  # newest first
        expect(first.locator("td").nth(0)).to_have_text("Reboot")
        expect(first.locator("td").nth(5)).to_have_text("1")
        # AND the rejected one with its reason, as text (nothing of it runs)
        rejected = rows(page, "rejected")
        expect(rejected).to_have_count(1)
        expect(rejected.first.locator("td").nth(1)).to_contain_text("not valid JSON")
        assert page.locator("#rejected img").count() == 0

        # WHEN a row is clicked, THEN its whole body shows, and Escape closes it
        rows(page, "records").filter(has_text="client-a").click()
        expect(page.locator("#detail")).to_be_visible()
        expect(page.locator("#detail-body")).to_contain_text('"client_id": "client-a"')
        page.keyboard.press("Escape")
        expect(page.locator("#detail")).to_be_hidden()
        # AND by keyboard alone: Tab to a message id, Enter
        rejected.first.locator("button").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#detail-body")).to_contain_text("<img src=x onerror=alert(1)>")
        page.keyboard.press("Escape")

        # WHEN filtered by client id, THEN only that client's record shows
        page.get_by_label("client id").fill("client-b")
        page.get_by_label("client id").press("Enter")
        expect(rows(page, "records")).to_have_count(1)
        expect(rows(page, "records").first.locator("td").nth(1)).to_have_text("client-b")
        page.get_by_role("button", name="Clear").click()
        expect(rows(page, "records")).to_have_count(3)

        # WHEN a second bad message is sent after the first was rejected
        send(stack, '{"command": "SetStatus"}')
        # THEN the rejections are newest first too: the second on top
        expect(rejected).to_have_count(2)
        expect(rejected.first.locator("td").nth(1)).to_contain_text("client_id")
        expect(rejected.nth(1).locator("td").nth(1)).to_contain_text("not valid JSON")

        # AND the page passes the accessibility audit
        assert audit(page) == []


def test_paging_follows_the_apis_cursors(browser: Browser, tmp_path: Path) -> None:
    with dev_stack(tmp_path) as stack, tab(browser, stack.api_url + "/") as opened:
        page = opened.page
        # GIVEN 25 records: more than a page of 20
        generated = run_triggersqs("send", "--count", "25", "--queue-url", stack.queue_url)
        assert generated.returncode == 0, generated.stderr
        expect(page.locator("#outcome-stored")).to_have_text("25")
        expect(rows(page, "records")).to_have_count(20)
        first_page = set(rows(page, "records").locator("button").all_inner_texts())

        # WHEN the next page is asked for
        page.get_by_role("button", name="Next page").first.click()

        # THEN the other 5 show, none of the first page's, and Newest goes back
        expect(rows(page, "records")).to_have_count(5)
        second_page = set(rows(page, "records").locator("button").all_inner_texts())
        assert not first_page & second_page
        expect(page.locator("#records-page")).to_contain_text("page 2")
        page.locator("#records-newest").click()
        expect(rows(page, "records")).to_have_count(20)


def test_messages_failed_while_the_store_was_away_are_redriven_from_the_page_and_stored(
    browser: Browser, tmp_path: Path
) -> None:
    # GIVEN dev in retry mode, its SQLite file on a volume
    volume, away = tmp_path / "volume", tmp_path / "volume-away"
    volume.mkdir()
    env = {
        "TRIGGERSQS_INVALID_MESSAGES": "retry",
        "TRIGGERSQS_SQLITE_PATH": str(volume / "triggersqs.db"),
    }
    unavailable = r"status of 503 \(Service Unavailable\)"  # the API's reads, while it is away
    with (
        dev_stack(tmp_path, "--visibility-timeout", "2", env=env) as stack,
        tab(browser, stack.api_url + "/", unavailable) as opened,
    ):
        page = opened.page
        expect(page.locator("#connection")).to_have_text("Live")
        # AND the volume gone (unmounted): every record fails at once and goes back to the
        # queue, to the DLQ after 3 receives
        volume.rename(away)

        # WHEN three commands and one poison message are sent
        send(stack, body("late-1"), body("late-2"), body("late-3"), "poison")

        # THEN all four reach the DLQ panel, with the queue they came from
        expect(page.locator("#dlq-depth")).to_have_text("4", timeout=30_000)
        expect(rows(page, "dlq")).to_have_count(4)
        expect(rows(page, "dlq").first.locator("td").nth(1)).to_have_text("triggersqs")
        # (each command failed on each of its 3 receives)
        expect(page.locator("#outcome-failed")).to_have_text("9")

        # WHEN the cause is fixed (the volume is back) and Redrive is pressed
        away.rename(volume)
        page.get_by_role("button", name="Redrive").click()

        # THEN the redrive reports its end, and the three commands are stored
        expect(page.locator("#redrive-status")).to_have_text(
            "Redrove 4 messages (StartMessageMoveTask)"
        )
        expect(rows(page, "records")).to_have_count(3)
        expect(page.locator("#outcome-stored")).to_have_text("3")
        # AND the poison one is poison still: rejected again, its reason kept
        expect(rows(page, "rejected").first.locator("td").nth(1)).to_contain_text("not valid JSON")
        assert {r["client_id"] for r in stack.all_records()} == {"late-1", "late-2", "late-3"}


def test_with_an_api_key_the_page_shows_nothing_until_the_key_is_entered(
    browser: Browser, tmp_path: Path
) -> None:
    refused = r"status of 401 \(Unauthorized\)"  # the wrong key, tried on purpose
    with (
        dev_stack(tmp_path, env={"TRIGGERSQS_API_KEY": KEY}) as stack,
        tab(browser, stack.api_url + "/", refused) as opened,
    ):
        page = opened.page
        send(stack, body("secret-client"))
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))

        # THEN the page asks for the key and shows no data
        expect(page.get_by_label("API key", exact=True)).to_be_visible()
        expect(page.locator("#data")).to_be_hidden()
        page.wait_for_timeout(1500)
        assert page.locator("text=secret-client").count() == 0
        assert not [url for url in requested if "/records" in url or "/state" in url]

        # WHEN a wrong key is entered, THEN it is refused and asked again
        page.get_by_label("API key", exact=True).fill("not-the-key")
        page.get_by_role("button", name="Show the data").click()
        expect(page.locator("#key-error")).to_contain_text("refused")
        expect(page.locator("#data")).to_be_hidden()

        # WHEN the key is entered, THEN the data shows, sent as a Bearer header
        with page.expect_request(re.compile(r"/records\?")) as listing:
            page.get_by_label("API key", exact=True).fill(KEY)
            page.get_by_label("API key", exact=True).press("Enter")
        assert listing.value.headers["authorization"] == f"Bearer {KEY}"
        expect(rows(page, "records").first).to_contain_text("secret-client")
        # AND the tab keeps it across a reload, in sessionStorage only
        page.reload()
        expect(rows(page, "records").first).to_contain_text("secret-client")
        assert page.evaluate("localStorage.length") == 0
        assert page.evaluate("document.cookie") == ""


def test_the_page_wakes_from_a_frozen_tab_and_reconnects_after_dev_restarts(
    browser: Browser, tmp_path: Path
) -> None:
    ports = (free_port(), free_port())
    refused = r"ERR_CONNECTION_REFUSED"  # the browser's line for each try while dev is down
    with tab(browser, None, refused) as opened:
        page = opened.page
        with dev_stack(tmp_path, ports=ports) as stack:
            page.goto(stack.api_url + "/")
            send(stack, body("before"))
            expect(rows(page, "records")).to_have_count(1)

            # WHEN the tab is frozen (as Chrome freezes a background tab) while one arrives
            cdp = page.context.new_cdp_session(page)
            cdp.send("Page.setWebLifecycleState", {"state": "frozen"})
            send(stack, body("while-frozen"))
            wait_for(lambda: len(stack.all_records()) == 2, 10, "the message to be stored")
            # THEN it shows once the tab wakes
            cdp.send("Page.setWebLifecycleState", {"state": "active"})
            expect(rows(page, "records")).to_have_count(2)

        # WHEN dev stops, THEN the page says so
        expect(page.locator("#connection")).to_have_text("Disconnected: retrying…")
        # WHEN dev starts again on the same ports and file
        with dev_stack(tmp_path, ports=ports) as again:
            # THEN the page is live again by itself, and shows what arrives
            expect(page.locator("#connection")).to_have_text("Live")
            send(again, body("after"))
            expect(rows(page, "records")).to_have_count(3)
