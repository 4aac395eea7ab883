"""What the assistant says about itself, deleting a conversation, and other languages: real Rasa and action
servers on a real database (SQLite and PostgreSQL), checked in the database itself."""

from __future__ import annotations

import uuid

import pytest
import requests
import sqlalchemy as sa

from conftest import load_yaml
from prevent_assistant.db import engine_for
from prevent_assistant.settings import describe_duration, organisation, retention

WORDING = load_yaml("content/assistant.yml")
LANGUAGES = load_yaml("content/languages.yml")


def say(stack, sender: str, message: str) -> list[dict]:
    response = requests.post(stack.webhook_url, json={"sender": sender, "message": message}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def texts(replies: list[dict]) -> list[str]:
    return [m["text"] for m in replies if m.get("text")]


def payloads(replies: list[dict]) -> list[dict]:
    """The custom payloads of a reply (Rasa sends each as a message of its own, after the text)."""
    return [m["custom"] for m in replies if "custom" in m]


def stored(database: str, sender: str) -> tuple[int, int, str]:
    """(events, handoffs, all stored event data joined) for one conversation."""
    with engine_for(database).connect() as connection:
        events = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender}
        ).scalars()
        data = list(events)
        handoffs = connection.execute(
            sa.text("SELECT count(*) FROM handoffs WHERE conversation_id = :s"), {"s": sender}
        ).scalar_one()
    return len(data), handoffs, " ".join(data)


def test_about_the_assistant_states_who_runs_it_and_how_long_it_keeps_things_from_settings(live):
    stack, _ = live
    replies = say(stack, uuid.uuid4().hex, "is my data safe with you, who runs this?")
    said = " ".join(texts(replies))
    assert organisation() in said
    assert describe_duration(retention()) in said
    assert "automated" in said and "Nothing is sent to anyone else" in said
    assert {"title": WORDING["delete_button"], "payload": "/delete_conversation"} in replies[-1]["buttons"]


def test_deleting_a_conversation_removes_its_events_and_its_handoff(live):
    stack, database = live
    sender = uuid.uuid4().hex
    worried = "my brother keeps sharing isis videos and says he wants to go and fight, I'm worried about him"
    say(stack, sender, worried)
    replies = say(stack, sender, "/affirm")  # share the summary with the call handler
    assert any("handoff" in m.get("custom", {}) for m in replies), "no handoff was made"
    events, handoffs, data = stored(database, sender)
    assert events > 0 and handoffs == 1 and "isis videos" in data

    replies = say(stack, sender, "please delete this conversation")
    assert texts(replies) == [WORDING["deleted_with_handoff"].strip()]
    assert payloads(replies) == [{"conversation_deleted": True}]
    assert stored(database, sender)[:2] == (0, 0)

    # The conversation goes on as a new one: nothing of the old one comes back with the next turn.
    say(stack, sender, "what is channel")
    events, handoffs, data = stored(database, sender)
    assert events > 0 and handoffs == 0
    assert "isis videos" not in data and "delete this conversation" not in data


def test_the_delete_button_works_without_a_handoff_too(live):
    stack, database = live
    sender = uuid.uuid4().hex
    say(stack, sender, "is prevent spying on muslims")
    assert stored(database, sender)[0] > 0
    replies = say(stack, sender, "/delete_conversation")
    assert texts(replies) == [WORDING["deleted"].strip()]
    assert stored(database, sender)[:2] == (0, 0)


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("Mae gen i gwestiwn am Prevent, ydych chi'n siarad Cymraeg?", "cy"),
        ("کیا پریوینٹ مسلمانوں کی جاسوسی کرتا ہے؟ مجھے بہت فکر ہے", "ur"),
        ("Czy Prevent szpieguje muzułmanów? Bardzo się martwię", "pl"),
    ],
)
def test_a_message_in_another_language_gets_the_fixed_reply_in_that_language(live, message, language):
    stack, _ = live
    replies = say(stack, uuid.uuid4().hex, message)
    assert texts(replies) == [LANGUAGES["languages"][language]["text"].strip()]
    assert payloads(replies) == [{"language": language}]
