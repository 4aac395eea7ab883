"""Rasa's SQL tracker store, on the project's DATABASE_URL, storing people's messages redacted.

Configured in endpoints.yml. Redaction happens as events are written, so the model still classified the
original words, but names, numbers and addresses never reach the database. The tracker each turn saves is
kept for the conversation's next turn (`prevent_assistant/tracker_cache.py`): the next turn checks with one
indexed query that the database still holds its events, and catches it up with any that another instance
appended since, which spares a full reload and Rasa's `COUNT` per message. A new conversation's tracker is
written the same way and kept from its first turn.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.utils.common import all_subclasses
from sqlalchemy import create_engine, func, insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from prevent_assistant.db.conversations import delete_conversation
from prevent_assistant.names import DELETE_CONVERSATION_ACTION
from prevent_assistant.redaction import redact
from prevent_assistant.settings import database_url
from prevent_assistant.tracker_cache import Kept, Lent, RecentTrackers

logger = logging.getLogger(__name__)
Result = TypeVar("Result")


class TrackerStoreUnavailable(Exception):
    """A database error named by its type only. Rasa's fail-safe tracker store logs the error it catches at
    ERROR level, and SQLAlchemy's text quotes the statement's parameters: the (redacted) conversation."""


def _without_details(method: Callable[..., Awaitable[Result]]) -> Callable[..., Awaitable[Result]]:
    @functools.wraps(method)
    async def wrapper(*args: Any, **kwargs: Any) -> Result:
        try:
            return await method(*args, **kwargs)
        except SQLAlchemyError as error:
            logger.debug("tracker store operation failed", exc_info=True)
            raise TrackerStoreUnavailable(f"database error: {type(error).__name__}") from None

    return wrapper


def redacted(event: Event) -> Event:
    """A copy of a user message with its text redacted; other events are the bot's own and pass unchanged."""
    if not isinstance(event, UserUttered) or not event.text:
        return event
    text = redact(event.text)
    return UserUttered(
        text=text,
        intent=event.intent,
        entities=event.entities,
        parse_data={**event.parse_data, "text": text},
        timestamp=event.timestamp,
        input_channel=event.input_channel,
        message_id=event.message_id,
        metadata=event.metadata,
    )


class RedactingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that takes its connection from DATABASE_URL and redacts user text on save."""

    engine: Engine  # set by SQLTrackerStore.__init__, which Rasa leaves unannotated

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        url: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("host", None)  # Rasa passes endpoints.yml's `url` as `host`; the URL is ours to read.
        self.url = url or database_url()
        parsed = make_url(self.url)
        super().__init__(
            domain=domain,
            dialect=parsed.drivername,
            host=parsed.host,
            port=parsed.port,
            db=parsed.database,
            username=parsed.username,
            password=parsed.password,
            event_broker=event_broker,
            query=dict(parsed.query) or None,
            **kwargs,
        )
        # Rasa's engine keeps pooled connections without checking them, so after a database restart the
        # next message would fail on a dead connection. Checking each one as it leaves the pool costs a
        # round trip and lets the bot recover by itself.
        url_with_password = self.engine.url
        self.engine.dispose()
        self.engine = create_engine(
            url_with_password, pool_pre_ping=True, **create_engine_kwargs(url_with_password)
        )
        self.sessionmaker = sessionmaker(bind=self.engine)
        self.recent = RecentTrackers()

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            yield redacted(event)

    @_without_details
    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's tracker: the one this process kept after the last turn, caught up with any
        events another instance appended since (one indexed query), else a full reload."""
        kept = self.recent.take(sender_id)
        found = self._caught_up(sender_id, kept) if kept is not None else None
        tracker, database_rows = found or self._counted_reload(sender_id)
        if tracker is None:
            self.recent.lend_new(sender_id)  # Rasa now creates the tracker and saves it at once
            return None
        self.recent.lend(sender_id, tracker, database_rows)
        return tracker

    def _caught_up(self, sender_id: str, kept: Kept) -> tuple[DialogueStateTracker, int] | None:
        """The kept tracker with the events stored after its own, if the database still holds its events
        where it left them: the row where its last event was stored is that event (same type and
        timestamp), so nothing before it was deleted or replaced. None if that is not so, or if a new
        session started since (a reload then returns only that session)."""
        last = kept.tracker.events[-1] if kept.tracker.events else None
        if last is None or kept.database_rows < 1:
            return None
        event = self.SQLEvent
        with self.session_scope() as session:
            query = session.query(event.type_name, event.timestamp, event.data).filter(
                event.sender_id == sender_id
            )
            rows = query.order_by(event.id).offset(kept.database_rows - 1).all()
        if not rows or (rows[0].type_name, rows[0].timestamp) != (last.type_name, last.timestamp):
            return None
        appended = rows[1:]
        if any(row.type_name == SessionStarted.type_name for row in appended):
            return None
        for new_event in events_from_json(row.data for row in appended):
            kept.tracker.update(new_event)
        return kept.tracker, kept.database_rows + len(appended)

    def _counted_reload(self, sender_id: str) -> tuple[DialogueStateTracker | None, int]:
        """How many events the database holds for the conversation, and its tracker reloaded (None if it
        holds none)."""
        with self.session_scope() as session:
            rows = session.query(func.count(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id)
            database_rows = int(rows.scalar() or 0)
        return (self._reload(sender_id) if database_rows else None), database_rows

    def _reload(self, sender_id: str) -> DialogueStateTracker | None:
        """Rasa's reload (`SQLTrackerStore._retrieve`: the latest session's events, replayed), reading only
        the `data` column and finding each event's class by `events_from_json`."""
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
            rows = query.with_entities(self.SQLEvent.data).all()
        if not self.domain or not rows:
            return None
        events = events_from_json(row.data for row in rows)
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)

    @_without_details
    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the turn's new events, unless the person asked for this conversation to be deleted.

        Rasa saves by appending whatever the database lacks; after action_delete_conversation it lacks
        everything, so a plain save would write the whole conversation back from memory. Deleting again
        here also catches a deletion whose action could not reach the database itself.
        """
        if deletion_requested(tracker):
            self.recent.forget(tracker.sender_id)
            delete_conversation(tracker.sender_id, url=self.url)
            return
        lent = self.recent.returned(tracker)
        if lent is None or self.event_broker is not None:  # a broker's diff would retrieve mid-save
            await SQLTrackerStore.save(self, tracker)
            return
        # A tracker this store lent out: the events after those it was lent with are the new ones, so no
        # `COUNT` is needed, and they go in as one multi-row INSERT (the columns Rasa's save writes).
        written = [redacted(event) for event in islice(tracker.events, lent.stored_events, None)]
        if written:
            rows = [self._row(tracker.sender_id, event) for event in written]
            with self.session_scope() as session:
                session.execute(insert(self.SQLEvent.__table__), rows)
                session.commit()
        self._keep(tracker, lent, written)
        if lent.new:  # the save as Rasa created the tracker: the end of this turn saves it again
            self.recent.lend_kept(tracker.sender_id)

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _keep(self, tracker: DialogueStateTracker, lent: Lent, written: list[Event]) -> None:
        """Keep the saved tracker as a reload would return it: the person's messages redacted, as stored,
        and after a turn that started a session, that session's events replayed into a new tracker."""
        for offset, event in enumerate(written, start=lent.stored_events):
            tracker.events[offset] = event
        if any(isinstance(event, SessionStarted) for event in written):
            tracker = self._latest_session(tracker)
        else:
            tracker.latest_message = next(
                (e for e in reversed(tracker.events) if isinstance(e, UserUttered)), tracker.latest_message
            )
        self.recent.keep(tracker, lent.database_rows + len(written))

    def _latest_session(self, tracker: DialogueStateTracker) -> DialogueStateTracker:
        """What Rasa's reload returns: the events stamped at or after the latest session start, in order
        (`SQLTrackerStore._event_query`), replayed as `DialogueStateTracker.from_dict` replays them."""
        start = max(event.timestamp for event in tracker.events if isinstance(event, SessionStarted))
        events = [event for event in tracker.events if event.timestamp >= start]
        return DialogueStateTracker.from_events(tracker.sender_id, events, self.domain.slots)

    retrieve_full_tracker = _without_details(SQLTrackerStore.retrieve_full_tracker)
    keys = _without_details(SQLTrackerStore.keys)


@functools.cache
def _event_classes() -> dict[str, type[Event]]:
    """Rasa's event classes by type name, the first of each name in the order `Event.resolve_by_type` tries
    them. Rasa finds a stored event's class by walking every subclass of Event for each event: about 0.7 ms
    of a 22-event conversation's reload, where this lookup takes a twentieth of that."""
    classes: dict[str, type[Event]] = {}
    for event_class in all_subclasses(Event):
        classes.setdefault(event_class.type_name, event_class)
    return classes


def events_from_json(stored: Iterable[str]) -> list[Event]:
    """`rasa.shared.core.events.deserialise_events` of the stored JSON: the same classes and parsing; an event
    type unknown here (defined after the first call) takes Rasa's own lookup, and its errors."""
    classes = _event_classes()
    events = []
    for data in stored:
        parameters = json.loads(data)
        if "event" not in parameters:
            continue
        event_class = classes.get(parameters["event"])
        event = event_class._from_parameters(parameters) if event_class else Event.from_parameters(parameters)
        if event is not None:
            events.append(event)
    return events


def deletion_requested(tracker: DialogueStateTracker) -> bool:
    """Whether this turn ran action_delete_conversation. A tracker loaded after a deletion starts empty, so
    the action can only be in the tracker of the turn that ran it."""
    return any(
        isinstance(event, ActionExecuted) and event.action_name == DELETE_CONVERSATION_ACTION
        for event in tracker.events
    )
