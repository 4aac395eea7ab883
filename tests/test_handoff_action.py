"""action_handoff with rasa-sdk Trackers against a real database: the record it writes and what it says."""

from __future__ import annotations

import asyncio
import logging

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff, wording
from prevent_assistant.db.handoffs import REFERENCE_PATTERN, get_handoff, list_handoffs


def user(text: str, intent: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {"text": text, "intent": {"name": intent}}}


def bot(text: str) -> dict:
    return {"event": "bot", "text": text}


CONVERSATION = [
    {"event": "action", "name": "action_listen"},
    user("hi", "greet"),
    bot("Hello. I'm an automated assistant."),
    user("my son Daniel Price has been watching far right videos, call me on 07700 900123", "how_to_refer"),
    bot("If you're worried someone is being drawn into extremism, call 0800 011 3764."),
    user("hi again", "greet"),
    user("can I speak to someone", "request_human"),
    bot("You can talk to a person on the ACT Early Support Line: 0800 011 3764"),
]


def tracker(events: list[dict], channel: str = "rest") -> Tracker:
    for event in events:
        if event["event"] == "user":
            event["input_channel"] = channel
    latest = next(e for e in reversed(events) if e["event"] == "user")["parse_data"]
    return Tracker("conversation-1", {}, latest, events, False, None, {}, "action_listen")


def run(events: list[dict]) -> tuple[list, list[dict]]:
    dispatcher = CollectingDispatcher()
    result = asyncio.run(ActionHandoff().run(dispatcher, tracker(events), domain={}))
    return result, dispatcher.messages


def test_creates_a_record_and_gives_its_reference(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    events, messages = run([dict(e) for e in CONVERSATION])
    assert events == []
    assert len(messages) == 1
    reference = messages[0]["custom"]["handoff"]["reference"]
    assert REFERENCE_PATTERN.match(reference)
    assert reference in messages[0]["text"]

    record = get_handoff(reference, url=sqlite_url)
    assert record.status == "new"
    assert record.channel == "rest"
    assert record.conversation_id == "conversation-1"
    assert record.topics == ["greet", "how_to_refer", "request_human"]  # each once, in order


def test_transcript_is_redacted_but_keeps_the_bots_words(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    _, messages = run([dict(e) for e in CONVERSATION])
    record = get_handoff(messages[0]["custom"]["handoff"]["reference"], url=sqlite_url)
    text = " ".join(line["text"] for line in record.transcript)
    assert "Daniel" not in text and "Price" not in text
    assert "07700" not in text and "900123" not in text
    assert "far right videos" in text  # the concern itself stays: it is what the handler needs
    assert "0800 011 3764" in text  # the support line in the bot's own words is not personal data
    assert [line["speaker"] for line in record.transcript][:2] == ["person", "assistant"]


def test_transcript_keeps_only_the_configured_number_of_turns(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setattr("actions.handoff.handoff_transcript_turns", lambda: 3)
    _, messages = run([dict(e) for e in CONVERSATION])
    record = get_handoff(messages[0]["custom"]["handoff"]["reference"], url=sqlite_url)
    assert [line["text"] for line in record.transcript] == [
        "hi again",
        "can I speak to someone",
        "You can talk to a person on the ACT Early Support Line: 0800 011 3764",
    ]


def test_every_handoff_gets_its_own_reference(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    references = {
        run([dict(e) for e in CONVERSATION])[1][0]["custom"]["handoff"]["reference"] for _ in range(20)
    }
    assert len(references) == 20
    assert len(list_handoffs(url=sqlite_url)) == 20


def test_database_down_still_answers_without_a_reference_and_logs_it(monkeypatch, caplog):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/unreachable")
    with caplog.at_level(logging.ERROR, logger="actions.handoff"):
        events, messages = run([dict(e) for e in CONVERSATION])
    assert events == []
    assert [m["text"] for m in messages] == [wording()["without_reference"]]
    assert "custom" not in messages[0] or not messages[0]["custom"]
    assert "Could not store a handoff" in caplog.text
    assert "Daniel" not in caplog.text  # the failure is logged, the person's words are not


@pytest.mark.parametrize("missing", ["with_reference", "without_reference"])
def test_wording_file_has_both_messages(missing):
    assert wording()[missing].strip()
