"""The call handlers' pages in a real browser (Debian's Chromium, driven by Playwright) against a real
console process: a handler signs in, finds a handoff by the reference as a caller says it, picks it up,
adds a note and closes it, all with the keyboard only; axe-core finds no serious or critical problems on
the queue and handoff pages; the queue refreshes itself under the console's CSP, with no CSP errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
import yaml
from console_fixtures import PASSWORD, WORDING, Console, add_account, running_console

from conftest import ROOT, migrated
from prevent_assistant.db.handoffs import create_handoff, get_handoff
from prevent_assistant.redaction import redact

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
WORDS = yaml.safe_load((ROOT / "content" / "console-handoffs.yml").read_text(encoding="utf-8"))
OUTCOMES = yaml.safe_load((ROOT / "content" / "outcomes.yml").read_text(encoding="utf-8"))["outcomes"]
# The shortest refresh the script allows, so the test sees one without waiting half a minute.
REFRESH = 5


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console-handoffs-browser")
    database = migrated(f"sqlite:///{directory / 'prevent.db'}")
    with running_console(database, directory, queue_refresh=f"{REFRESH}s") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test-deps` installs Debian's package")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def tab(browser) -> Iterator:
    # The CSP stays on: axe-core is answered by the test as if the console served it (same origin).
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/static/test-axe.js", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript")
    )
    opened = context.new_page()
    opened.csp_errors = []
    opened.on("console", lambda m: "Content Security Policy" in m.text and opened.csp_errors.append(m.text))
    yield opened
    context.close()


def serious_violations(tab) -> list[str]:
    tab.add_script_tag(url="/static/test-axe.js")
    return tab.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"
    )


def tab_to(tab, target, limit: int = 40) -> None:
    """Press Tab until `target` has the focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        tab.keyboard.press("Tab")
    pytest.fail(f"{target} never got the focus in {limit} presses of Tab")


def sign_in_by_keyboard(tab, console: Console) -> None:
    """A new handler signs in: name and password, then enrolment with a code from the setup key."""
    name = add_account(console.database, "handler")
    tab.goto(console.url + "/handoffs")  # straight to the queue: sign-in comes back here
    tab_to(tab, tab.get_by_label(WORDING["login"]["name_label"]))
    tab.keyboard.type(name)
    tab.keyboard.press("Tab")
    tab.keyboard.type(PASSWORD)
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("heading", level=1)).to_have_text(WORDING["enrol"]["title"])
    secret = tab.locator("code.secret").inner_text().replace(" ", "")
    tab_to(tab, tab.get_by_label(WORDING["enrol"]["label"]))
    tab.keyboard.type(pyotp.TOTP(secret).now())
    tab.keyboard.press("Enter")
    continue_link = tab.get_by_role("link", name=WORDING["recovery"]["continue"])
    tab_to(tab, continue_link)
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("heading", level=1)).to_have_text(WORDS["queue"]["title"])


def shared(console: Console) -> str:
    """A handoff as the chat stores it after the person's yes; returns its reference."""
    return create_handoff(
        f"browser-{uuid.uuid4().hex[:8]}",
        "widget",
        ["how_to_refer"],
        [{"speaker": "person", "text": redact("My neighbour Jack Dawson, 12 Elm Road, worries me")}],
        url=console.database,
    ).reference


def test_a_handler_handles_a_handoff_by_keyboard_alone(console, tab):
    reference = shared(console)
    found: dict[str, list[str]] = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in_by_keyboard(tab, console)
    expect(tab.get_by_role("link", name=reference)).to_be_visible()
    found["queue"] = serious_violations(tab)
    tab.screenshot(path=str(SCREENSHOTS / "console-handoffs.png"))

    # The reference as a caller reads it out: lower case, a space for the dash.
    tab_to(tab, tab.get_by_label(WORDS["find"]["label"]))
    tab.keyboard.type(reference.lower().replace("-", " "))
    tab.keyboard.press("Enter")
    heading = WORDS["handoff"]["title"].format(reference=reference)
    expect(tab.get_by_role("heading", level=1)).to_have_text(heading)
    transcript = tab.locator(".transcript")
    expect(transcript).to_contain_text("[name]")
    expect(transcript).not_to_contain_text("Jack Dawson")
    found["handoff"] = serious_violations(tab)

    tab_to(tab, tab.get_by_role("button", name=WORDS["handoff"]["pick_up"]))
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("status")).to_have_text(WORDS["done"]["picked_up"])

    tab_to(tab, tab.get_by_label(WORDS["handoff"]["note_label"]))
    tab.keyboard.type("Spoke to the caller on 07700 900123 and gave advice")
    tab_to(tab, tab.get_by_role("button", name=WORDS["handoff"]["note_submit"]))
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("status")).to_have_text(WORDS["done"]["note"])
    history = tab.locator("table.history")
    expect(history).to_contain_text("Spoke to the caller on [phone]")
    expect(history).not_to_contain_text("07700 900123")

    outcome = tab.get_by_label(WORDS["handoff"]["outcome_label"])
    tab_to(tab, outcome)
    tab.keyboard.press("ArrowDown")  # the first outcome in the list
    first = next(iter(OUTCOMES))
    expect(outcome).to_have_value(first)
    tab_to(tab, tab.get_by_role("button", name=WORDS["handoff"]["close_submit"]))
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("status")).to_have_text(WORDS["done"]["closed"])
    expect(history).to_contain_text(WORDS["handoff"]["steps"]["closed"].format(outcome=OUTCOMES[first]))
    found["closed"] = serious_violations(tab)
    tab.screenshot(path=str(SCREENSHOTS / "console-handoff.png"), full_page=True)

    record = get_handoff(reference, url=console.database)
    assert (record.status, record.outcome) == ("closed", first)
    assert found == {"queue": [], "handoff": [], "closed": []}
    assert tab.csp_errors == []


def test_the_queue_refreshes_itself_under_the_pages_policy(console, tab):
    sign_in_by_keyboard(tab, console)
    before = tab.locator("#new-count").inner_text()
    reference = shared(console)  # arrives while the page is open
    expect(tab.get_by_role("link", name=reference)).to_be_visible(timeout=(REFRESH * 3) * 1000)
    expect(tab.locator("#new-count")).not_to_have_text(before)
    assert tab.csp_errors == []


def test_the_pages_fit_320_pixels_without_sideways_scrolling(console, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    narrow = context.new_page()
    try:
        sign_in_by_keyboard(narrow, console)
        reference = shared(console)
        widths = {}
        for path in ("/handoffs", f"/handoffs/{reference}"):
            narrow.goto(console.url + path)
            widths[path] = narrow.evaluate("() => document.documentElement.scrollWidth")
    finally:
        context.close()
    # Tables scroll inside their own box (allowed for data tables); the page itself does not (WCAG reflow).
    assert widths == {"/handoffs": 320, f"/handoffs/{reference}": 320}
