"""The console in a real browser (Debian's Chromium, driven by Playwright) against a real console process:
sign-in by keyboard, enrolment, home; axe-core finds no serious or critical problems; no CSP errors."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from chromium import SCREENSHOTS, serious_violations
from console_fixtures import PASSWORD, WORDING, Console, add_account, running_console

from conftest import migrated

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console-browser")
    with running_console(migrated(f"sqlite:///{directory / 'prevent.db'}"), directory) as running:
        yield running


def test_sign_in_by_keyboard_enrol_and_reach_home_with_no_accessibility_problems(console, tab):
    name = add_account(console.database, "admin")
    found: dict[str, list[str]] = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.goto(console.url + "/")
    expect(tab.get_by_role("heading", level=1)).to_have_text(WORDING["login"]["title"])
    name_box = tab.get_by_label(WORDING["login"]["name_label"])
    expect(name_box).not_to_have_attribute("aria-invalid", "true")  # nothing is wrong before a try
    tab.keyboard.press("Tab")  # the skip link comes first
    expect(tab.get_by_role("link", name=WORDING["skip_link"])).to_be_focused()
    tab.get_by_label(WORDING["login"]["name_label"]).fill(name)
    tab.get_by_label(WORDING["login"]["password_label"]).fill("wrong password entirely")
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("alert")).to_contain_text(WORDING["login"]["failed"])
    expect(tab.get_by_label(WORDING["login"]["name_label"])).to_have_attribute("aria-invalid", "true")
    found["login"] = serious_violations(tab)
    tab.screenshot(path=str(SCREENSHOTS / "console-login.png"))

    tab.get_by_label(WORDING["login"]["password_label"]).fill(PASSWORD)
    tab.get_by_label(WORDING["login"]["password_label"]).press("Enter")
    expect(tab.get_by_role("heading", level=1)).to_have_text(WORDING["enrol"]["title"])
    qr = tab.get_by_role("img", name=WORDING["enrol"]["qr_alt"])
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the QR code drew, under the page's CSP
    found["enrol"] = serious_violations(tab)
    tab.screenshot(path=str(SCREENSHOTS / "console-enrol.png"))
    secret = tab.locator("code.secret").inner_text().replace(" ", "")
    code_box = tab.get_by_label(WORDING["enrol"]["label"])
    code_box.fill(pyotp.TOTP(secret).now())
    code_box.press("Enter")
    expect(tab.get_by_role("heading", level=1)).to_have_text(WORDING["recovery"]["title"])
    expect(
        tab.get_by_role("list", name=WORDING["recovery"]["list_label"]).get_by_role("listitem")
    ).to_have_count(10)
    found["recovery"] = serious_violations(tab)
    tab.get_by_role("link", name=WORDING["recovery"]["continue"]).click()

    expect(tab.get_by_role("heading", level=1)).to_have_text(WORDING["home"]["title"])
    navigation = tab.get_by_role("navigation", name=WORDING["nav_label"])
    expect(navigation.get_by_role("link", name=WORDING["nav"]["audit"])).to_be_visible()
    found["home"] = serious_violations(tab)
    tab.screenshot(path=str(SCREENSHOTS / "console-home.png"))
    navigation.get_by_role("link", name=WORDING["nav"]["audit"]).click()
    expect(tab.get_by_role("table")).to_contain_text("login_succeeded")
    found["audit"] = serious_violations(tab)
    assert found == {"login": [], "enrol": [], "recovery": [], "home": [], "audit": []}
    assert tab.csp_errors == []


def test_the_page_is_usable_at_320_pixels_wide(console, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    tab = context.new_page()
    tab.goto(console.url + "/login")
    width = tab.evaluate("() => document.documentElement.scrollWidth")
    context.close()
    assert width <= 320  # no sideways scrolling (WCAG reflow)
