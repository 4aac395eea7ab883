"""The staff review inbox and usage statistics, on conversations written through the real tracker store."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.loading import load_data

from prevent_assistant.db import engine_for
from prevent_assistant.db.handoffs import create_handoff
from prevent_assistant.db.models import Handoff
from prevent_assistant.staff.review import (
    NO_GUESS,
    Group,
    Review,
    TextCount,
    export_nlu,
    fallback_threshold,
    render_text,
    review,
)
from prevent_assistant.staff.stats import Stats, render_table, stats, write_chart
from prevent_assistant.tracker_store import RedactingSQLTrackerStore

ROOT = Path(__file__).resolve().parent.parent
WEEK = timedelta(days=7)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEVOUT = "Would being devout get someone referred?"
SON = "my son Tom watches extremist videos, what do I do"
SARAH = "my name is Sarah Jones and I am worried"


@dataclass(frozen=True)
class Said:
    """One message from the person: its text and what the model made of it."""

    text: str
    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...] = ()


def noon(days_ago: int) -> float:
    """Midday UTC `days_ago` days back: safely inside one UTC day whatever time the test runs."""
    day = datetime.now(timezone.utc).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(12), tzinfo=timezone.utc).timestamp()


def user(said: Said, at: float) -> UserUttered:
    ranking = [{"name": name, "confidence": confidence} for name, confidence in said.ranking] or [
        {"name": said.intent, "confidence": said.confidence}
    ]
    intent = {"name": said.intent, "confidence": said.confidence}
    parse_data = {"intent": intent, "entities": [], "text": said.text, "intent_ranking": ranking}
    return UserUttered(said.text, intent=intent, parse_data=parse_data, timestamp=at)


def turns(said: list[Said], at: float, handoff_action: bool = False) -> list[Event]:
    """The person's messages a second apart, each answered, as the tracker store would receive them."""
    events: list[Event] = []
    for offset, message in enumerate(said):
        moment = at + offset
        events += [
            ActionExecuted("action_listen", timestamp=moment),
            user(message, moment),
            BotUttered("Here is what I know about that.", timestamp=moment),
        ]
    if handoff_action:
        events.append(ActionExecuted("action_handoff", timestamp=at + len(said)))
    return events


def save(url: str, sender: str, events: list[Event]) -> None:
    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=url)
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def populate(url: str) -> None:
    """Six conversations in the last week, one older than it; two of the recent ones were handed off."""
    save(
        url,
        "conv-a",
        turns(
            [
                Said(DEVOUT, "myth_views", 0.41),
                Said("would being devout get someone referred", "myth_views", 0.38),
                Said("is prevent spying on us", "myth_spying", 0.92),
                Said("does it punish people for their beliefs", "myth_views", 0.40),
            ],
            noon(1),
        ),
    )
    save(
        url,
        "conv-b",  # spans two days: counted on both
        turns(
            [
                Said(DEVOUT, "myth_views", 0.43),
                Said(
                    "can they refer you for going to the mosque every day",
                    "nlu_fallback",
                    0.45,
                    (("nlu_fallback", 0.45), ("myth_faith", 0.31), ("myth_views", 0.22)),
                ),
                Said("", "nlu_fallback", 0.45, (("nlu_fallback", 0.45), ("myth_views", 0.2))),
                Said("/myth_faith", "myth_faith", 1.0),
            ],
            noon(2),
        )
        + turns([Said("ok thanks", "thank", 0.97)], noon(1) + 100),
    )
    save(
        url,
        "conv-handoff",  # handed off through the handoffs table, with no action event
        turns(
            [
                Said(SON, "how_to_refer", 0.88),
                Said(SARAH, "nlu_fallback", 0.45, (("nlu_fallback", 0.45), ("request_human", 0.28))),
                Said("/request_human", "request_human", 1.0),
            ],
            noon(1) + 200,
        ),
    )
    create_handoff("conv-handoff", "rest", ["how_to_refer"], [], url=url)
    save(
        url,
        "conv-action",  # handed off by the action, but the handoff row was never written
        turns([Said("I need to talk to a real person", "request_human", 0.95)], noon(3), handoff_action=True),
    )
    save(
        url,
        "conv-gibberish",
        turns([Said("hhhhh??", "nlu_fallback", 0.45, (("nlu_fallback", 0.45),))], noon(2)),
    )
    save(
        url,
        "conv-confident",
        turns(
            [
                Said("is prevent only about islamist extremism", "myth_ideology", 0.97),
                Said("what is channel about", "what_is_channel", 0.45),  # at the threshold: not unsure
                Said("thanks", "thank", 0.99),
            ],
            noon(3) + 300,
        ),
    )
    save(
        url,
        "conv-old",
        turns(
            [
                Said("Would being devout get someone referred", "myth_views", 0.2),
                Said("old question nobody understood", "nlu_fallback", 0.45, (("nlu_fallback", 0.45),)),
            ],
            noon(10),
            handoff_action=True,
        ),
    )
    create_handoff("conv-old", "rest", [], [], url=url)
    with engine_for(url).begin() as connection:
        connection.execute(
            sa.update(Handoff.__table__)
            .where(Handoff.conversation_id == "conv-old")
            .values(created_at=datetime.now(timezone.utc) - timedelta(days=10))
        )


