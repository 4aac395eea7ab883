"""The tracker kept between turns: used only while the database still holds what it held, redacted as
stored, and never an excuse to write an event twice or to miss a change made elsewhere."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    UserUttered,
    deserialise_events,
)
from test_storage import PERSONAL, conversation, stored_rows

from prevent_assistant import tracker_cache
from prevent_assistant.db.conversations import delete_conversation
from prevent_assistant.tracker_store import RedactingSQLTrackerStore, _event_classes, events_from_json


def store_for(url: str) -> RedactingSQLTrackerStore:
    return RedactingSQLTrackerStore(domain=Domain.empty(), url=url)


def turn(store: RedactingSQLTrackerStore, sender: str, text: str) -> None:
    """One turn as Rasa's processor makes it: retrieve, append the turn's events, save."""
    tracker = asyncio.run(store.retrieve(sender))
    tracker.update(UserUttered(text, intent={"name": "myth_spying", "confidence": 0.9}))
    tracker.update(BotUttered("Prevent is not spying."))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))


def begin_session(tracker) -> None:
    """The events Rasa's `action_session_start` adds when a new session begins."""
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))


def started(store: RedactingSQLTrackerStore, sender: str) -> None:
    asyncio.run(store.save(conversation(sender, "hello")))


def test_the_next_turn_gets_the_kept_tracker_and_each_event_is_written_once(database):
    store = store_for(database)
    started(store, "kept")
    turn(store, "kept", "is prevent spying")  # loaded from the database, then kept
    kept = store.recent._kept["kept"].tracker
    assert asyncio.run(store.retrieve("kept")) is kept  # no reload
    asyncio.run(store.save(kept))  # nothing new: nothing written
    turn(store, "kept", "and on mosques?")
    assert len(stored_rows(database, "kept")) == 3 + 3 + 3
    reloaded = asyncio.run(store_for(database).retrieve("kept"))
    assert [e.as_dict() for e in reloaded.events] == [
        e.as_dict() for e in store.recent._kept["kept"].tracker.events
    ]


def test_a_turn_answered_elsewhere_is_appended_to_the_kept_tracker_as_a_reload_would_read_it(database):
    here, elsewhere = store_for(database), store_for(database)  # two Rasa instances, one database
    started(here, "shared")
    turn(here, "shared", "first, here")
    kept = here.recent._kept["shared"].tracker
    turn(elsewhere, "shared", "second, elsewhere")
    turn(elsewhere, "shared", PERSONAL)
    tracker = asyncio.run(here.retrieve("shared"))
    assert tracker is kept  # caught up, not reloaded
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)][-3:-1] == [
        "first, here",
        "second, elsewhere",
    ]
    reloaded = asyncio.run(store_for(database).retrieve("shared"))
    assert as_dicts(tracker) == as_dicts(reloaded) and tracker.current_state() == reloaded.current_state()
    assert tracker.latest_message.text == reloaded.latest_message.text != PERSONAL
    turn(here, "shared", "third, here again")  # the caught-up tracker saves only its own new events
    assert len(stored_rows(database, "shared")) == 3 + 4 * 3


def test_a_conversation_deleted_and_begun_again_elsewhere_is_reloaded_not_appended(database):
    here, elsewhere = store_for(database), store_for(database)
    started(here, "again")
    turn(here, "again", "the first conversation")
    delete_conversation("again", url=database)
    started(elsewhere, "again")
    for text in ("a new one", "longer", "than the first"):
        turn(elsewhere, "again", text)
    tracker = asyncio.run(here.retrieve("again"))
    texts = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert "the first conversation" not in texts and texts[-1] == "than the first"


def test_a_session_begun_elsewhere_is_reloaded_as_that_session(database):
    here, elsewhere = store_for(database), store_for(database)
    started(here, "sessions")
    turn(here, "sessions", "in the first session")
    other = asyncio.run(elsewhere.retrieve("sessions"))
    begin_session(other)
    asyncio.run(elsewhere.save(other))
    tracker = asyncio.run(here.retrieve("sessions"))
    assert isinstance(tracker.events[0], SessionStarted) and len(tracker.events) == 2


def test_after_a_deletion_the_kept_tracker_is_not_used(database):
    store = store_for(database)
    started(store, "deleted")
    turn(store, "deleted", "is prevent spying")
    delete_conversation("deleted", url=database)
    assert asyncio.run(store.retrieve("deleted")) is None


