"""Conversations this Rasa process answered in the last few minutes, kept so the next turn needn't reload.

Every message costs Rasa's SQL tracker store a full reload (every event of the session, parsed from JSON
and replayed into a tracker) and, on saving, a `COUNT` of the stored events to find which ones are new:
together about a third of the Rasa server's time (bench/README.md). A person's next message usually comes
back to the same process within a minute, so the tracker the last turn saved is kept here. The next turn
reads, in one indexed query, the stored rows from the one that holds the kept tracker's last event: if that
row is still that event, nothing before it was deleted or replaced, and any rows after it (another instance
answered a turn: with several Sanic workers, about every other one) are appended to the kept tracker.
Anything else (a deletion, the retention purge, a new session begun elsewhere) means a reload from the
database as before (`prevent_assistant/tracker_store.py`).

What is kept is what a reload would return: the person's messages already redacted, as stored, and after
a turn that started a new conversation session, only that session's events. A tracker is kept for at most
`TTL_SECONDS`, and for at most `MAX_CONVERSATIONS` conversations.

The bookkeeping follows one tracker object through one turn: `lent` when the store hands it to Rasa,
`returned` when Rasa saves that same object. A save of any other object (Rasa's HTTP API replacing
events, say) takes the store's ordinary path and keeps nothing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from rasa.shared.core.trackers import DialogueStateTracker

# Long enough for a person's next message, short enough that little sits in memory (the privacy notice
# promises retention in the database, not here).
TTL_SECONDS = 600.0
MAX_CONVERSATIONS = 2000
# A tracker lent for a turn holds the person's words unredacted until it is saved. A turn that fails is
# never saved; what it was lent is dropped after this long (a turn's action call times out well before).
LENT_SECONDS = 60.0


@dataclass
class Lent:
    """A tracker handed to Rasa for one turn, and what the database held when it was handed out."""

    tracker: DialogueStateTracker | None  # None: a new conversation, whatever tracker Rasa creates for it
    stored_events: int  # the tracker's first events, which are already in the database
    database_rows: int  # every stored event of the conversation: the freshness check
    expires: float
    new: bool = False


@dataclass
class Kept:
    """A tracker saved by this process, and how many events the database held for it then."""

    tracker: DialogueStateTracker
    database_rows: int
    stored_events: int
    expires: float


class RecentTrackers:
    """Trackers saved by this process, each valid while the database still holds the events it was saved
    with (the tracker store checks, and catches a kept tracker up with events appended elsewhere)."""

    def __init__(self, max_conversations: int = MAX_CONVERSATIONS, ttl: float = TTL_SECONDS) -> None:
        self.max_conversations = max_conversations
        self.ttl = ttl
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        self._lent: OrderedDict[str, Lent] = OrderedDict()

    def take(self, sender_id: str) -> Kept | None:
        """The kept tracker, unexpired and unchanged since it was saved, for the caller to check against
        the database; it leaves the cache either way (Rasa changes it during the turn, and it comes back
        when saved)."""
        kept = self._kept.pop(sender_id, None)
        if kept is None or kept.expires < time.monotonic():
            return None
        if len(kept.tracker.events) != kept.stored_events:  # changed after saving, by a turn that failed
            return None
        return kept

    def lend(self, sender_id: str, tracker: DialogueStateTracker, database_rows: int) -> None:
        now = time.monotonic()
        self._lent.pop(sender_id, None)
        self._lent[sender_id] = Lent(tracker, len(tracker.events), database_rows, now + LENT_SECONDS)
        while self._lent and next(iter(self._lent.values())).expires < now:  # oldest first: all live as long
            self._lent.popitem(last=False)

    def lend_new(self, sender_id: str) -> None:
        """The database holds nothing for `sender_id`: the tracker Rasa creates for it next is lent, with
        no events stored (Rasa's `get_or_create_tracker` creates it and saves it straight away)."""
        self._lent.pop(sender_id, None)
        self._lent[sender_id] = Lent(None, 0, 0, time.monotonic() + LENT_SECONDS, new=True)

    def returned(self, tracker: DialogueStateTracker) -> Lent | None:
        """What was lent, if `tracker` is the very object lent for its conversation (or the first tracker
        saved for a conversation lent as new)."""
        lent = self._lent.pop(tracker.sender_id, None)
        if lent is None or lent.expires < time.monotonic():
            return None
        if lent.new and lent.tracker is None:
            return Lent(tracker, 0, 0, lent.expires, new=True)
        return lent if lent.tracker is tracker else None

    def lend_kept(self, sender_id: str) -> None:
        """Lend the tracker just kept back for the rest of the turn that saved it (a new conversation's
        tracker, which Rasa saves as soon as it creates it and again at the end of the turn)."""
        kept = self._kept.pop(sender_id, None)
        if kept is not None:
            self.lend(sender_id, kept.tracker, kept.database_rows)

    def keep(self, tracker: DialogueStateTracker, database_rows: int) -> None:
        self._kept[tracker.sender_id] = Kept(
            tracker, database_rows, len(tracker.events), time.monotonic() + self.ttl
        )
        self._kept.move_to_end(tracker.sender_id)
        while len(self._kept) > self.max_conversations:
            self._kept.popitem(last=False)
        self._drop_expired()

    def _drop_expired(self) -> None:
        """Oldest first: every entry lives for the same TTL, so the expired ones are at the front."""
        now = time.monotonic()
        while self._kept and next(iter(self._kept.values())).expires < now:
            self._kept.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        self._kept.pop(sender_id, None)
        self._lent.pop(sender_id, None)

    def __len__(self) -> int:
        return len(self._kept)
