"""The review inbox's workflow: teach the assistant from real messages it was unsure about.

An editor looks at a message (as stored: redacted) and decides: the model's guess was right, another
topic is right, or it is not worth teaching (dismiss). The first two propose the message as a training
example of that topic, a change like any other (staff.changes: checked, pending until a second person
approves it, then written and committed); every decision is recorded (db/inbox.py, review_decisions) and
takes the message out of the inbox. Only the stored text is ever used: a form sends the message's id, never
its words, so nothing but what the tracker store kept (after redaction) can become training data, and a
message still holding a placeholder such as [name] is refused with the reason (example_kind).

Changes allow one pending change per topic, so two messages for the same topic from the same editor go
into one change: their pending change is withdrawn and proposed again with the new example added (its
decisions follow it). A pending change by someone else must be approved or rejected first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prevent_assistant.content import load_content
from prevent_assistant.db import changes as change_store
from prevent_assistant.db import inbox as store
from prevent_assistant.db.changes import Change
from prevent_assistant.db.inbox import InboxMessage, InboxQuery
from prevent_assistant.paths import ProjectPaths
from prevent_assistant.staff import changes
from prevent_assistant.staff.change_kinds import KINDS, project_for
from prevent_assistant.staff.changes import ChangeRefused, Person
from prevent_assistant.staff.example_kind import example_topics, placeholders_in, same
from prevent_assistant.staff.review import fallback_threshold
from prevent_assistant.staff.validation.accessors import retrieval_bases

KIND = "examples"


@dataclass(frozen=True)
class Proposed:
    """The change a message went into; `merged` when it joined the editor's pending change."""

    change: Change
    topic: str
    merged: bool


def wording() -> dict[str, Any]:
    return load_content("console-inbox")


def base_query(root: Path) -> InboxQuery:
    """What "unsure" means for this project (its config.yml's threshold) and its retrieval intents."""
    return InboxQuery(
        threshold=fallback_threshold(ProjectPaths(root).config),
        retrieval_intents=tuple(sorted(retrieval_bases(project_for(root)))),
    )


def topic_names(root: Path) -> dict[str, str]:
    """Every intent and question topic with examples -> its plain words, in the order of those words: the
    words the person saw in the chat (content/topics.yml), else content/console-inbox.yml's."""
    offered = load_content("topics").get("topics") or {}
    others = wording().get("topic_names") or {}
    names = {key: str(offered.get(key) or others.get(key) or key) for key in example_topics(root)}
    return dict(sorted(names.items(), key=lambda pair: pair[1].casefold()))


def flagged(message: InboxMessage) -> list[str]:
    """The placeholders that keep this message from becoming an example until it is reworded."""
    return placeholders_in(message.text)


def _message(root: Path, event_id: int, url: str | None) -> InboxMessage:
    found = store.find_message(event_id, base_query(root), url)
    if found is None:
        raise ChangeRefused("unknown_message", 404)
    return found


def propose_example(
    root: Path, event_id: int, person: Person, topic: str | None = None, url: str | None = None
) -> Proposed:
    """Propose message `event_id` as an example of `topic` (None: the model's guess) and record the
    decision. ChangeRefused (nothing stored) if it is no longer in the inbox, has no guess, names no known
    topic, breaks an example rule (`messages` say which), or another editor's change to it is pending."""
    message = _message(root, event_id, url)
    chosen = topic if topic is not None else message.guess
    if chosen is None:
        raise ChangeRefused("no_guess", 400)
    if chosen not in example_topics(root):
        raise ChangeRefused("bad_topic", 400)
    problems = KINDS[KIND].problems(root, chosen, {"examples": [message.text]})
    if problems:
        raise ChangeRefused("invalid", 400, problems)
    waiting = change_store.pending_for(KIND, chosen, url=url)
    if waiting is not None and waiting.author_id != person.id:
        raise ChangeRefused("already_pending", 409, change_id=waiting.id)
    if waiting is None:
        change, merged = _propose(root, chosen, [message.text], person, url), False
    elif same(message.text) in {same(str(text)) for text in waiting.payload.get("examples") or []}:
        change, merged = waiting, True  # the same words, from another conversation: already proposed
    else:
        examples = [*(str(text) for text in waiting.payload.get("examples") or []), message.text]
        changes.reject(waiting.id, person, url=url)  # withdrawn, to come back with the new example
        change, merged = _propose(root, chosen, examples, person, url), True
        store.move_decisions(waiting.id, change.id, url=url)
    decision = "confirmed" if topic is None else "chosen"
    try:
        store.record_decision(message, person.id, decision, chosen, change.id, url=url)
    except store.AlreadyDecided:
        raise ChangeRefused("already_decided", 409) from None
    return Proposed(change, chosen, merged)


def dismiss(root: Path, event_id: int, person: Person, url: str | None = None) -> InboxMessage:
    """Take the message out of the inbox without teaching anything."""
    message = _message(root, event_id, url)
    try:
        store.record_decision(message, person.id, "dismissed", url=url)
    except store.AlreadyDecided:
        raise ChangeRefused("already_decided", 409) from None
    return message


def _propose(root: Path, topic: str, examples: list[str], person: Person, url: str | None) -> Change:
    summary = wording()["summary"].format(count=len(examples), topic=topic)
    return changes.propose(root, KIND, topic, {"examples": examples}, person, summary, url=url)
