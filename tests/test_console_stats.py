"""The console's stats page on conversations written through the real tracker store, on SQLite and on
PostgreSQL: each SVG chart holds a bar (with its figure) for every day, topic and rate, the table beside it
holds the same numbers, the period filter changes them, and a handler gets 403."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta

import pytest
import yaml
from console_fixtures import Console, Person, running_console, shown, signed_in
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from test_review_and_stats import noon

from conftest import ROOT, fresh_postgres_database, migrated
from prevent_assistant.db.audit import AuditQuery, entries
from prevent_assistant.db.handoffs import create_handoff
from prevent_assistant.staff.stats import stats
from prevent_assistant.tracker_store import RedactingSQLTrackerStore

WORDS = yaml.safe_load((ROOT / "content" / "console-stats.yml").read_text(encoding="utf-8"))
TOPICS = yaml.safe_load((ROOT / "content" / "topics.yml").read_text(encoding="utf-8"))["topics"]
SPYING, AGES, FAITH = TOPICS["myth_spying"], TOPICS["faq/ages"], TOPICS["myth_faith"]


def said(text: str, intent: str, at: float, faq: str | None = None) -> list[Event]:
    """A person's message as the Rasa server stores it (a question with its own answer keeps the response
    selector's choice), and the assistant's reply."""
    parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text}
    if faq:
        parse["response_selector"] = {"faq": {"response": {"intent_response_key": faq}}}
    return [
        ActionExecuted("action_listen", timestamp=at),
        UserUttered(text, intent=parse["intent"], parse_data=parse, timestamp=at),
        BotUttered("An answer.", timestamp=at),
    ]


def save(url: str, sender: str, events: list[Event]) -> None:
    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=url)
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def populate(url: str) -> None:
    """In the last week: three conversations, five messages (one unsure), two offered a handoff and one
    shared. Older: one conversation 20 days ago, one 60 days ago."""
    day1, day3 = noon(1), noon(3)
    save(
        url,
        "stats-a",
        said("is prevent spying", "myth_spying", day1)
        + said("are teachers spies now", "myth_spying", day1 + 1)
        + said("can a child be referred", "faq", day1 + 2, faq="faq/ages"),
    )
    offer = ActionExecuted("action_offer_handoff", timestamp=day3 + 1)
    save(
        url,
        "stats-b",
        said("blorp flarn", "nlu_fallback", day3)
        + [offer, ActionExecuted("action_handoff", timestamp=day3 + 2)],
    )
    create_handoff("stats-b", "rest", ["request_human"], [], url=url)
    save(url, "stats-c", said("do they spy on mosques", "myth_spying", day3) + [offer])
    save(url, "stats-old", said("does prevent target muslims", "myth_faith", noon(20)))
    save(url, "stats-older", said("hello", "greet", noon(60)))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console-stats")
    if request.param == "sqlite":
        database = migrated(f"sqlite:///{directory / 'prevent.db'}")
        populate(database)
        with running_console(database, directory) as running:
            yield running
    else:
        with fresh_postgres_database() as url:
            populate(url)
            with running_console(url, directory) as running:
                yield running


@pytest.fixture(scope="module")
def editor(console) -> Person:
    return signed_in(console, "editor")


def chart(page: str, chart_id: str) -> ET.Element:
    """The chart's SVG, parsed as XML (it is drawn with ElementTree, so it is well-formed)."""
    found = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', page, re.S)
    assert found, f"no chart {chart_id}"
    return ET.fromstring(found.group(0).replace(' xmlns="http://www.w3.org/2000/svg"', "", 1))


def bars(svg: ET.Element) -> list[tuple[str, float, float]]:
    """(the bar's own title, its data-value, its drawn length) for each bar, in order."""
    found = []
    for rect in svg.iter("rect"):
        length = float(rect.get("width") if svg.get("id") != "chart-days" else rect.get("height"))
        found.append((rect.findtext("title"), float(rect.get("data-value")), length))
    return found


