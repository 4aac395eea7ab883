"""The stats and stories pages in a real browser (Debian's Chromium, driven by Playwright) against a real
console process: the SVG charts are drawn and named, axe-core finds no serious or critical problems on the
stats page, the stories page and a conversation's page, and the console's CSP reports no errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import yaml
from chromium import serious_violations, sign_in
from console_fixtures import Console, running_console
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from test_console_stats import populate
from test_console_stories import SENDER, conversation
from test_review_and_stats import noon

from conftest import ROOT, migrated
from prevent_assistant.tracker_store import RedactingSQLTrackerStore

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
STATS = yaml.safe_load((ROOT / "content" / "console-stats.yml").read_text(encoding="utf-8"))
STORIES = yaml.safe_load((ROOT / "content" / "console-stories.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console-stats-browser")
    database = migrated(f"sqlite:///{directory / 'prevent.db'}")
    populate(database)
    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=database)
    asyncio.run(store.save(DialogueStateTracker.from_events(SENDER, conversation(noon(1)))))
    with running_console(database, directory) as running:
        yield running


def test_the_stats_and_stories_pages_pass_axe_with_no_csp_errors(console, tab):  # noqa: F811
    sign_in(tab, console, "editor", "/stats?period=30d")
    expect(tab.get_by_role("heading", level=1)).to_have_text(STATS["title"])
    # Each chart is an image named by its own title, drawn with bars.
    expect(tab.get_by_role("img", name=STATS["per_day"]["title"])).to_be_visible()
    expect(tab.get_by_role("img", name=STATS["per_topic"]["title"])).to_be_visible()
    expect(tab.locator("#chart-days rect")).to_have_count(31)
    expect(tab.locator("#table-consent td").first).to_have_text("3")  # two in populate, one in SENDER
    assert serious_violations(tab) == []
    tab.get_by_role("link", name=STATS["periods"]["7d"]).click()
    expect(tab.locator("#chart-days rect")).to_have_count(8)
    tab.get_by_role(
        "link", name=yaml.safe_load((ROOT / "content" / "console.yml").read_text())["nav"]["stories"]
    ).click()
    expect(tab.get_by_role("heading", level=1)).to_have_text(STORIES["title"])
    expect(tab.locator("#list-rules li").first).to_contain_text("When someone")
    assert serious_violations(tab) == []
    tab.goto(f"{console.url}/stories/conversations")
    tab.get_by_role("link", name=SENDER).click()
    expect(tab.locator("#placeholder-flag")).to_be_visible()
    expect(tab.get_by_label(STORIES["conversation"]["file_label"])).to_be_visible()
    assert serious_violations(tab) == []
    assert tab.csp_errors == []
