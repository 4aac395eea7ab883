"""Deleting what is past the retention period: whole conversations and closed handoffs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import MetaData, Table, delete, func, inspect, select

from prevent_assistant.db import engine_for, session_scope
from prevent_assistant.db.handoffs import delete_closed_before
from prevent_assistant.db.models import utc_now
from prevent_assistant.settings import database_url

# Rasa's SQLTrackerStore table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent); `timestamp` is Unix time.
RASA_EVENTS_TABLE = "events"


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    conversations: int
    events: int
    handoffs: int


def purge(older_than: timedelta, url: str | None = None) -> PurgeReport:
    """Delete conversations whose latest event is older than the period, and old closed handoffs.

    A conversation is removed whole or not at all, so no half-kept history remains. Safe to run twice:
    the second run finds nothing left to delete.
    """
    url = url or database_url()
    cutoff = utc_now() - older_than
    conversations = events = 0
    engine = engine_for(url)
    if inspect(engine).has_table(RASA_EVENTS_TABLE):
        table = Table(RASA_EVENTS_TABLE, MetaData(), autoload_with=engine)
        stale = (
            select(table.c.sender_id)
            .group_by(table.c.sender_id)
            .having(func.max(table.c.timestamp) < cutoff.timestamp())
        )
        with session_scope(url) as session:
            senders = list(session.scalars(stale))
            if senders:
                result = session.execute(delete(table).where(table.c.sender_id.in_(senders)))
                conversations, events = len(senders), result.rowcount or 0
    return PurgeReport(cutoff, conversations, events, delete_closed_before(cutoff, url))
