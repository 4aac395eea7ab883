"""Escalation end to end: real Rasa and action servers, a real database (SQLite and PostgreSQL), the CLI.
The person is shown what the call handler would see and asked first; tests/test_consent.py covers a no."""

from __future__ import annotations

import os
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa
from test_cli import CLI

from actions.handoff import wording
from conftest import LOG_DIR, load_yaml, start_stack
from prevent_assistant.db import engine_for

SUPPORT_LINE = "0800 011 3764"
HANDOFF = load_yaml("content/handoff.yml")


def say(stack, sender: str, message: str) -> list[dict]:
    response = requests.post(stack.webhook_url, json={"sender": sender, "message": message}, timeout=60)
    assert response.status_code == 200
    return response.json()


def reference_in(messages: list[dict]) -> str | None:
    return next(
        (m["custom"]["handoff"]["reference"] for m in messages if "handoff" in m.get("custom", {})), None
    )


def offer_buttons(messages: list[dict]) -> list[str]:
    """The titles of the buttons on the last message: the offer's two choices."""
    return [button["title"] for button in messages[-1].get("buttons", [])]


def show(reference: str, database: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database}
    return subprocess.run([str(CLI), "handoff", "show", reference], env=env, capture_output=True, text=True)


def test_asking_for_a_person_gives_number_hours_and_a_reference_the_cli_shows_redacted(live):
    stack, database = live
    sender = uuid.uuid4().hex
    say(stack, sender, "hello")
    say(stack, sender, "my name is Tom Baker and my email is tom.baker@example.com, is prevent spying on me")
    replies = say(stack, sender, "can I speak to someone")
    texts = " ".join(m.get("text", "") for m in replies)
    assert "tel:+448000113764" in texts and SUPPORT_LINE in texts
    assert "9am to 5pm every day" in texts and "don't have to give your name" in texts and "999" in texts
    assert reference_in(replies) is None  # asked first
    assert offer_buttons(replies) == [HANDOFF["share_button"], HANDOFF["dont_share_button"]]
    assert "You: my name is [name] and my email is [email]" in texts  # what the handler would see
    for secret in ("Tom", "Baker", "tom.baker@example.com"):
        assert secret not in texts

    replies = say(stack, sender, "/affirm")
    texts = " ".join(m.get("text", "") for m in replies)
    reference = reference_in(replies)
    assert reference and reference in texts

    shown = show(reference, database)
    assert shown.returncode == 0, shown.stderr
    assert "Topics:     greet, myth_spying, request_human" in shown.stdout
    assert "Person: my name is [name]" in shown.stdout
    for secret in ("Tom", "Baker", "tom.baker@example.com"):
        assert secret not in shown.stdout
    assert "Person: can I speak to someone" in shown.stdout


def test_worried_about_someone_is_handed_over_too(live):
    stack, _ = live
    sender = uuid.uuid4().hex
    replies = say(stack, sender, "my brother keeps sharing isis propaganda and talking about going to syria")
    assert SUPPORT_LINE in replies[0]["text"]
    assert reference_in(replies) is None
    assert offer_buttons(replies) == [HANDOFF["share_button"], HANDOFF["dont_share_button"]]
    replies = say(stack, sender, "yes please share it")  # typed, not the button
    assert reference_in(replies)
    assert replies[-1]["text"] == "Would you like to know what happens after a referral?"


def test_fifty_concurrent_handoffs_get_fifty_distinct_references_and_rows(live):
    stack, database = live
    senders = [f"burst-{uuid.uuid4().hex}" for _ in range(50)]

    def ask_and_share(sender: str) -> str | None:
        say(stack, sender, "/request_human")
        return reference_in(say(stack, sender, "/affirm"))

    with ThreadPoolExecutor(max_workers=25) as pool:
        references = list(pool.map(ask_and_share, senders))
    assert None not in references
    assert len(set(references)) == 50
    with engine_for(database).connect() as connection:
        rows = connection.execute(
            sa.text("SELECT reference FROM handoffs WHERE conversation_id LIKE 'burst-%'")
        ).scalars()
        assert sorted(rows) == sorted(references)


def test_database_down_still_gives_the_number_without_a_reference(sqlite_url):
    unreachable = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/unreachable"}
    sender = uuid.uuid4().hex
    with start_stack(sqlite_url, action_server_env=unreachable) as stack:
        asked = say(stack, sender, "can I speak to someone")
        replies = say(stack, sender, "/affirm")
    assert SUPPORT_LINE in asked[0]["text"]
    texts = [m.get("text", "") for m in replies]
    assert texts[-1] == wording()["without_reference"].strip()
    assert reference_in(replies) is None
    assert not any("Traceback" in t or "Error" in t for t in texts)
    logged = (LOG_DIR / "actions.log").read_text(errors="replace")
    assert "Could not store a handoff (OperationalError)" in logged
    assert "INSERT" not in logged and "can I speak to someone" not in logged
