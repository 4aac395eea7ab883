"""Conversation storage through Rasa's SQL tracker store (redacted on save) and the retention purge."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from prevent_assistant.db import engine_for
from prevent_assistant.db.handoffs import create_handoff, list_handoffs, set_status
from prevent_assistant.db.models import Handoff, utc_now
from prevent_assistant.db.retention import purge
from prevent_assistant.tracker_store import RedactingSQLTrackerStore

PERSONAL = "my daughter Aisha Khan lives at 12 Acacia Avenue, M1 1AE, email aisha.k@example.com"


def conversation(sender: str, text: str, timestamp: float | None = None) -> DialogueStateTracker:
    at = timestamp or time.time()
    events = [
        ActionExecuted("action_listen", timestamp=at),
        UserUttered(text, intent={"name": "how_to_refer", "confidence": 0.9}, timestamp=at),
        BotUttered("Call the ACT Early Support Line on 0800 011 3764.", timestamp=at),
    ]
    return DialogueStateTracker.from_events(sender, events)


def stored_rows(url: str, sender: str) -> list[str]:
    with engine_for(url).connect() as connection:
        return list(
            connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalars()
        )


def test_user_text_is_redacted_before_it_is_written(database):
    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=database)
    tracker = conversation("redact-me", PERSONAL)
    asyncio.run(store.save(tracker))
    raw = " ".join(stored_rows(database, "redact-me"))
    for secret in ("Aisha", "Khan", "12 Acacia Avenue", "M1 1AE", "aisha.k@example.com"):
        assert secret not in raw, f"{secret!r} reached the database"
    assert tracker.latest_message.text == PERSONAL  # the in-memory tracker (what NLU saw) is untouched
    restored = asyncio.run(store.retrieve("redact-me"))
    user = next(e for e in restored.events if isinstance(e, UserUttered))
    assert user.intent_name == "how_to_refer"
    assert "my daughter" in user.text and "Aisha" not in user.text
    assert json.loads(stored_rows(database, "redact-me")[1])["parse_data"]["text"] == user.text


def test_purge_deletes_old_conversations_whole_and_old_closed_handoffs(database):
    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=database)
    old = time.time() - 40 * 86400
    asyncio.run(store.save(conversation("old-conversation", "is prevent spying", timestamp=old)))
    asyncio.run(store.save(conversation("recent-conversation", "is prevent spying")))
    for status in ("closed", "new"):
        handoff = create_handoff(f"c-{status}", "rest", [], [], url=database)
        set_status(handoff.reference, status, url=database)
    with engine_for(database).begin() as connection:  # age both handoffs past the period
        connection.execute(sa.update(Handoff.__table__).values(created_at=utc_now() - timedelta(days=40)))

    report = purge(timedelta(days=30), url=database)
    assert (report.conversations, report.events, report.handoffs) == (1, 3, 1)
    assert stored_rows(database, "old-conversation") == []
    assert len(stored_rows(database, "recent-conversation")) == 3
    assert [h.status for h in list_handoffs(url=database)] == ["new"]  # open handoffs wait to be closed

    again = purge(timedelta(days=30), url=database)
    assert (again.conversations, again.events, again.handoffs) == (0, 0, 0)


def test_purge_on_an_empty_database_reports_nothing(sqlite_url):
    report = purge(timedelta(days=30), url=sqlite_url)
    assert (report.conversations, report.events, report.handoffs) == (0, 0, 0)


def test_a_database_error_is_reported_by_type_without_the_stored_words(sqlite_url):
    from prevent_assistant.tracker_store import TrackerStoreUnavailable

    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=sqlite_url)
    with engine_for(sqlite_url).begin() as connection:
        connection.execute(sa.text("DROP TABLE events"))
    words = "worried about my brother and his new friends"
    with pytest.raises(TrackerStoreUnavailable) as refused:
        asyncio.run(store.save(conversation("error-words", words)))
    # Rasa's fail-safe store logs this text at ERROR level; SQLAlchemy's own would quote the event.
    assert str(refused.value) == "database error: OperationalError"
    with pytest.raises(TrackerStoreUnavailable):
        asyncio.run(store.retrieve("error-words"))


def test_purge_deletes_more_conversations_than_one_statement_may_bind(sqlite_url):
    """SQLite binds at most 32,766 parameters a statement: a purge that listed every stale sender id (or
    handoff id) would fail here. Deletion goes by subquery (db/retention.py, db/handoffs.py)."""
    stale, now, old = 33_000, time.time(), time.time() - 40 * 86400
    rows = [
        {"sender_id": f"old-{i}", "type_name": "user", "timestamp": old, "data": "{}"} for i in range(stale)
    ]
    # Fresh conversations, one with an old first message: a conversation goes only when its latest does.
    rows += [{"sender_id": f"new-{i}", "type_name": "user", "timestamp": now, "data": "{}"} for i in range(5)]
    rows.append({"sender_id": "new-0", "type_name": "user", "timestamp": old, "data": "{}"})
    created = utc_now() - timedelta(days=40)
    handoffs = [
        {"reference": f"OLD-{i}", "conversation_id": f"old-{i}", "status": "closed", "created_at": created}
        for i in range(stale)
    ]
    handoffs += [
        {"reference": "OPEN-1", "conversation_id": "x", "status": "new", "created_at": created},
        {"reference": "FRESH-1", "conversation_id": "y", "status": "closed", "created_at": utc_now()},
    ]
    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=sqlite_url)  # creates Rasa's events table
    with engine_for(sqlite_url).begin() as connection:
        connection.execute(store.SQLEvent.__table__.insert(), rows)
        connection.execute(
            Handoff.__table__.insert(),
            [{**h, "updated_at": h["created_at"], "topics": [], "transcript": []} for h in handoffs],
        )
    report = purge(timedelta(days=30), url=sqlite_url)
    assert (report.conversations, report.events, report.handoffs) == (stale, stale, stale)
    with engine_for(sqlite_url).connect() as connection:
        senders = connection.execute(sa.text("SELECT DISTINCT sender_id FROM events")).scalars().all()
        left = connection.execute(sa.text("SELECT COUNT(*) FROM events")).scalar_one()
    assert sorted(senders) == [f"new-{i}" for i in range(5)] and left == 6
    assert sorted(h.reference for h in list_handoffs(url=sqlite_url)) == ["FRESH-1", "OPEN-1"]


def test_make_run_purges_what_is_past_the_retention_period(sqlite_url, monkeypatch):
    from prevent_assistant import serve

    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=sqlite_url)
    asyncio.run(store.save(conversation("expired", "is prevent spying", timestamp=time.time() - 400 * 86400)))
    asyncio.run(store.save(conversation("current", "is prevent spying")))
    serve.purge_expired()
    assert stored_rows(sqlite_url, "expired") == []
    assert len(stored_rows(sqlite_url, "current")) == 3


def test_a_tracker_that_ran_the_delete_action_is_forgotten_not_saved_back(database):
    """Rasa saves by appending what the database lacks; after a deletion it lacks everything."""
    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=database)
    tracker = conversation("forget-me", "my son Adam is in trouble")
    asyncio.run(store.save(tracker))
    create_handoff("forget-me", "rest", [], [], url=database)
    assert len(stored_rows(database, "forget-me")) == 3

    tracker.update(ActionExecuted("action_delete_conversation"))
    asyncio.run(store.save(tracker))
    assert stored_rows(database, "forget-me") == []
    assert [h for h in list_handoffs(url=database) if h.conversation_id == "forget-me"] == []
