"""Deleting what is past its retention period: whole conversations and closed handoffs (`retention` in
settings.yml), console audit entries (`console.audit_retention`) and ended console sessions. One function,
so `prevent-assistant purge` and `make run`'s hourly purge cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from prevent_assistant.db import engine_for, session_scope
from prevent_assistant.db.audit import purge_audit_before
from prevent_assistant.db.console_sessions import delete_expired
from prevent_assistant.db.conversations import events_table
from prevent_assistant.db.handoffs import delete_closed_before
from prevent_assistant.db.models import utc_now
from prevent_assistant.settings import database_url


@dataclass(frozen=True)
class ConsoleRetention:
    """How long the console keeps its audit log, and when its sessions end (console.config reads these)."""

    audit: timedelta
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    conversations: int
    events: int
    handoffs: int
    audit_entries: int = 0
    sessions: int = 0


def purge(
    older_than: timedelta, url: str | None = None, console: ConsoleRetention | None = None
) -> PurgeReport:
    """Delete conversations whose latest event is older than the period, and old closed handoffs (with
    their history and notes); with `console`, also old audit entries and ended sessions.

    A conversation is removed whole or not at all, so no half-kept history remains. Safe to run twice:
    the second run finds nothing left to delete.
    """
    url = url or database_url()
    cutoff = utc_now() - older_than
    conversations = events = 0
    table = events_table(engine_for(url))
    if table is not None:
        stale = (
            select(table.c.sender_id)
            .group_by(table.c.sender_id)
            .having(func.max(table.c.timestamp) < cutoff.timestamp())
        )
        with session_scope(url) as session:
            conversations = session.scalar(select(func.count()).select_from(stale.subquery())) or 0
            # A subquery, not a list of ids: SQLite limits how many parameters one statement may bind.
            result = session.execute(delete(table).where(table.c.sender_id.in_(stale.scalar_subquery())))
            events = result.rowcount or 0
    handoffs = delete_closed_before(cutoff, url)
    if console is None:
        return PurgeReport(cutoff, conversations, events, handoffs)
    audit_entries = purge_audit_before(utc_now() - console.audit, url)
    sessions = delete_expired(console.idle, console.absolute, url)
    return PurgeReport(cutoff, conversations, events, handoffs, audit_entries, sessions)
