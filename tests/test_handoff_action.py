"""action_offer_handoff and action_handoff with rasa-sdk Trackers against a real database: what the offer
shows, that only a yes straight after it stores anything, the record it writes, and what is logged."""

from __future__ import annotations

import asyncio
import logging

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.handoff import ActionHandoff, wording
from actions.offer_handoff import ActionOfferHandoff
from actions.topics import load_topics
from prevent_assistant.db import session_scope
from prevent_assistant.db.handoffs import REFERENCE_PATTERN, get_handoff, list_handoffs
from prevent_assistant.db.models import HandoffEvent


def user(text: str, intent: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {"text": text, "intent": {"name": intent}}}


def bot(text: str) -> dict:
    return {"event": "bot", "text": text}


def action(name: str) -> dict:
    return {"event": "action", "name": name}


WORRIED = "my son Daniel Price has been watching far right videos, call me on 07700 900123"
CONVERSATION = [
    action("action_listen"),
    user("hi", "greet"),
    bot("Hello. I'm an automated assistant."),
    user(WORRIED, "how_to_refer"),
    bot("If you're worried someone is being drawn into extremism, call 0800 011 3764. Source: actearly.uk"),
    user("hi again", "greet"),
    user("can I speak to someone", "request_human"),
    bot("You can talk to a person on the ACT Early Support Line: 0800 011 3764"),
]
# What Rasa adds when action_offer_handoff has run and the person answers with the share button.
QUESTION = {
    **bot("Shall I share this with the call handler?"),
    "data": {"buttons": [{"title": "Share", "payload": "/affirm"}, {"title": "Don't", "payload": "/deny"}]},
}
OFFERED = [
    action("action_offer_handoff"),
    bot("If you like, I can pass a short summary of this chat to the call handler."),
    bot("Topics: I'm worried about someone"),
    QUESTION,
    action("action_listen"),
]
SHARED = [*CONVERSATION, *OFFERED, user("/affirm", "affirm")]


def tracker(events: list[dict], channel: str = "rest") -> Tracker:
    events = [dict(e) for e in events]
    for event in events:
        if event["event"] == "user":
            event["input_channel"] = channel
    latest = next(e for e in reversed(events) if e["event"] == "user")["parse_data"]
    return Tracker("conversation-1", {}, latest, events, False, None, {}, "action_listen")


def run(events: list[dict], action_class: type = ActionHandoff) -> tuple[list, list[dict]]:
    dispatcher = CollectingDispatcher()
    result = asyncio.run(action_class().run(dispatcher, tracker(events), domain={}))
    return result, dispatcher.messages


def reference_of(messages: list[dict]) -> str:
    return messages[0]["custom"]["handoff"]["reference"]


def event_kinds(url: str) -> list[str]:
    with session_scope(url) as session:
        return list(session.scalars(select(HandoffEvent.kind)))


# --- The offer ------------------------------------------------------------------------------------------
def test_the_offer_shows_the_redacted_summary_and_asks_with_two_buttons():
    events, messages = run(CONVERSATION, ActionOfferHandoff)
    assert events == []
    intro, summary, question = messages
    assert intro["text"] == wording()["offer_intro"]
    labels = load_topics().labels
    assert summary["text"].splitlines()[0] == wording()["offer_topics"].format(
        topics=f"{labels['how_to_refer']}; {labels['request_human']}"  # no "greet": it is no topic
    )
    assert "You: my son [name] has been watching far right videos, call me on [phone]" in summary["text"]
    for secret in ("Daniel", "Price", "07700", "900123"):
        assert secret not in summary["text"]
    # The assistant's replies are cut to their first sentence; the person's words are given in full.
    assert (
        "Assistant: If you're worried someone is being drawn into extremism, call 0800 011 3764. (…)"
        in (summary["text"])
    )
    assert question["text"] == wording()["offer_question"]
    assert question["buttons"] == [
        {"title": "Share this with the call handler", "payload": "/affirm"},
        {"title": "Don't share", "payload": "/deny"},
    ]