def test_events_never_saved_are_never_handed_out(database):
    store = store_for(database)
    started(store, "failed")
    turn(store, "failed", "is prevent spying")
    lent = asyncio.run(store.retrieve("failed"))
    lent.update(UserUttered("a turn that fails before saving"))
    assert asyncio.run(store.retrieve("failed")) is not lent  # reloaded: the lent one was never saved
    turn(store, "failed", "saved")
    kept = store.recent._kept["failed"].tracker
    kept.update(UserUttered("changed after its save"))  # Rasa went on after saving, then failed
    again = asyncio.run(store.retrieve("failed"))
    texts = [e.text for e in again.events if isinstance(e, UserUttered)]
    assert (
        "saved" in texts
        and "changed after its save" not in texts
        and "a turn that fails before saving" not in texts
    )


def test_what_is_kept_is_redacted_as_stored(database):
    store = store_for(database)
    started(store, "private")
    turn(store, "private", PERSONAL)
    kept = store.recent._kept["private"].tracker
    texts = [e.text for e in kept.events if isinstance(e, UserUttered)] + [kept.latest_message.text]
    assert all("Aisha" not in text and "M1 1AE" not in text for text in texts)


def as_dicts(tracker) -> list[dict]:
    return [event.as_dict() for event in tracker.events]


def test_a_turn_that_starts_a_session_keeps_only_that_session_as_a_reload_would(database):
    store = store_for(database)
    started(store, "session")
    turn(store, "session", "before the new session")
    tracker = asyncio.run(store.retrieve("session"))
    begin_session(tracker)
    tracker.update(UserUttered(PERSONAL, intent={"name": "myth_spying", "confidence": 0.9}))
    asyncio.run(store.save(tracker))
    kept = store.recent._kept["session"].tracker
    reloaded = asyncio.run(store_for(database).retrieve("session"))
    assert as_dicts(kept) == as_dicts(reloaded)
    assert isinstance(kept.events[0], SessionStarted) and len(kept.events) == 3
    assert kept.latest_message.text == reloaded.latest_message.text != PERSONAL
    assert asyncio.run(store.retrieve("session")) is kept


def test_a_new_conversation_is_written_in_single_inserts_and_kept_from_its_first_turn(database):
    store = store_for(database)
    as_rasa_uses_it = FailSafeTrackerStore(store)  # Rasa's server calls the store through wrappers
    tracker = asyncio.run(as_rasa_uses_it.get_or_create_tracker("new-conversation"))
    assert len(stored_rows(database, "new-conversation")) == 1  # Rasa's first action_listen, saved at once
    begin_session(tracker)
    tracker.update(UserUttered("hello", intent={"name": "greet", "confidence": 0.9}))
    tracker.update(BotUttered("Hello."))
    asyncio.run(as_rasa_uses_it.save(tracker))
    assert len(stored_rows(database, "new-conversation")) == 6  # each event once
    kept = store.recent._kept["new-conversation"].tracker
    assert as_dicts(kept) == as_dicts(asyncio.run(store_for(database).retrieve("new-conversation")))
    assert asyncio.run(store.retrieve("new-conversation")) is kept


def test_a_reload_is_rasa_s_own_event_for_event(database):
    store = RedactingSQLTrackerStore(domain=Domain.load("domain.yml"), url=database)
    started(store, "reloaded")
    turn(store, "reloaded", PERSONAL)
    tracker = asyncio.run(store.retrieve("reloaded"))
    begin_session(tracker)  # a second session: only it is reloaded
    asyncio.run(store.save(tracker))
    turn(store, "reloaded", "and in the second session?")
    store.recent.forget("reloaded")
    ours = asyncio.run(store.retrieve("reloaded"))
    rasas = asyncio.run(SQLTrackerStore.retrieve(store, "reloaded"))
    assert as_dicts(ours) == as_dicts(rasas) and isinstance(ours.events[0], SessionStarted)
    assert ours.current_state() == rasas.current_state()


def test_an_event_type_defined_later_takes_rasa_s_lookup():
    assert "late_event_for_test" not in _event_classes()  # the table is made before the class exists

    class LateEvent(ActionExecuted):
        type_name = "late_event_for_test"

    stored = {"event": "late_event_for_test", "name": "action_listen", "timestamp": 1.0}
    ours, rasas = events_from_json([json.dumps(stored)]), deserialise_events([stored])
    assert [e.as_dict() for e in ours] == [e.as_dict() for e in rasas] and len(ours) == 1
    with pytest.raises(ValueError, match="Unknown event name"):
        events_from_json([json.dumps({"event": "no_such_event"})])
    assert events_from_json([json.dumps({"no": "event key"})]) == []


def test_kept_trackers_expire_and_are_bounded(database, monkeypatch):
    store = store_for(database)
    store.recent = tracker_cache.RecentTrackers(max_conversations=2, ttl=60)
    for sender in ("a", "b", "c"):
        started(store, sender)
        turn(store, sender, "is prevent spying")
    assert list(store.recent._kept) == ["b", "c"]
    later = time.monotonic() + 61
    monkeypatch.setattr(tracker_cache.time, "monotonic", lambda: later)
    assert store.recent.take("c") is None
