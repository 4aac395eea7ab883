"""The answer editor in a real browser (Debian's Chromium, driven by Playwright) against a real console
process on a copy of the project: the word count and reading ease update as the editor types, the preview
is drawn by the widget's own modules (a Markdown link becomes a link), a clip's card follows its fields,
axe-core finds no serious or critical problems, and the console's CSP reports no errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from chromium import SCREENSHOTS, serious_violations, sign_in
from console_fixtures import Console, running_console
from test_console_answers import SHORTER, project_repository

from conftest import ROOT, migrated
from prevent_assistant.staff.validation.content_rules import MAX_WORDS

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

WORDS = yaml.safe_load((ROOT / "content" / "console-answers.yml").read_text(encoding="utf-8"))
WIDGET = yaml.safe_load((ROOT / "content" / "widget.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console-answers-browser")
    project = project_repository(directory)
    with running_console(
        migrated(f"sqlite:///{directory / 'prevent.db'}"), directory, project=project
    ) as running:
        yield running


def test_the_checks_and_the_preview_follow_the_typing(console, tab):
    sign_in(tab, console, "editor", "/answers/utter_faq/ages")
    expect(tab.get_by_role("heading", level=1)).to_have_text(
        WORDS["edit"]["title"].format(name="utter_faq/ages")
    )
    words = tab.locator("#figure-words")
    ease = tab.locator("#figure-reading-ease")
    box = tab.get_by_label(WORDS["edit"]["text_label"])
    box.fill(SHORTER)
    expect(words).to_have_text(WORDS["edit"]["words"].format(count=len(SHORTER.split()), max_words=MAX_WORDS))
    expect(tab.locator("#checks-status")).to_have_text(WORDS["edit"]["all_good"])
    first_ease = ease.inner_text()
    # The preview is the widget's bubble: the Markdown source link is a real link, opening in a new tab.
    source = tab.locator("#answer-preview .pa-bubble a.pa-link")
    expect(source).to_have_text("coventry.gov.uk")
    expect(source).to_have_attribute("href", "https://www.coventry.gov.uk/prevent-3/prevent-referrals-1")
    expect(source).to_have_attribute("target", "_blank")
    # Long words lower the reading ease; the count follows each key press.
    box.press("Control+Home")
    box.type("Notwithstanding considerable institutional complexity, ")
    expect(words).to_have_text(
        WORDS["edit"]["words"].format(count=len(SHORTER.split()) + 4, max_words=MAX_WORDS)
    )
    expect(ease).not_to_have_text(first_ease)
    box.fill(" ".join(["word"] * (MAX_WORDS + 1)))
    expect(tab.locator("#checks-status")).to_have_text(WORDS["edit"]["problems"])
    expect(tab.locator("#check-messages")).to_contain_text(f"is {MAX_WORDS + 1} words long")
    expect(tab.locator("#figure-source")).to_have_text(WORDS["edit"]["source_no"])
    box.fill(SHORTER)
    expect(tab.locator("#check-messages li")).to_have_count(0)
    assert serious_violations(tab) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "console-answer-edit.png"), full_page=True)
    assert tab.csp_errors == []


def test_a_clip_preview_draws_the_card_as_the_widget_does(console, tab):
    sign_in(tab, console, "editor", "/answers/utter_clip/faith")
    tab.get_by_label(WORDS["edit"]["title_label"]).fill("Prevent is for every faith")
    card = tab.locator("#answer-preview article.pa-clip")
    expect(card.locator("h3.pa-clip__title")).to_have_text("Prevent is for every faith")
    expect(card.get_by_role("link", name=WIDGET["watch_clip_label"])).to_have_attribute(
        "href", "https://youtu.be/78eYdX7q5Fw"
    )
    # The chat text follows the title (the server works it out as it would write it).
    expect(tab.locator("#answer-preview .pa-bubble")).to_contain_text('"Prevent is for every faith"')
    assert serious_violations(tab) == []
    assert tab.csp_errors == []


def test_the_lists_of_answers_and_changes_have_no_accessibility_problems(console, tab):
    sign_in(tab, console, "editor", "/answers")
    expect(tab.get_by_role("link", name="utter_faq/ages")).to_be_visible()
    assert serious_violations(tab) == []
    tab.goto(console.url + "/changes")
    expect(tab.get_by_role("heading", level=1)).to_have_text(WORDS["changes"]["title"])
    assert serious_violations(tab) == []
    assert tab.csp_errors == []
