"""A handoff's history: the steps it went through (shared, picked up, notes, closed, reopened), oldest first.

Every change of a handoff's status writes one event here in the same transaction as the change, from the
console and from the command line alike, so the history a call handler reads is complete. A note's text
is redacted before it reaches `record_event`; a closing event's detail is the outcome's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from prevent_assistant.db import session_scope
from prevent_assistant.db.models import Account, HandoffEvent, utc_now


@dataclass(frozen=True)
class HistoryItem:
    """One step as the handoff page shows it. `account_name` is None for the person in the chat (a
    "shared" step) and for a change made with the command line."""

    at: datetime
    kind: str
    account_name: str | None
    detail: str | None


def record_event(
    session: Session, handoff_id: int, kind: str, account_id: int | None = None, detail: str | None = None
) -> None:
    """Add a step, in the caller's transaction (so a status change and its step commit together)."""
    session.add(
        HandoffEvent(handoff_id=handoff_id, at=utc_now(), kind=kind, account_id=account_id, detail=detail)
    )


def history(handoff_id: int, url: str | None = None) -> list[HistoryItem]:
    """The handoff's steps oldest first (ties by insertion order), with the names of the staff involved."""
    statement = (
        select(HandoffEvent, Account.name)
        .outerjoin(Account, Account.id == HandoffEvent.account_id)
        .where(HandoffEvent.handoff_id == handoff_id)
        .order_by(HandoffEvent.at, HandoffEvent.id)
    )
    with session_scope(url) as session:
        rows = session.execute(statement).all()
    return [HistoryItem(as_utc(event.at), event.kind, name, event.detail) for event, name in rows]


def as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