@pytest.fixture
def populated(database) -> str:
    populate(database)
    return database


# --- Review ------------------------------------------------------------------------------------------------
EXPECTED_UNSURE = (
    Group(
        "myth_views",
        4,
        (
            TextCount(DEVOUT, 3, 0.38, False),
            TextCount("does it punish people for their beliefs", 1, 0.40, False),
        ),
    ),
    Group(
        "myth_faith", 1, (TextCount("can they refer you for going to the mosque every day", 1, 0.31, False),)
    ),
    Group(NO_GUESS, 1, (TextCount("hhhhh??", 1, None, False),)),
    Group("request_human", 1, (TextCount("my name is [name] and I am worried", 1, 0.28, True),)),
)
EXPECTED_HANDED_OFF = (
    Group(
        "how_to_refer", 1, (TextCount("my son [name] watches extremist videos, what do I do", 1, 0.88, True),)
    ),
    Group("request_human", 1, (TextCount("I need to talk to a real person", 1, 0.95, True),)),
)


def test_review_groups_unsure_and_handed_off_messages_by_guessed_intent(populated):
    inbox = review(WEEK, url=populated, threshold=0.45)
    assert inbox.threshold == 0.45
    assert inbox.unsure == EXPECTED_UNSURE  # old, confident, empty and button messages are all left out
    assert inbox.handed_off == EXPECTED_HANDED_OFF
    assert inbox.handoff_conversations == 2
    assert abs((datetime.now(timezone.utc) - WEEK - inbox.since).total_seconds()) < 60


def test_review_reaches_back_only_as_far_as_asked(populated):
    inbox = review(timedelta(days=30), url=populated, threshold=0.45)
    views = next(group for group in inbox.unsure if group.intent == "myth_views")
    # The ten-day-old message is now in; the wording shown is still the most frequent one.
    assert views.texts[0] == TextCount(DEVOUT, 4, 0.2, True)  # conv-old was handed off
    assert inbox.handoff_conversations == 3

    since_yesterday_noon = timedelta(seconds=datetime.now(timezone.utc).timestamp() - noon(1) + 60)
    recent = review(since_yesterday_noon, url=populated, threshold=0.45)
    assert [group.intent for group in recent.unsure] == ["myth_views", "request_human"]
    assert recent.unsure[0].messages == 3  # conv-b's two-day-old one is outside


def test_a_higher_threshold_makes_more_messages_unsure(populated):
    inbox = review(WEEK, url=populated, threshold=0.5)
    channel = next(group for group in inbox.unsure if group.intent == "what_is_channel")
    assert channel.texts == (TextCount("what is channel about", 1, 0.45, False),)


