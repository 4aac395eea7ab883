"""Debian's Chromium driven by Playwright, started the same way by every browser test, and axe-core's check.

Imported only by the browser tests and the `browser` and `tab` fixtures in conftest.py, so a machine without
Playwright still runs everything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# Flags for a machine with no network: no background calls home, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Where a console page fetches axe-core: the test answers this address itself, as if the console served the
# script, so the console's strict policy stays on (a CSP error would still show) and axe can run.
AXE_URL = "/static/test-axe.js"


@contextmanager
def launched() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test-deps` installs Debian's package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def watch_csp(page: Page) -> Page:
    """Collect the page's Content-Security-Policy errors in `page.csp_errors`, for the tests to assert on."""
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text))
    return page


def console_page(browser: Browser, **context_options: Any) -> Page:
    """A page in a browser context of its own (its own cookies), able to load axe-core from AXE_URL."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context_options})
    context.route(f"**{AXE_URL}", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    return watch_csp(context.new_page())


def serious_violations(page: Page, from_console: bool = True) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now. A console page loads axe from
    AXE_URL (see console_page); the widget's pages take it as a script tag."""
    if from_console:
        page.add_script_tag(url=AXE_URL)
    else:
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"
    )


# --- Signing in to the console, as a person does ------------------------------------------------------------
def tab_to(page: Page, target: Any, limit: int = 40) -> None:
    """Press Tab until `target` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{target} never got the focus in {limit} presses of Tab")


def sign_in(page: Page, console: Any, role: str, path: str, by_keyboard: bool = False) -> str:
    """A new account of `role` asks for `path`, signs in (name and password, then enrols its authenticator
    with a code from the setup key) and is sent back to it; returns the account's name. `by_keyboard` does
    it all with Tab, typing and Enter, as a keyboard-only user would."""
    from console_fixtures import PASSWORD, WORDING, add_account
    from playwright.sync_api import expect

    name = add_account(console.database, role)
    page.goto(console.url + path)
    name_box = page.get_by_label(WORDING["login"]["name_label"])
    if by_keyboard:
        tab_to(page, name_box)
        page.keyboard.type(name)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
    else:
        name_box.fill(name)
        page.get_by_label(WORDING["login"]["password_label"]).fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(WORDING["enrol"]["title"])
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    code_box = page.get_by_label(WORDING["enrol"]["label"])
    if by_keyboard:
        tab_to(page, code_box)
        page.keyboard.type(pyotp.TOTP(secret).now())
    else:
        code_box.fill(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    continue_link = page.get_by_role("link", name=WORDING["recovery"]["continue"])
    if by_keyboard:
        tab_to(page, continue_link)
        page.keyboard.press("Enter")
    else:
        continue_link.click()
    page.wait_for_url(f"**{path.split('?')[0]}*")
    return name