def table(page: str, table_id: str) -> list[tuple[str, str]]:
    """(row header, last cell) for each body row of the table, as text."""
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>.*?<td class=\"number\">(.*?)</td></tr>", body, re.S)
    return [
        (re.sub(r"<small.*?</small>", "", header, flags=re.S).strip(), cell.strip()) for header, cell in rows
    ]


def test_the_charts_and_their_tables_hold_the_weeks_figures(console, editor):
    page = editor.get("/stats").text
    assert editor.get("/stats").status_code == 200
    # Per day: a bar for every day of the period, the same numbers as the table and as `stats`.
    expected = [count for _, count in stats(timedelta(days=7), url=console.database).conversations_per_day]
    days = chart(page, "chart-days")
    assert days.get("role") == "img" and days.findtext("title") == WORDS["per_day"]["title"]
    assert days.get("aria-labelledby") == "chart-days-title chart-days-desc"
    assert [value for _, value, _ in bars(days)] == expected
    assert [int(cell) for _, cell in table(page, "table-days")] == expected
    assert sorted(expected, reverse=True)[:2] == [2, 1] and sum(expected) == 3
    # Per topic: plain words, most asked first; each bar's length follows its figure.
    topics = bars(chart(page, "chart-topics"))
    assert topics[0][:2] == (f"{SPYING}: 3", 3) and topics[1][:2] == (f"{AGES}: 1", 1)
    assert topics[0][2] > topics[1][2] > 0 == topics[-1][2]
    assert len(topics) == len(TOPICS)
    rows = table(page, "table-topics")
    assert rows[:2] == [(shown(SPYING), "3"), (shown(AGES), "1")]
    assert all(cell == "0" for _, cell in rows[2:])
    texts = [text.text for text in chart(page, "chart-topics").iter("text")]
    assert SPYING in texts and AGES in texts
    # Rates: 1 of 5 messages unsure, 1 of 3 conversations handed off, 1 of 2 offers shared.
    rates = bars(chart(page, "chart-rates"))
    assert [title.rsplit(": ", 1)[1] for title, _, _ in rates] == ["20.0%", "33.3%", "50.0%"]
    assert [cell for _, cell in table(page, "table-rates")] == [
        WORDS["rate_of"].format(rate="20.0%", part=1, whole=5),
        WORDS["rate_of"].format(rate="33.3%", part=1, whole=3),
        WORDS["rate_of"].format(rate="50.0%", part=1, whole=2),
    ]
    consent = bars(chart(page, "chart-consent"))
    assert [value for _, value, _ in consent] == [2, 1]
    assert [cell for _, cell in table(page, "table-consent")] == ["2", "1"]
    assert 'id="figure-offered">2<' in page and 'id="figure-shared">1<' in page


def test_the_period_filter_reaches_back_30_and_90_days(console, editor):
    month = editor.get("/stats?period=30d").text
    assert 'id="figure-conversations">4<' in month
    assert (shown(FAITH), "1") in table(month, "table-topics")
    assert len(bars(chart(month, "chart-days"))) == len(table(month, "table-days")) == 31
    quarter = editor.get("/stats?period=90d").text
    assert 'id="figure-conversations">5<' in quarter
    assert 'aria-current="page">' + shown(WORDS["periods"]["90d"]) in quarter
    refused = editor.get("/stats?period=2d")
    assert refused.status_code == 400 and shown(WORDS["bad_period"]) in refused.text
    viewed = [
        entry.subject
        for entry in entries(AuditQuery(account=editor.name, action="stats_viewed"), url=console.database)
    ]
    assert "30d" in viewed and "90d" in viewed and "2d" not in viewed


def test_a_handler_gets_403_and_no_session_goes_to_sign_in(console):
    handler = signed_in(console, "handler")
    answer = handler.get("/stats")
    assert answer.status_code == 403
    assert "chart-days" not in answer.text
    denied = entries(AuditQuery(account=handler.name, action="access_denied"), url=console.database)
    assert [entry.subject for entry in denied] == ["/stats"]
    assert "/stats" not in re.findall(r'<nav class="nav".*?</nav>', handler.get("/").text, re.S)[0]
    stranger = Person(console, "nobody")
    answer = stranger.get("/stats", allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/login?next=/stats")
