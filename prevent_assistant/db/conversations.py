"""Whole conversations: Rasa's stored events for one sender, and the handoffs that conversation made.

Rasa's SQLTrackerStore owns the `events` table; the project reads and deletes its rows here, so retention,
"delete this conversation" and the staff review all use one definition of where a conversation lives.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import MetaData, Table, delete, inspect
from sqlalchemy.engine import Engine

from prevent_assistant.db import engine_for, session_scope
from prevent_assistant.db.handoffs import delete_handoffs_of
from prevent_assistant.settings import database_url

# Rasa's SQLTrackerStore table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent); `timestamp` is Unix time.
RASA_EVENTS_TABLE = "events"


def events_table(engine: Engine) -> Table | None:
    """Rasa's events table, or None before Rasa has stored its first conversation in this database."""
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
