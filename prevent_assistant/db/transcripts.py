"""Stored conversations for the console's stories page: the recent ones, a page at a time, and one
conversation's events in order, so staff can save a real (redacted) conversation as a test or a story.

Rasa's SQLTrackerStore owns the `events` table (reflected, as in db.conversations); people's text in it is
redacted before it is stored (tracker_store.RedactingSQLTrackerStore). A database Rasa has never written
to has no conversations, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from prevent_assistant.db import engine_for, session_scope
from prevent_assistant.db.conversations import events_table
from prevent_assistant.names import USER_EVENT
from prevent_assistant.settings import database_url


@dataclass(frozen=True)
class ConversationSummary:
    """One conversation in the list: its sender id, its first and last event (Unix time) and how many
    messages the person sent."""

    sender_id: str
    started: float
    ended: float
    messages: int


@dataclass(frozen=True)
class StoredEvent:
    """One row of the events table: `data` is the event's JSON (a person's text already redacted)."""

    type_name: str
    timestamp: float
    action_name: str | None
    intent_name: str | None
    data: str | None


def recent_conversations(limit: int, offset: int = 0, url: str | None = None) -> list[ConversationSummary]:
    """Conversations with at least one message from the person, the most recently active first."""
    url = url or database_url()
    events = events_table(engine_for(url))
    if events is None:
        return []
    person = func.sum(case((events.c.type_name == USER_EVENT, 1), else_=0))
    ended = func.max(events.c.timestamp)
    statement = (
        select(events.c.sender_id, func.min(events.c.timestamp), ended, person)
        .group_by(events.c.sender_id)
        .having(person > 0)
        .order_by(ended.desc(), events.c.sender_id)
        .limit(limit)
        .offset(offset)
    )
    with session_scope(url) as session:
        rows = session.execute(statement).all()
    return [
        ConversationSummary(str(row[0]), float(row[1] or 0), float(row[2] or 0), int(row[3])) for row in rows
    ]


def count_conversations(url: str | None = None) -> int:
    """How many conversations `recent_conversations` can list."""
    url = url or database_url()
    events = events_table(engine_for(url))
    if events is None:
        return 0
    statement = select(func.count(func.distinct(events.c.sender_id))).where(events.c.type_name == USER_EVENT)
    with session_scope(url) as session:
        return int(session.scalar(statement) or 0)


def conversation_events(sender_id: str, url: str | None = None) -> list[StoredEvent]:
    """Every stored event of one conversation, oldest first (empty if there is no such conversation)."""
    url = url or database_url()
    events = events_table(engine_for(url))
    if events is None:
        return []
    statement = (
        select(
            events.c.type_name, events.c.timestamp, events.c.action_name, events.c.intent_name, events.c.data
        )
        .where(events.c.sender_id == sender_id)
        .order_by(events.c.timestamp, events.c.id)
    )
    with session_scope(url) as session:
        rows = session.execute(statement).all()
    return [StoredEvent(str(row[0]), float(row[1] or 0), row[2], row[3], row[4]) for row in rows]
