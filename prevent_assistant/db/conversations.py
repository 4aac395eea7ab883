"""Whole conversations: Rasa's stored events for one sender, and the handoffs that conversation made.

Rasa's SQLTrackerStore owns the `events` table; the project reads and deletes its rows here, so retention,
"delete this conversation" and the staff review all use one definition of where a conversation lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import MetaData, Table, delete, inspect, select
from sqlalchemy.engine import Engine

from prevent_assistant.db import engine_for, session_scope
from prevent_assistant.db.handoffs import delete_handoffs_of
from prevent_assistant.db.models import Handoff
from prevent_assistant.names import ACTION_EVENT, HANDOFF_ACTION, USER_EVENT
from prevent_assistant.settings import database_url

# Rasa's SQLTrackerStore table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent); `timestamp` is Unix time.
RASA_EVENTS_TABLE = "events"


def events_table(engine: Engine) -> Table | None:
    """Rasa's events table, or None before Rasa has stored its first conversation in this database.
    Reflected rather than imported: the table belongs to Rasa, whose model class is private."""
    if not inspect(engine).has_table(RASA_EVENTS_TABLE):
        return None
    return Table(RASA_EVENTS_TABLE, MetaData(), autoload_with=engine)


@dataclass(frozen=True)
class DeletedConversation:
    """How many rows went: events (the person's and the assistant's messages and the bot's state) and
    handoffs (with their redacted transcripts)."""

    events: int
    handoffs: int


def delete_conversation(conversation_id: str, url: str | None = None) -> DeletedConversation:
    """Delete everything stored for one conversation, in one transaction: all or nothing."""
    url = url or database_url()
    table = events_table(engine_for(url))
    with session_scope(url) as session:
        events = 0
        if table is not None:
            result = session.execute(delete(table).where(table.c.sender_id == conversation_id))
            events = result.rowcount or 0
        handoffs = delete_handoffs_of(session, conversation_id)
    return DeletedConversation(events=events, handoffs=handoffs)


@dataclass(frozen=True)
class StoredUserEvent:
    """One message a person sent, as a row of Rasa's events table: `data` is the event's JSON (its text
    already redacted on save), `timestamp` Unix time."""

    sender_id: str
    timestamp: float
    intent_name: str | None
    data: str | None


@dataclass(frozen=True)
class StoredWindow:
    """What the staff reports read from one period: people's messages, oldest first, and the conversations
    handed to a person (by action_handoff in the events, or by a stored handoff)."""

    messages: tuple[StoredUserEvent, ...]
    handed_off: frozenset[str]


def read_since(since: datetime, url: str | None = None) -> StoredWindow:
    """People's messages stored since `since` and the conversations handed off in that time, in one
    transaction so the two agree. A database Rasa has never written to has no events table yet: that is an
    empty window, not an error, so the reports work on a fresh install."""
    url = url or database_url()
    events = events_table(engine_for(url))
    if events is None:
        return StoredWindow((), frozenset())
    cutoff = since.timestamp()
    with session_scope(url) as session:
        rows = session.execute(
            select(events.c.sender_id, events.c.timestamp, events.c.intent_name, events.c.data)
            .where(events.c.type_name == USER_EVENT, events.c.timestamp >= cutoff)
            .order_by(events.c.timestamp, events.c.id)
        ).all()
        by_action = session.scalars(
            select(events.c.sender_id)
            .where(
                events.c.type_name == ACTION_EVENT,
                events.c.action_name == HANDOFF_ACTION,
                events.c.timestamp >= cutoff,
            )
            .distinct()
        ).all()
        by_record = session.scalars(
            select(Handoff.conversation_id).where(Handoff.created_at >= since).distinct()
        ).all()
    messages = tuple(StoredUserEvent(row[0], float(row[1] or 0.0), row[2], row[3]) for row in rows)
    return StoredWindow(messages, frozenset(by_action) | frozenset(by_record))
