"""The call handlers' pages in a real browser (Debian's Chromium, driven by Playwright) against a real
console process, and issue 13 end to end: in the widget of a real assistant on the same database, one person
declines to share (nothing is stored) and another shares; a handler signs in with a password and a TOTP code,
finds the handoff by the reference as a caller says it, reads the redacted transcript, picks it up, adds a
note with a phone number (stored redacted) and closes it, all with the keyboard only; the audit log holds
each step. axe-core finds no serious or critical problems on the queue and handoff pages; the queue
refreshes itself under the console's CSP, with no CSP errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import yaml
from chromium import SCREENSHOTS, serious_violations, sign_in, tab_to
from console_fixtures import Console, running_console
from test_widget_browser import DOMAIN, HANDOFF, ask, open_widget, share_button

from conftest import ROOT, migrated, start_stack
from prevent_assistant.db.audit import LOGIN_SUCCEEDED, AuditQuery, entries
from prevent_assistant.db.handoffs import REFERENCE_PATTERN, create_handoff, get_handoff, list_handoffs
from prevent_assistant.redaction import redact

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

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
def assistant(console: Console) -> Iterator:
    """The public assistant on the console's database, as `make run` serves the two side by side."""
    with start_stack(console.database) as stack:
        yield stack


WORRY = "my nephew Jack Dawson keeps sharing extremist videos, please ring me on 07700 900123"


def answer_offer_in_the_widget(browser, assistant, share: bool) -> str | None:
    """A person tells the widget they are worried about someone, sees the summary the call handler would
    see, and shares it or not; the reference the chat gives when they share."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{assistant.rasa_url}/webhooks/widget/")
        log = open_widget(page)
        ask(page, WORRY)
        expect(share_button(log)).to_be_visible(timeout=30_000)
        if not share:
            log.get_by_role("button", name=HANDOFF["dont_share_button"], exact=True).click()
            not_shared = DOMAIN["responses"]["utter_handoff_not_shared"][0]["text"].split(".")[0]
            expect(log.locator(".pa-msg--bot").filter(has_text=not_shared)).to_be_visible(timeout=30_000)
            return None
        share_button(log).click()
        given = log.locator(".pa-msg--bot").filter(has_text="PRV-")
        expect(given).to_be_visible(timeout=30_000)
        return next(word.strip(".,") for word in given.inner_text().split() if word.startswith("PRV-"))
    finally:
        context.close()


def sign_in_by_keyboard(tab, console: Console) -> None:
    """A new handler signs in by keyboard alone, straight to the queue."""
    sign_in(tab, console, "handler", "/handoffs", by_keyboard=True)
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


def test_a_handoff_shared_in_the_widget_is_handled_by_keyboard_and_every_step_is_audited(
    console, assistant, browser, tab
):
    stored = len(list_handoffs(url=console.database))
    assert answer_offer_in_the_widget(browser, assistant, share=False) is None
    assert len(list_handoffs(url=console.database)) == stored  # a no leaves nothing for the call handler
    reference = answer_offer_in_the_widget(browser, assistant, share=True)
    assert reference is not None and REFERENCE_PATTERN.match(reference)
    assert len(list_handoffs(url=console.database)) == stored + 1
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
    expect(transcript).to_contain_text("[phone]")
    expect(transcript).not_to_contain_text("Dawson")
    expect(transcript).not_to_contain_text("07700")
    expect(transcript).not_to_contain_text("](tel:")  # the replies' links read as the person saw them
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
    # The audit log holds each step, by whom: the sign-in, the views, the pick-up, the note and the closing.
    audited = entries(AuditQuery(), url=console.database)
    handler = next(entry.account_name for entry in audited if entry.action == LOGIN_SUCCEEDED)
    steps = {
        entry.action for entry in audited if entry.subject == reference and entry.account_name == handler
    }
    assert {"handoff_viewed", "handoff_picked_up", "handoff_note_added", "handoff_closed"} <= steps


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
