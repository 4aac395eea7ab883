"""Figures for the console's stats page that `prevent-assistant stats` does not count: the consent step.

Since the consent step, a worried person is first offered a handoff (action_offer_handoff shows what the
call handler would see and asks); only a yes shares it (action_handoff runs and a handoffs row is stored).
Staff want to know how often people say yes, so this counts both, per conversation, in one transaction.
Rasa owns the events table; like db.conversations this reads it reflected, and an empty window on a
database Rasa has never written to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from prevent_assistant.db import engine_for, session_scope
from prevent_assistant.db.conversations import events_table
from prevent_assistant.db.models import Handoff
from prevent_assistant.names import ACTION_EVENT, HANDOFF_ACTION, OFFER_HANDOFF_ACTION
from prevent_assistant.settings import database_url


@dataclass(frozen=True)
class HandoffOffers:
    """Conversations offered a handoff since a time, and conversations that shared one (by action_handoff
    in the events or by a stored handoff, as the handoff rate counts them)."""

    offered: int
    shared: int

    @property
    def share_rate(self) -> float | None:
        """Shared of offered; None when nobody was offered one (never a made-up 0)."""
        return self.shared / self.offered if self.offered else None


def handoff_offers(since: datetime, url: str | None = None) -> HandoffOffers:
    """How many conversations were offered a handoff, and how many shared one, since `since`."""
    url = url or database_url()
    events = events_table(engine_for(url))
    cutoff = since.timestamp()
    offered: set[str] = set()
    shared: set[str] = set()
    with session_scope(url) as session:
        if events is not None:
            rows = session.execute(
                select(events.c.sender_id, events.c.action_name)
                .where(
                    events.c.type_name == ACTION_EVENT,
                    events.c.action_name.in_([OFFER_HANDOFF_ACTION, HANDOFF_ACTION]),
                    events.c.timestamp >= cutoff,
                )
                .distinct()
            ).all()
            for sender, action in rows:
                (offered if action == OFFER_HANDOFF_ACTION else shared).add(str(sender))
        stored = session.scalars(
            select(Handoff.conversation_id).where(Handoff.created_at >= since).distinct()
        ).all()
    shared |= {str(conversation) for conversation in stored}
    return HandoffOffers(offered=len(offered), shared=len(shared))