def test_the_default_threshold_is_the_fallback_classifiers(sqlite_url):
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    expected = next(c["threshold"] for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    assert fallback_threshold() == expected
    assert review(WEEK, url=sqlite_url).threshold == expected


def test_threshold_comes_from_the_named_component_or_rasas_default(tmp_path):
    with_threshold = tmp_path / "a.yml"
    with_threshold.write_text(
        "pipeline:\n- name: DIETClassifier\n  threshold: 0.9\n- name: FallbackClassifier\n"
    )
    assert fallback_threshold(with_threshold) == 0.3
    without = tmp_path / "b.yml"
    without.write_text("pipeline:\n- name: DIETClassifier\n")
    with pytest.raises(ValueError, match="FallbackClassifier"):
        fallback_threshold(without)


def test_render_text_shows_redacted_counts_and_confidence(populated):
    text = render_text(review(WEEK, url=populated, threshold=0.45))
    lines = text.splitlines()
    assert "myth_views (guessed) — 4 messages" in lines
    assert "nlu_fallback (no guess) — 1 message" in lines
    assert any(line.startswith(f"  3×  {DEVOUT}") and line.endswith("   [unsure 0.38]") for line in lines)
    assert any(
        line.startswith("  1×  my name is [name] and I am worried")
        and line.endswith("[unsure 0.28, handed off]")
        for line in lines
    )
    assert any(line.startswith("HANDOFFS — 2 conversations") for line in lines)
    assert any(
        line.startswith("  1×  my son [name] watches") and line.endswith("[sure 0.88]") for line in lines
    )
    for secret in ("Tom", "Sarah", "Jones", "old question"):
        assert secret not in text


def test_an_empty_database_is_an_empty_review(sqlite_url):
    inbox = review(WEEK, url=sqlite_url, threshold=0.45)  # the tracker store never ran: no events table
    assert sa.inspect(engine_for(sqlite_url)).has_table("events") is False
    assert (inbox.unsure, inbox.handed_off, inbox.handoff_conversations) == ((), (), 0)
    assert "Nothing to review" in render_text(inbox)
    assert export_nlu(inbox) == 'version: "3.1"\nnlu: []\n'


# --- Export ------------------------------------------------------------------------------------------------
def loaded_examples(yaml_text: str, tmp_path: Path) -> list[tuple[str, str]]:
    path = tmp_path / "nlu.yml"
    path.write_text(yaml_text, encoding="utf-8")
    return [
        (example.get("intent"), example.get("text")) for example in load_data(str(path)).training_examples
    ]


def test_export_loads_in_rasa_with_each_question_under_its_guessed_intent(populated, tmp_path):
    exported = export_nlu(review(WEEK, url=populated, threshold=0.45))
    assert exported.startswith('version: "3.1"\nnlu:\n- intent: myth_views   # guessed by the assistant')
    assert loaded_examples(exported, tmp_path) == [
        ("myth_views", DEVOUT),
        ("myth_views", "does it punish people for their beliefs"),
        ("request_human", "I need to talk to a real person"),
        ("request_human", "my name is [name] and I am worried"),
        ("how_to_refer", "my son [name] watches extremist videos, what do I do"),
        ("myth_faith", "can they refer you for going to the mosque every day"),
        ("nlu_fallback", "hhhhh??"),
    ]


def test_export_keeps_awkward_text_intact_on_one_line(tmp_path):
    awkward = [
        "\"Quoted\" and 'single': # not a comment",
        "my son [name](14) is he ok",  # would otherwise be an entity annotation
        "[name]{age} and [name][x]",
        "line one\nline two\r\n\ttabbed",
        "- starts with a dash",
        "| > & * ! % @ ` {curly} ? yes",
        "bell\x07 and nul\x00 removed",
        "  spaced out  ",
        "émigré naïve 🙂",
    ]
    inbox = Review(
        since=datetime.now(timezone.utc),
        threshold=0.45,
        unsure=(
            Group("myth_views", len(awkward), tuple(TextCount(text, 1, 0.3, False) for text in awkward)),
        ),
        handed_off=(),
        handoff_conversations=0,
    )
    assert sorted(text for _, text in loaded_examples(export_nlu(inbox), tmp_path)) == sorted(
        [
            "\"Quoted\" and 'single': # not a comment",
            "my son [name] (14) is he ok",
            "[name] {age} and [name] [x]",
            "line one line two tabbed",
            "- starts with a dash",
            "| > & * ! % @ ` {curly} ? yes",
            "bell and nul removed",
            "spaced out",
            "émigré naïve 🙂",
        ]
    )


def test_export_lists_a_question_once_under_its_most_frequent_guess(tmp_path):
    inbox = Review(
        since=datetime.now(timezone.utc),
        threshold=0.45,
        unsure=(
            Group("myth_views", 2, (TextCount("is it about views", 2, 0.3, False),)),
            Group("myth_faith", 1, (TextCount("Is it about views?", 1, 0.3, False),)),
        ),
        handed_off=(Group("myth_faith", 1, (TextCount("is it about VIEWS", 1, 0.9, True),)),),
        handoff_conversations=1,
    )
    assert loaded_examples(export_nlu(inbox), tmp_path) == [("myth_views", "is it about views")]


# --- Stats -------------------------------------------------------------------------------------------------
def expected_days(counts: dict[int, int]) -> tuple[tuple[date, int], ...]:
    today = datetime.now(timezone.utc).date()
    return tuple((today - timedelta(days=ago), counts.get(ago, 0)) for ago in range(7, -1, -1))


def test_stats_count_conversations_myths_and_rates(populated):
    numbers = stats(WEEK, url=populated)
    assert numbers.conversations_per_day == expected_days({1: 3, 2: 2, 3: 2})
    assert numbers.questions_per_myth == (
        ("myth_views", 4),
        ("myth_faith", 1),
        ("myth_ideology", 1),
        ("myth_spying", 1),
        ("myth_criminalisation", 0),
    )
    assert (numbers.conversations, numbers.messages, numbers.fallback_messages) == (6, 17, 4)
    assert numbers.handed_off_conversations == 2
    assert numbers.fallback_rate == pytest.approx(4 / 17)
    assert numbers.handoff_rate == pytest.approx(2 / 6)

    table = render_table(numbers)
    lines = [line.split() for line in table.splitlines()]
    assert ["Fallback", "rate", "23.5%", "(4", "of", "17", "messages)"] in lines
    assert ["Handoff", "rate", "33.3%", "(2", "of", "6", "conversations)"] in lines
    assert ["myth_views", "4"] in lines and ["myth_criminalisation", "0"] in lines


def test_stats_on_an_empty_database_have_no_rates(sqlite_url):
    numbers = stats(WEEK, url=sqlite_url)
    assert (numbers.fallback_rate, numbers.handoff_rate) == (None, None)
    assert numbers.conversations_per_day == expected_days({})
    assert all(count == 0 for _, count in numbers.questions_per_myth)
    table = render_table(numbers)
    lines = [line.split() for line in table.splitlines()]
    assert ["Fallback", "rate", "n/a", "(0", "of", "0", "messages)"] in lines
    assert ["Handoff", "rate", "n/a", "(0", "of", "0", "conversations)"] in lines


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_write_chart_writes_a_png(populated, tmp_path):
    path = write_chart(stats(WEEK, url=populated), tmp_path / "charts" / "usage.png")
    assert path == tmp_path / "charts" / "usage.png"
    width, height = png_size(path)
    assert width > 1000 and height > 400 and path.stat().st_size > 10_000


def test_write_chart_copes_with_no_data(tmp_path):
    now = datetime.now(timezone.utc)
    empty = Stats(now - WEEK, now, expected_days({}), (), 0, 0, 0, 0, None, None)
    width, height = png_size(write_chart(empty, tmp_path / "empty.png"))
    assert width > height > 0