def test_the_offer_stores_nothing(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    run(CONVERSATION, ActionOfferHandoff)
    assert list_handoffs(url=sqlite_url) == [] and event_kinds(sqlite_url) == []


# --- After a yes ----------------------------------------------------------------------------------------
def test_a_yes_creates_a_record_with_one_shared_event_and_gives_its_reference(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    events, messages = run(SHARED)
    assert events == []
    assert len(messages) == 1
    reference = reference_of(messages)
    assert REFERENCE_PATTERN.match(reference)
    assert reference in messages[0]["text"]

    record = get_handoff(reference, url=sqlite_url)
    assert record.status == "new"
    assert record.channel == "rest"
    assert record.conversation_id == "conversation-1"
    # Each once, in order; not the yes to the offer, which is no topic of the conversation.
    assert record.topics == ["greet", "how_to_refer", "request_human"]
    assert event_kinds(sqlite_url) == ["shared"]


def test_what_is_stored_is_what_the_offer_showed(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    _, offer = run(CONVERSATION, ActionOfferHandoff)
    record = get_handoff(reference_of(run(SHARED)[1]), url=sqlite_url)
    person = [line["text"] for line in record.transcript if line["speaker"] == "person"]
    redacted = "my son [name] has been watching far right videos, call me on [phone]"
    assert person == ["hi", redacted, "hi again", "can I speak to someone"]
    for said in person:
        assert f"You: {said}" in offer[1]["text"]
    stored = " ".join(line["text"] for line in record.transcript)
    assert "summary" not in stored and "/affirm" not in stored  # neither the offer nor the yes


def test_transcript_is_redacted_but_keeps_the_bots_words(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    record = get_handoff(reference_of(run(SHARED)[1]), url=sqlite_url)
    text = " ".join(line["text"] for line in record.transcript)
    assert "Daniel" not in text and "Price" not in text
    assert "07700" not in text and "900123" not in text
    assert "far right videos" in text  # the concern itself stays: it is what the handler needs
    assert "0800 011 3764" in text  # the support line in the bot's own words is not personal data
    assert [line["speaker"] for line in record.transcript][:2] == ["person", "assistant"]


def test_transcript_keeps_only_the_configured_number_of_turns(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setattr("actions.handoff.handoff_transcript_turns", lambda: 3)
    record = get_handoff(reference_of(run(SHARED)[1]), url=sqlite_url)
    assert [line["text"] for line in record.transcript] == [
        "hi again",
        "can I speak to someone",
        "You can talk to a person on the ACT Early Support Line: 0800 011 3764",
    ]


def test_button_payloads_are_topics_not_lines_of_the_transcript(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    opened = [action("action_listen"), user("/greet", "greet"), bot("Hello. I'm an automated assistant.")]
    chosen = [user('/request_human{"language": "en"}', "request_human"), bot("You can talk to a person.")]
    before = [*opened, user("my son Tom is online all night", "how_to_refer"), bot("Call the line."), *chosen]
    record = get_handoff(reference_of(run([*before, *OFFERED, user("/affirm", "affirm")])[1]), url=sqlite_url)
    assert record.topics == ["greet", "how_to_refer", "request_human"]
    assert [line["text"] for line in record.transcript if line["speaker"] == "person"] == [
        "my son [name] is online all night"
    ]
    summary = run(before, ActionOfferHandoff)[1][1]["text"]
    assert "/" not in summary.replace("(…)", "") and "You: my son [name] is online all night" in summary


def test_a_question_topic_is_stored_by_its_full_name(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    question = user("where do I do the training", "faq")
    question["parse_data"]["response_selector"] = {
        "faq": {"response": {"intent_response_key": "faq/training"}}
    }
    before = [action("action_listen"), question, bot("Training is online."), *CONVERSATION[-2:]]
    record = get_handoff(reference_of(run([*before, *OFFERED, user("yes", "affirm")])[1]), url=sqlite_url)
    assert record.topics == ["faq/training", "request_human"]
    assert load_topics().labels["faq/training"] in run(before, ActionOfferHandoff)[1][1]["text"]


def test_every_handoff_gets_its_own_reference(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    references = {reference_of(run(SHARED)[1]) for _ in range(20)}
    assert len(references) == 20
    assert len(list_handoffs(url=sqlite_url)) == 20
    assert event_kinds(sqlite_url) == ["shared"] * 20


# --- Without a yes straight after the offer, nothing is stored ------------------------------------------
@pytest.mark.parametrize(
    "events",
    [
        pytest.param(CONVERSATION, id="no-offer"),
        pytest.param([*CONVERSATION, user("yes", "affirm")], id="yes-to-something-else"),
        pytest.param([*CONVERSATION, *OFFERED, user("no thanks", "deny")], id="no"),
        pytest.param(
            [*CONVERSATION, action("action_offer_handoff"), action("action_listen"), user("yes", "affirm")],
            id="yes-after-an-offer-that-never-reached-the-person",
        ),
        pytest.param(
            [
                *CONVERSATION,
                *OFFERED,
                user("is prevent spying", "myth_spying"),
                action("utter_myth_spying"),
                bot("Prevent is not spying."),
                action("action_listen"),
                user("/affirm", "affirm"),
            ],
            id="yes-after-the-conversation-moved-on",
        ),  # fmt: skip
    ],
)
def test_without_a_yes_to_the_offer_nothing_is_stored(sqlite_url, monkeypatch, events):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    result, messages = run(events)
    assert result == []
    assert [m["text"] for m in messages] == [wording()["without_reference"]]
    assert list_handoffs(url=sqlite_url) == [] and event_kinds(sqlite_url) == []


# --- A database failure ---------------------------------------------------------------------------------
@pytest.fixture(params=["unreachable", "not-migrated"])
def broken_database(request, tmp_path) -> str:
    """An unreachable server, and a database with no handoffs table: there SQLAlchemy's error carries the
    INSERT statement and its parameters, i.e. the person's (redacted) words."""
    if request.param == "unreachable":
        return "postgresql://nobody@127.0.0.1:9/unreachable"
    return f"sqlite:///{tmp_path / 'empty.db'}"


def test_database_failure_still_answers_and_logs_the_error_class_only(broken_database, monkeypatch, caplog):
    monkeypatch.setenv("DATABASE_URL", broken_database)
    with caplog.at_level(logging.INFO, logger="actions.handoff"):
        events, messages = run(SHARED)
    assert events == []
    assert [m["text"] for m in messages] == [wording()["without_reference"]]
    assert "custom" not in messages[0] or not messages[0]["custom"]
    failures = [r for r in caplog.records if r.name == "actions.handoff" and r.levelno == logging.ERROR]
    assert len(failures) == 1
    assert "Could not store a handoff (OperationalError)" in failures[0].getMessage()
    # Nothing of what the person wrote, and no SQL, in any record: message, traceback or otherwise.
    for record in caplog.records:
        logged = caplog.handler.format(record)
        for secret in ("far right videos", "speak to someone", "Daniel", "[name]", "INSERT", "handoffs ("):
            assert secret not in logged, f"{secret!r} was logged by {record.name}"


def test_wording_file_has_every_message():
    text = wording()
    for key in ("offer_intro", "offer_topics", "offer_question", "share_button", "dont_share_button",
                "offer_shortened", "with_reference", "without_reference"):  # fmt: skip
        assert str(text[key]).strip(), key
    assert set(text["offer_speakers"]) == {"person", "assistant"}
    assert "{reference}" in text["with_reference"] and "{topics}" in text["offer_topics"]
