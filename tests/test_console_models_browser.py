"""The Models pages in a real browser (Debian's Chromium, driven by Playwright) against a real console and a
real Rasa stack: an editor starts a training job with the keyboard, its page shows the job's progress as it
runs (updated by its own script under the console's CSP) until it passes, and the Deploy button, reached
and pressed by keyboard, puts the new answer live. axe-core finds no serious or critical problems on the
job page while it runs and once it has passed. One training (about half a minute with Rasa's cache)."""

from __future__ import annotations

import re

import pytest
from chromium import SCREENSHOTS, serious_violations, sign_in, tab_to
from console_fixtures import Console, running_console
from test_console_models import CHANGED, WORDS, answer, change_answer, prepare

from conftest import ROOT, migrated, start_stack

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

JOB_SECONDS = 900


def sign_in_by_keyboard(tab, console: Console) -> None:
    """A new editor signs in by keyboard alone, back to the Models page."""
    sign_in(tab, console, "editor", "/models", by_keyboard=True)
    expect(tab.get_by_role("heading", level=1)).to_have_text(WORDS["models"]["title"])


def test_an_editor_watches_a_job_and_deploys_it_by_keyboard(project_copy, tmp_path, monkeypatch, tab):
    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(ROOT / ".rasa" / "cache"))
    database = migrated(f"sqlite:///{tmp_path / 'prevent.db'}")
    change_answer(project_copy)
    found: dict[str, list[str]] = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with start_stack(database) as stack:
        prepare(project_copy, stack.api_token)
        with running_console(
            database, tmp_path, project=project_copy, rasa_url=stack.rasa_url, job_refresh="2s"
        ) as console:
            sign_in_by_keyboard(tab, console)
            found["models"] = serious_violations(tab)
            tab_to(tab, tab.get_by_role("button", name=WORDS["models"]["start"]))
            tab.keyboard.press("Enter")
            expect(tab.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Training job \d+$"))
            now = tab.locator("#job-now")
            expect(now).to_have_attribute("aria-live", "polite")
            # The page moves on by itself: a later step shows as running, without reloading the page.
            tab.evaluate("() => { window.sameDocument = true; }")
            running = WORDS["job"]["now"].format(
                status=WORDS["statuses"]["running"], step=WORDS["steps"]["train"]
            )
            expect(now).to_have_text(running, timeout=JOB_SECONDS * 1000)
            found["running"] = serious_violations(tab)
            tab.screenshot(path=str(SCREENSHOTS / "console-training-job.png"), full_page=True)
            expect(now).to_have_text(
                WORDS["job"]["now_finished"].format(status=WORDS["statuses"]["passed"]),
                timeout=JOB_SECONDS * 1000,
            )
            assert tab.evaluate("() => window.sameDocument === true")  # updated in place, not reloaded
            for step in WORDS["steps"].values():
                expect(tab.locator("#job-steps")).to_contain_text(f"{step}: {WORDS['step_states']['done']}")
            expect(tab.locator("#job-log")).to_contain_text("Conversation tests passed.")
            deploy = tab.get_by_role("button", name=WORDS["job"]["deploy"])
            expect(deploy).to_be_visible()
            found["passed"] = serious_violations(tab)

            tab_to(tab, deploy)
            tab.keyboard.press("Enter")
            expect(tab.get_by_role("status").first).to_have_text(WORDS["done"]["deployed"], timeout=120_000)
            expect(tab.get_by_text(WORDS["job"]["is_live"])).to_be_visible()
            found["deployed"] = serious_violations(tab)
            assert answer(stack.webhook_url) == CHANGED
    assert found == {"models": [], "running": [], "passed": [], "deployed": []}
    assert tab.csp_errors == []
