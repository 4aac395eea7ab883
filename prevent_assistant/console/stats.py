"""The stats page: `prevent-assistant stats` as charts, for editors and admins.

Conversations per day, questions per topic, the fallback and handoff rates, and the consent step's figures
(handoffs offered and shared), for the last 7, 30 or 90 days. The charts are SVG drawn here
(staff.charts): no script, so the strict Content-Security-Policy stands, and each chart has the same
figures in a table beside it for screen readers and for copying. The counts are staff.stats's own (one
definition of a conversation, a fallback and a handoff for the command line and the console); topics are
named in plain words from the project's content/topics.yml. Viewing the page is audited ("stats_viewed").
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.console.web import audit, render, require_role
from prevent_assistant.content import load_content
from prevent_assistant.db.conversations import read_since
from prevent_assistant.db.stats import HandoffOffers, handoff_offers
from prevent_assistant.names import FAQ_INTENT, RETRIEVAL_DELIMITER
from prevent_assistant.paths import ProjectPaths
from prevent_assistant.staff.charts import Bar, bar_chart, column_chart
from prevent_assistant.staff.stats import Stats, stats

stats_pages = Blueprint("console_stats")
EDITORS = ("editor", "admin")
PERIODS = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_PERIOD = "7d"


def wording() -> dict[str, Any]:
    return load_content("console-stats")


@dataclass(frozen=True)
class Figures:
    """Everything the page shows for one period."""

    stats: Stats
    offers: HandoffOffers
    per_topic: list[tuple[str, str, int]]  # (intent or faq/<topic>, plain words, questions)


def topic_words(root: Path) -> dict[str, str]:
    """The project's topics (content/topics.yml `topics`), each with the plain question staff wrote."""
    path = ProjectPaths(root).content("topics")
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    topics = (loaded or {}).get("topics") or {}
    return {str(name): str(words) for name, words in topics.items()}


def topic_of(data: str | None, intent_name: str | None) -> str | None:
    """A stored message's topic: its intent as staff.stats reads it (the parse data's, else the column's),
    or for a question with its own answer faq/<topic>, what the response selector chose."""
    try:
        event = json.loads(data or "{}")
    except ValueError:
        event = {}
    parse = (event.get("parse_data") or {}) if isinstance(event, dict) else {}
    top = parse.get("intent") or {}
    intent = top.get("name") or intent_name
    if intent != FAQ_INTENT:
        return intent
    full = top.get("full_retrieval_intent_name")
    if not full:
        chosen = ((parse.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("response") or {}
        full = chosen.get("intent_response_key")
    return str(full) if full and str(full).startswith(FAQ_INTENT + RETRIEVAL_DELIMITER) else intent


def gather(root: Path, days: int) -> Figures:
    """The period's figures, read from the database the console uses."""
    found = stats(timedelta(days=days), domain=ProjectPaths(root).domain)
    topics = topic_words(root)
    asked = Counter(
        topic_of(message.data, message.intent_name) for message in read_since(found.since).messages
    )
    per_topic = [(name, words, asked.get(name, 0)) for name, words in topics.items()]
    per_topic.sort(key=lambda item: -item[2])  # most asked first; ties keep topics.yml's order
    return Figures(found, handoff_offers(found.since), per_topic)


def percent(rate: float | None, text: dict[str, Any]) -> str:
    return text["no_rate"] if rate is None else f"{rate:.1%}"


def charts(figures: Figures, text: dict[str, Any]) -> dict[str, Markup]:
    """The four charts, as SVG to put in the page as it is (ElementTree escaped every label)."""
    found, offers = figures.stats, figures.offers
    days = found.conversations_per_day
    day_bars = [Bar(f"{day:%a %d %b %Y}", count, str(count)) for day, count in days]
    per_day = column_chart(
        "chart-days",
        text["per_day"]["title"],
        text["per_day"]["description"].format(
            first=f"{days[0][0]:%d %b %Y}" if days else "",
            last=f"{days[-1][0]:%d %b %Y}" if days else "",
            total=sum(count for _, count in days),
            most=max((count for _, count in days), default=0),
        ),
        day_bars,
        [f"{day:%d %b}" for day, _ in days],
    )
    per_topic = bar_chart(
        "chart-topics",
        text["per_topic"]["title"],
        text["per_topic"]["description"].format(total=sum(count for _, _, count in figures.per_topic)),
        [Bar(words, count, str(count)) for _, words, count in figures.per_topic],
    )
    rates = [
        (text["rates"]["fallback"], found.fallback_rate),
        (text["rates"]["handoff"], found.handoff_rate),
        (text["rates"]["share"], offers.share_rate),
    ]
    rate_chart = bar_chart(
        "chart-rates",
        text["rates"]["title"],
        text["rates"]["description"].format(
            fallback=percent(found.fallback_rate, text),
            handoff=percent(found.handoff_rate, text),
            share=percent(offers.share_rate, text),
        ),
        [Bar(label, rate or 0.0, percent(rate, text)) for label, rate in rates],
        scale=1.0,
    )
    consent = bar_chart(
        "chart-consent",
        text["consent"]["title"],
        text["consent"]["description"].format(offered=offers.offered, shared=offers.shared),
        [
            Bar(text["consent"]["offered"], offers.offered, str(offers.offered)),
            Bar(text["consent"]["shared"], offers.shared, str(offers.shared)),
        ],
    )
    return {
        "per_day": Markup(per_day),
        "per_topic": Markup(per_topic),
        "rates": Markup(rate_chart),
        "consent": Markup(consent),
    }


@stats_pages.get("/stats")
@require_role(*EDITORS)
async def stats_page(request: Request) -> HTTPResponse:
    """The charts for `period` (7d, 30d or 90d; 7d when not given). Another period: 400 with the reason."""
    text = wording()
    period = request.args.get("period") or DEFAULT_PERIOD
    if period not in PERIODS:
        return render(request, "error.html", 400, title=text["title"], reason=text["bad_period"])
    root = Path(request.app.ctx.project)
    figures = await asyncio.to_thread(gather, root, PERIODS[period])
    audit(request, "stats_viewed", period)
    found = figures.stats
    return render(
        request,
        "stats.html",
        title=text["title"],
        s=text,
        period=period,
        periods=list(PERIODS),
        figures=figures,
        found=found,
        offers=figures.offers,
        charts=charts(figures, text),
        rates=[
            ("fallback", found.fallback_rate, found.fallback_messages, found.messages),
            ("handoff", found.handoff_rate, found.handed_off_conversations, found.conversations),
            ("share", figures.offers.share_rate, figures.offers.shared, figures.offers.offered),
        ],
        percent=lambda rate: percent(rate, text),
    )
