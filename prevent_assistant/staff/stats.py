"""Usage statistics for staff: how many people use the assistant, about which myths, and how often it fails.

Counts come from the same stored conversations as the review inbox (prevent_assistant.staff.review), so
the two reports never disagree about what happened in a period. Days are UTC days.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import yaml

from prevent_assistant.db.models import utc_now
from prevent_assistant.names import FALLBACK_INTENT, MYTH_PREFIX
from prevent_assistant.paths import PROJECT
from prevent_assistant.staff.review import StoredMessage, read_window

DOMAIN_FILE = PROJECT.domain


@dataclass(frozen=True)
class Stats:
    """One period's numbers. Rates are None when there is nothing to divide by, never a made-up 0."""

    since: datetime
    until: datetime
    conversations_per_day: tuple[tuple[date, int], ...]  # every UTC day of the period, zeros included
    questions_per_myth: tuple[tuple[str, int], ...]  # every myth intent, most asked first
    conversations: int  # distinct conversations with at least one message from the person
    messages: int  # the person's messages, button presses included
    fallback_messages: int
    handed_off_conversations: int
    fallback_rate: float | None
    handoff_rate: float | None


def stats(since: timedelta, url: str | None = None, domain: Path = DOMAIN_FILE) -> Stats:
    """Conversations per day, questions per myth (every myth intent in `domain`), and the fallback and
    handoff rates since now-`since`."""
    until = utc_now()
    window = read_window(until - since, url)
    conversations = {message.conversation_id for message in window.messages}
    fallbacks = sum(message.intent == FALLBACK_INTENT for message in window.messages)
    handed_off = len(conversations & window.handed_off)
    return Stats(
        since=window.since,
        until=until,
        conversations_per_day=_per_day(window.messages, window.since.date(), until.date()),
        questions_per_myth=_per_myth(window.messages, domain),
        conversations=len(conversations),
        messages=len(window.messages),
        fallback_messages=fallbacks,
        handed_off_conversations=handed_off,
        fallback_rate=_rate(fallbacks, len(window.messages)),
        handoff_rate=_rate(handed_off, len(conversations)),
    )


def _per_day(messages: tuple[StoredMessage, ...], first: date, last: date) -> tuple[tuple[date, int], ...]:
    """Quiet days stay in as zeros: a gap in the chart should read as "nobody came", not be hidden."""
    senders: dict[date, set[str]] = {}
    for message in messages:
        day = datetime.fromtimestamp(message.timestamp, timezone.utc).date()
        senders.setdefault(day, set()).add(message.conversation_id)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return tuple((day, len(senders.get(day, ()))) for day in days)


def _per_myth(messages: tuple[StoredMessage, ...], domain: Path) -> tuple[tuple[str, int], ...]:
    """Every myth the domain knows, asked about or not, so an unasked myth shows as a zero."""
    asked = Counter(
        message.intent for message in messages if message.intent and message.intent.startswith(MYTH_PREFIX)
    )
    counts = {myth: asked.get(myth, 0) for myth in known_myths(domain)} | dict(asked)
    return tuple(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


@lru_cache(maxsize=4)
def known_myths(domain: Path = DOMAIN_FILE) -> tuple[str, ...]:
    """The myth intents in domain.yml; none if the file is missing (then only asked myths are counted)."""
    if not domain.exists():
        return ()
    intents = (yaml.safe_load(domain.read_text(encoding="utf-8")) or {}).get("intents") or []
    names = (next(iter(intent)) if isinstance(intent, dict) else str(intent) for intent in intents)
    return tuple(name for name in names if name.startswith(MYTH_PREFIX))


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def render_table(stats: Stats) -> str:
    """Plain text for the terminal: the two rates first (what staff check), then the two breakdowns."""
    lines = [
        f"Since {stats.since:%Y-%m-%d %H:%M} UTC, until {stats.until:%Y-%m-%d %H:%M} UTC",
        "",
        f"Conversations            {stats.conversations}",
        f"Person's messages        {stats.messages}",
        f"Fallback rate            {_percent(stats.fallback_rate)}"
        f"  ({stats.fallback_messages} of {stats.messages} messages)",
        f"Handoff rate             {_percent(stats.handoff_rate)}"
        f"  ({stats.handed_off_conversations} of {stats.conversations} conversations)",
        "",
        "Conversations per day (UTC)",
        *(f"  {day:%Y-%m-%d %a}  {count:>5}" for day, count in stats.conversations_per_day),
        "",
        "Questions per myth",
    ]
    width = max((len(myth) for myth, _ in stats.questions_per_myth), default=0)
    lines += [f"  {myth.ljust(width)}  {count:>5}" for myth, count in stats.questions_per_myth] or ["  none"]
    return "\n".join(lines) + "\n"


def write_chart(stats: Stats, path: Path) -> Path:
    """A PNG with conversations per day and questions per myth, for a report or an email.

    Uses a bare Figure on the Agg canvas rather than pyplot, so it never opens a window or touches the
    process-wide backend that other code (Rasa, tests) may rely on.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 5.5), dpi=110)
    FigureCanvasAgg(figure)
    per_day, per_myth = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    _plot_days(per_day, stats)
    _plot_myths(per_myth, stats)
    figure.suptitle(f"Prevent assistant, {stats.since:%d %b %Y} to {stats.until:%d %b %Y} (UTC)", fontsize=14)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def _plot_days(axes, stats: Stats) -> None:
    from matplotlib.ticker import MaxNLocator

    days = [day for day, _ in stats.conversations_per_day]
    counts = [count for _, count in stats.conversations_per_day]
    positions = range(len(days))
    bars = axes.bar(positions, counts, color="#1f5f8b")
    if len(days) <= 31:  # beyond a month the numbers would overlap; the axis still gives the scale
        axes.bar_label(bars, labels=[str(count) if count else "" for count in counts], fontsize=8)
    step = max(1, len(days) // 15)  # at most ~15 date labels, so they stay readable
    axes.set_xticks(list(positions)[::step])
    axes.set_xticklabels([f"{day:%d %b}" for day in days][::step], rotation=45, ha="right")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0, top=max([*counts, 1]) * 1.15)
    axes.set_title("Conversations per day")
    axes.set_xlabel("Day (UTC)")
    axes.set_ylabel("Conversations")


def _plot_myths(axes, stats: Stats) -> None:
    from matplotlib.ticker import MaxNLocator

    myths = [myth for myth, _ in reversed(stats.questions_per_myth)]  # most asked at the top
    counts = [count for _, count in reversed(stats.questions_per_myth)]
    if myths:
        bars = axes.barh(myths, counts, color="#c2571a")
        axes.bar_label(bars, padding=3, fontsize=9)
        axes.set_xlim(left=0, right=max([*counts, 1]) * 1.15)
    else:
        axes.text(0.5, 0.5, "No myth questions", ha="center", va="center", transform=axes.transAxes)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Questions per myth")
    axes.set_xlabel("Questions")
    axes.set_ylabel("Myth (intent)")
