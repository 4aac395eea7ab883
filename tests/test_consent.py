"""Consent before anything is kept for the call handler, end to end: real Rasa and action servers on a real
database (SQLite and PostgreSQL), checked in the database itself. A handoff and its "shared" history row
exist only after the person saw the summary and said yes; a no, another question or an emergency at the
offer leave no row in either table."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
import sqlalchemy as sa

from conftest import load_yaml
from prevent_assistant.db import engine_for

WORDING = load_yaml("content/handoff.yml")
RESPONSES = load_yaml("domain.yml")["responses"]
WORRIED = "I'm worried my son Tom Baker is being radicalised, he watches isis videos. Call me on 07700 900123"


def say(stack, sender: str, message: str) -> list[dict]:
    response = requests.post(stack.webhook_url, json={"sender": sender, "message": message}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def texts(replies: list[dict]) -> list[str]:
    return [m["text"] for m in replies if m.get("text")]


def response_text(name: str) -> str:
    return RESPONSES[name][0]["text"].strip()


def stored(database: str, sender: str) -> dict:
    """This conversation's handoffs (reference -> transcript) and the kinds of their history rows."""
    with engine_for(database).connect() as connection:
        handoffs = connection.execute(
            sa.text("SELECT id, reference, transcript FROM handoffs WHERE conversation_id = :s"),
            {"s": sender},
        ).all()
        kinds = connection.execute(
            sa.text(
                "SELECT e.kind FROM handoff_events e JOIN handoffs h ON h.id = e.handoff_id "
                "WHERE h.conversation_id = :s"
            ),
            {"s": sender},
        ).scalars()
        return {"handoffs": handoffs, "events": list(kinds)}


def all_history_rows(database: str) -> int:
    """Every handoff_events row, any conversation's: a no must add none, not even an orphan."""
    with engine_for(database).connect() as connection:
        return connection.execute(sa.text("SELECT count(*) FROM handoff_events")).scalar_one()


def offered(replies: list[dict]) -> bool:
    buttons = replies[-1].get("buttons") or []
    return [b["title"] for b in buttons] == [WORDING["share_button"], WORDING["dont_share_button"]]


def test_the_offer_shows_the_redacted_summary_before_anything_is_stored(live):
    stack, database = live
    sender = uuid.uuid4().hex
    replies = say(stack, sender, WORRIED)
    said = texts(replies)
    assert said[0] == response_text("utter_how_to_refer")  # the number and hours come first
    assert offered(replies)
    assert WORDING["offer_intro"].strip() in said
    summary = next(t for t in said if t.startswith(WORDING["offer_topics"].split("{")[0]))
    assert "You: I'm worried my son [name] is being radicalised, he watches isis videos" in summary
    for secret in ("Tom", "Baker", "07700", "900123"):
        assert secret not in " ".join(said)
    assert stored(database, sender) == {"handoffs": [], "events": []}


@pytest.mark.parametrize("answer", ["/affirm", "yes you can share it"])
def test_share_stores_exactly_one_handoff_with_one_shared_event(live, answer):
    stack, database = live
    sender = uuid.uuid4().hex
    offer = texts(say(stack, sender, WORRIED))
    replies = say(stack, sender, answer)
    reference = next(m["custom"]["handoff"]["reference"] for m in replies if "handoff" in m.get("custom", {}))
    assert reference in texts(replies)[0]
    found = stored(database, sender)
    assert [row.reference for row in found["handoffs"]] == [reference]
    assert found["events"] == ["shared"]
    transcript = found["handoffs"][0].transcript
    if isinstance(transcript, str):  # SQLite hands a JSON column back as text through plain SQL
        transcript = json.loads(transcript)
    person = [line["text"] for line in transcript if line["speaker"] == "person"]
    assert person and all(f"You: {said}" in " ".join(offer) for said in person)  # what they saw
    assert all(answer not in line["text"] for line in transcript)  # and not their yes


@pytest.mark.parametrize("answer", ["/deny", "no thanks, don't share it"])
def test_dont_share_stores_no_handoff_and_no_history_and_still_gives_the_numbers(live, answer):
    stack, database = live
    sender = uuid.uuid4().hex
    history_before = all_history_rows(database)
    assert offered(say(stack, sender, "can I talk to a real person"))
    replies = say(stack, sender, answer)
    said = " ".join(texts(replies))
    assert texts(replies)[0] == response_text("utter_handoff_not_shared")
    assert "0800 011 3764" in said and "9am to 5pm every day" in said and "999" in said
    assert not any("handoff" in m.get("custom", {}) for m in replies) and "PRV-" not in said
    assert stored(database, sender) == {"handoffs": [], "events": []}
    assert all_history_rows(database) == history_before


def test_a_worried_person_who_does_not_share_is_still_offered_what_happens_next(live):
    stack, database = live
    sender = uuid.uuid4().hex
    say(stack, sender, WORRIED)
    replies = say(stack, sender, "/deny")
    assert texts(replies) == [
        response_text("utter_handoff_not_shared"),
        response_text("utter_offer_after_referral"),
    ]
    assert stored(database, sender) == {"handoffs": [], "events": []}


def test_asking_a_myth_instead_gets_its_answer_and_a_later_yes_shares_nothing(live):
    stack, database = live
    sender = uuid.uuid4().hex
    assert offered(say(stack, sender, "I'd like to speak to a human please"))
    replies = say(stack, sender, "hang on, so is prevent basically spying on families")
    assert texts(replies)[0] == response_text("utter_myth_spying")
    replies = say(stack, sender, "/affirm")  # the old share button, pressed once the chat had moved on
    assert texts(replies) == [response_text("utter_how_can_i_help")]
    assert stored(database, sender) == {"handoffs": [], "events": []}


def test_an_emergency_at_the_offer_gets_999_first_and_shares_nothing(live):
    stack, database = live
    sender = uuid.uuid4().hex
    assert offered(say(stack, sender, WORRIED))
    replies = say(
        stack, sender, "he has just left with a knife and says he will attack people at the station now"
    )
    assert texts(replies)[0] == response_text("utter_emergency")
    assert not offered(replies)
    say(stack, sender, "/affirm")
    assert stored(database, sender) == {"handoffs": [], "events": []}
