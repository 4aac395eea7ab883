"""The review inbox's queries: people's messages the assistant was unsure about, or that came from a
conversation handed to the ACT Early Support Line, read from Rasa's events table; and what editors decided
about each (review_decisions), which takes a message out of the inbox.

Filtering and paging happen in SQL, so a page costs the same however many conversations are stored. What
the model made of a message is inside the event's JSON (`data`), read with the database's own JSON
functions (json_extract on SQLite, #>> on PostgreSQL): its text (already redacted by the tracker store),
channel, confidence and guessed topic. The guess is the intent, except that for nlu_fallback it is the
model's best real intent (the FallbackClassifier keeps the ranking below its own entry), and for a
retrieval intent (faq) it is the topic the response selector chose (faq/ages), the level staff teach at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Table, and_, case, cast, distinct, false, func, not_, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from prevent_assistant.db import engine_for, session_scope
from prevent_assistant.db.conversations import events_table
from prevent_assistant.db.models import DECISIONS, Handoff, ReviewDecision
from prevent_assistant.names import ACTION_EVENT, FALLBACK_INTENT, HANDOFF_ACTION, USER_EVENT
from prevent_assistant.settings import database_url


class AlreadyDecided(Exception):
    """Someone has already decided about this message."""


@dataclass(frozen=True)
class InboxQuery:
    """Which messages to show. `threshold`: below it the model was unsure (config.yml's FallbackClassifier);
    `retrieval_intents`: intents whose topic the response selector picks (faq). Confidence is the guess's,
    from 0 to 1; dates are UTC and `until` is exclusive. None means no filter."""

    threshold: float
    retrieval_intents: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None
    topic: str | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    handoff_only: bool = False


@dataclass(frozen=True)
class InboxMessage:
    """One message as the inbox shows it: its text as stored (redacted), never changed here."""

    event_id: int
    sender_id: str
    sent_at: float  # Unix time, as Rasa stores it
    text: str
    channel: str | None
    guess: str | None  # an intent or faq/<topic>; None when the model had no guess
    confidence: float | None  # of the guess
    handed_off: bool


@dataclass(frozen=True)
class Decision:
    event_id: int
    sender_id: str
    decided_at: datetime
    account_id: int
    decision: str
    topic: str | None
    change_id: int | None


def list_messages(
    query: InboxQuery, limit: int = 25, offset: int = 0, url: str | None = None
) -> list[InboxMessage]:
    """Newest first, a page at a time."""
    inbox = _inbox(query, url)
    if inbox is None:
        return []
    statement = (
        select(inbox).order_by(inbox.c.sent_at.desc(), inbox.c.event_id.desc()).limit(limit).offset(offset)
    )
    with session_scope(url) as session:
        return [_as_message(row) for row in session.execute(statement)]


def count_messages(query: InboxQuery, url: str | None = None) -> int:
    inbox = _inbox(query, url)
    if inbox is None:
        return 0
    with session_scope(url) as session:
        return int(session.scalar(select(func.count()).select_from(inbox)) or 0)


def channels(query: InboxQuery, url: str | None = None) -> list[str]:
    """The channels the inbox's messages came from (for the filter), ignoring the query's own filters."""
    inbox = _inbox(InboxQuery(query.threshold, query.retrieval_intents), url)
    if inbox is None:
        return []
    statement = select(distinct(inbox.c.channel)).where(inbox.c.channel.isnot(None))
    with session_scope(url) as session:
        return sorted(str(channel) for channel in session.scalars(statement))


def find_message(event_id: int, query: InboxQuery, url: str | None = None) -> InboxMessage | None:
    """The message with that event id if it is in the inbox now (reviewable and not yet decided)."""
    inbox = _inbox(InboxQuery(query.threshold, query.retrieval_intents), url, event_id=event_id)
    if inbox is None:
        return None
    with session_scope(url) as session:
        row = session.execute(select(inbox)).first()
    return _as_message(row) if row is not None else None


def record_decision(
    message: InboxMessage,
    account_id: int,
    decision: str,
    topic: str | None = None,
    change_id: int | None = None,
    url: str | None = None,
) -> None:
    """Take the message out of the inbox. AlreadyDecided if someone decided about it first."""
    if decision not in DECISIONS:
        raise ValueError(f"a decision must be one of {', '.join(DECISIONS)}")
    row = ReviewDecision(
        event_id=message.event_id,
        sender_id=message.sender_id,
        sent_at=message.sent_at,
        account_id=account_id,
        decision=decision,
        topic=topic,
        change_id=change_id,
    )
    try:
        with session_scope(url) as session:
            session.add(row)
    except IntegrityError:
        raise AlreadyDecided(message.event_id) from None


def move_decisions(old_change_id: int, new_change_id: int, url: str | None = None) -> None:
    """Decisions that proposed `old_change_id` now point at the change that took its examples over."""
    statement = (
        update(ReviewDecision)
        .where(ReviewDecision.change_id == old_change_id)
        .values(change_id=new_change_id)
    )
    with session_scope(url) as session:
        session.execute(statement)


def decisions(url: str | None = None) -> list[Decision]:
    """Every decision, oldest first."""
    with session_scope(url) as session:
        rows = session.scalars(select(ReviewDecision).order_by(ReviewDecision.id)).all()
        return [
            Decision(
                row.event_id,
                row.sender_id,
                row.decided_at,
                row.account_id,
                row.decision,
                row.topic,
                row.change_id,
            )
            for row in rows
        ]


# --- The query ---------------------------------------------------------------------------------------------
def _inbox(query: InboxQuery, url: str | None, event_id: int | None = None) -> Any:
    """The inbox as a subquery (event_id, sender_id, sent_at, text, channel, guess, confidence, handed_off)
    with the query's filters applied; None before Rasa has stored anything in this database."""
    url = url or database_url()
    engine = engine_for(url)
    events = events_table(engine)
    if events is None:
        return None
    json = _JsonReader(events, engine.dialect.name)
    intent = events.c.intent_name
    confidence = json.number("parse_data", "intent", "confidence")
    text = json.text("text")
    base = case(
        (intent == FALLBACK_INTENT, json.text("parse_data", "intent_ranking", 1, "name")), else_=intent
    )
    topics = [
        (base == name, json.text("parse_data", "response_selector", name, "response", "intent_response_key"))
        for name in query.retrieval_intents
    ]
    guess = case(*topics, else_=base) if topics else base
    guess_confidence = case(
        (intent == FALLBACK_INTENT, json.number("parse_data", "intent_ranking", 1, "confidence")),
        else_=confidence,
    )
    handed_off = or_(
        events.c.sender_id.in_(
            select(events.c.sender_id).where(
                events.c.type_name == ACTION_EVENT, events.c.action_name == HANDOFF_ACTION
            )
        ),
        events.c.sender_id.in_(select(Handoff.conversation_id)),
    )
    decided = (
        select(ReviewDecision.id)
        .where(ReviewDecision.event_id == events.c.id, ReviewDecision.sender_id == events.c.sender_id)
        .exists()
    )
    unsure = or_(intent == FALLBACK_INTENT, confidence < query.threshold)
    conditions = [
        events.c.type_name == USER_EVENT,
        text.isnot(None),
        func.trim(text) != "",
        not_(text.like("/%")),  # a button's payload was chosen, not written: nothing to teach
        or_(unsure, handed_off),
        not_(decided),
    ]
    if event_id is not None:
        conditions.append(events.c.id == event_id)
    if query.since is not None:
        conditions.append(events.c.timestamp >= query.since.timestamp())
    if query.until is not None:
        conditions.append(events.c.timestamp < query.until.timestamp())
    if query.channel is not None:
        conditions.append(json.text("input_channel") == query.channel)
    if query.handoff_only:
        conditions.append(handed_off)
    inbox = (
        select(
            events.c.id.label("event_id"),
            events.c.sender_id.label("sender_id"),
            events.c.timestamp.label("sent_at"),
            text.label("text"),
            json.text("input_channel").label("channel"),
            guess.label("guess"),
            guess_confidence.label("confidence"),
            case((handed_off, True), else_=false()).label("handed_off"),
        )
        .where(and_(*conditions))
        .subquery()
    )
    return _filtered(inbox, query)


def _filtered(inbox: Any, query: InboxQuery) -> Any:
    """The filters on what the model made of a message, applied to the subquery's named columns."""
    conditions: list[Any] = []
    if query.topic is not None:
        conditions.append(inbox.c.guess == query.topic)
    if query.min_confidence is not None:
        conditions.append(inbox.c.confidence >= query.min_confidence)
    if query.max_confidence is not None:
        conditions.append(inbox.c.confidence <= query.max_confidence)
    if not conditions:
        return inbox
    return select(inbox).where(and_(*conditions)).subquery()


@dataclass(frozen=True)
class _JsonReader:
    """A value inside the events' JSON `data` column, as SQL: PostgreSQL reads it with #>> (the column is
    text, so it is cast to JSON first), SQLite with json_extract."""

    events: Table
    dialect: str

    def text(self, *path: str | int) -> Any:
        if self.dialect == "postgresql":
            return cast(self.events.c.data, postgresql.JSON)[tuple(str(part) for part in path)].astext
        steps = "".join(f"[{part}]" if isinstance(part, int) else f'."{part}"' for part in path)
        return func.json_extract(self.events.c.data, f"${steps}")

    def number(self, *path: str | int) -> Any:
        return cast(self.text(*path), Float)


def _as_message(row: Sequence[Any]) -> InboxMessage:
    event_id, sender_id, sent_at, text, channel, guess, confidence, handed_off = row
    return InboxMessage(
        event_id=int(event_id),
        sender_id=str(sender_id),
        sent_at=float(sent_at or 0.0),
        text=str(text or ""),
        channel=str(channel) if channel else None,
        guess=str(guess) if guess else None,
        confidence=float(confidence) if confidence is not None else None,
        handed_off=bool(handed_off),
    )
