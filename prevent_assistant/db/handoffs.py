"""Creating, finding and changing handoffs: the only code that reads or writes the handoffs table.

Every status change (from the console or the command line) goes through `_change`, one conditional UPDATE
plus its history step in one transaction: two call handlers pressing "Pick up" at once cannot both succeed
on either database, and the history never misses a change. History is read in db/handoff_history.py.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from prevent_assistant.content import load_content
from prevent_assistant.db import session_scope
from prevent_assistant.db.handoff_history import as_utc, record_event
from prevent_assistant.db.models import STATUSES, Account, Handoff, HandoffEvent, utc_now
from prevent_assistant.redaction import redact

# No 0/O, 1/I/L, 5/S or 8/B: a code read out over the phone must not be misheard or mistyped.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXYZ234679"
REFERENCE_LENGTH = 4
REFERENCE_PATTERN = re.compile(rf"^PRV-[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$")
_ATTEMPTS = 8
# A note is a few lines about a call, not a document; the console's forms are small (64 KiB) too.
NOTE_MAX_LENGTH = 2000
# The history step each status change writes (set_status, for the command line).
_STEP_FOR_STATUS = {"picked_up": "picked_up", "closed": "closed", "new": "reopened"}


class UnknownReference(LookupError):
    """No handoff has this reference (it may have been purged)."""


class HandoffStateError(ValueError):
    """The change does not fit the handoff as it is now (closing a closed one, an empty note...).
    `reason` is a key the console looks up in its wording, so the person is told why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class QueueRow:
    """One line of the call handlers' queue. `assignee` is the name of who picked it up, if anyone."""

    reference: str
    created_at: datetime
    channel: str | None
    topics: list[str]
    status: str
    assignee: str | None


def new_reference() -> str:
    """A random code from the OS's CSPRNG: knowing one reference tells nothing about another."""
    return "PRV-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def normalise_reference(text: str) -> str:
    """Accept what a caller reads out ('prv 7k3q', 'PRV7K3Q'); raise ValueError if it cannot be one."""
    compact = re.sub(r"[\s-]", "", str(text)).upper()
    candidate = f"PRV-{compact[3:]}" if compact.startswith("PRV") else f"PRV-{compact}"
    if not REFERENCE_PATTERN.match(candidate):
        raise ValueError(
            f"'{text}' is not a handoff reference: they look like PRV-7K3Q "
            f"(PRV, then {REFERENCE_LENGTH} letters or digits)"
        )
    return candidate


def create_handoff(
    conversation_id: str,
    channel: str | None,
    topics: Sequence[str],
    transcript: Sequence[dict[str, str]],
    url: str | None = None,
) -> Handoff:
    """Store a new handoff under a fresh unique reference, retrying the rare collision.

    Called only once the person has chosen to share it, so its history starts with their "shared" step.
    """
    for _ in range(_ATTEMPTS):
        handoff = Handoff(
            reference=new_reference(),
            conversation_id=conversation_id,
            channel=channel,
            topics=list(topics),
            transcript=list(transcript),
            status="new",
        )
        try:
            with session_scope(url) as session:
                session.add(handoff)
                session.flush()
                session.add(HandoffEvent(handoff_id=handoff.id, kind="shared"))
            return handoff
        except IntegrityError:
            continue  # reference already taken: draw another
    raise RuntimeError(f"could not find a free handoff reference in {_ATTEMPTS} attempts")


def outcome_labels() -> dict[str, str]:
    """The outcomes a handoff may be closed with, key -> plain label (content/outcomes.yml, staff-edited)."""
    return {str(key): str(label) for key, label in load_content("outcomes")["outcomes"].items()}


def get_handoff(reference: str, url: str | None = None) -> Handoff:
    with session_scope(url) as session:
        handoff = session.scalar(select(Handoff).where(Handoff.reference == reference))
    if handoff is None:
        raise UnknownReference(reference)
    return handoff


def list_handoffs(status: str | None = None, url: str | None = None) -> list[Handoff]:
    query = select(Handoff).order_by(Handoff.created_at.desc(), Handoff.id.desc())
    if status is not None:
        query = query.where(Handoff.status == status)
    with session_scope(url) as session:
        return list(session.scalars(query))


def find_handoff(text: str, url: str | None = None) -> Handoff:
    """The handoff a caller's reference names, however they said it ('prv 7k3q', 'PRV7K3Q'). Raises
    ValueError if it cannot be a reference, UnknownReference if none has it."""
    return get_handoff(normalise_reference(text), url=url)


def assignee_name(handoff: Handoff, url: str | None = None) -> str | None:
    if handoff.assigned_to is None:
        return None
    with session_scope(url) as session:
        return session.scalar(select(Account.name).where(Account.id == handoff.assigned_to))


def queue(status: str | None = None, url: str | None = None) -> list[QueueRow]:
    """The queue for the console, newest first, with the assignee's name."""
    statement = (
        select(Handoff, Account.name)
        .outerjoin(Account, Account.id == Handoff.assigned_to)
        .order_by(Handoff.created_at.desc(), Handoff.id.desc())
    )
    if status is not None:
        statement = statement.where(Handoff.status == status)
    with session_scope(url) as session:
        rows = session.execute(statement).all()
    return [
        QueueRow(h.reference, as_utc(h.created_at), h.channel, list(h.topics or []), h.status, name)
        for h, name in rows
    ]


def count_by_status(url: str | None = None) -> dict[str, int]:
    """How many handoffs have each status (0 for none), e.g. for "3 new" on the queue page."""
    with session_scope(url) as session:
        rows = session.execute(select(Handoff.status, func.count()).group_by(Handoff.status)).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: number for status, number in rows})
    return counts


def pick_up(reference: str, account_id: int, take_over: bool = False, url: str | None = None) -> Handoff:
    """Assign a new handoff to this account; with `take_over`, also one a colleague picked up. Without
    it, two handlers pressing "Pick up" at once cannot both get it: the second is told who has it
    ("picked_up_by_other"), rather than silently taking it from the first."""
    allowed = Handoff.status == "new"
    if take_over:
        someone_else = Handoff.assigned_to.is_(None) | (Handoff.assigned_to != account_id)
        allowed = allowed | ((Handoff.status == "picked_up") & someone_else)
    values = {"status": "picked_up", "assigned_to": account_id}
    try:
        return _change(reference, allowed, values, "picked_up", account_id, url=url)
    except HandoffStateError as refused:
        if refused.reason == "already_closed":
            raise
        mine = get_handoff(reference, url=url).assigned_to == account_id
        raise HandoffStateError("already_yours" if mine else "picked_up_by_other") from None


def close_handoff(reference: str, account_id: int | None, outcome: str, url: str | None = None) -> Handoff:
    """Close with an outcome from content/outcomes.yml (anything else: HandoffStateError "bad_outcome").
    Whoever closes it is its assignee from then on."""
    if outcome not in outcome_labels():
        raise HandoffStateError("bad_outcome")
    values: dict[str, Any] = {"status": "closed", "outcome": outcome}
    if account_id is not None:
        values["assigned_to"] = account_id
    return _change(reference, Handoff.status != "closed", values, "closed", account_id, outcome, url=url)


def reopen(reference: str, account_id: int, url: str | None = None) -> Handoff:
    """A closed handoff back to "picked up", assigned to this account (closed by mistake, or the caller
    rang again); its outcome is cleared, the history keeps the earlier closing."""
    values = {"status": "picked_up", "assigned_to": account_id, "outcome": None}
    return _change(
        reference, Handoff.status == "closed", values, "reopened", account_id, refused="not_closed", url=url
    )


def add_note(reference: str, account_id: int | None, text: str, url: str | None = None) -> str:
    """Add a note to the handoff's history, redacted before it is stored; returns what was stored."""
    text = text.strip()
    if not text:
        raise HandoffStateError("note_empty")
    if len(text) > NOTE_MAX_LENGTH:
        raise HandoffStateError("note_too_long")
    stored = redact(text)
    with session_scope(url) as session:
        handoff_id = session.scalar(select(Handoff.id).where(Handoff.reference == reference))
        if handoff_id is None:
            raise UnknownReference(reference)
        record_event(session, handoff_id, "note", account_id, stored)
    return stored


def set_status(reference: str, status: str, url: str | None = None, outcome: str | None = None) -> Handoff:
    """For the command line (no account): set any status, with its history step ("new" again is a
    reopening). Setting the status a handoff already has changes nothing and adds no step."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    if status == "closed" and outcome is not None:
        return close_handoff(reference, None, outcome, url=url)
    values: dict[str, Any] = {"status": status}
    if status == "new":
        values.update(assigned_to=None, outcome=None)
    try:
        return _change(reference, Handoff.status != status, values, _STEP_FOR_STATUS[status], None, url=url)
    except HandoffStateError:
        return get_handoff(reference, url=url)


def _change(
    reference: str,
    allowed: Any,
    values: dict[str, Any],
    kind: str,
    account_id: int | None,
    detail: str | None = None,
    refused: str = "unchanged",
    url: str | None = None,
) -> Handoff:
    """Apply `values` if the handoff matches `allowed`, and add its history step, in one transaction.
    A handoff that does not match raises HandoffStateError: "already_closed" if it is closed (and this
    is not a reopening), else `refused`."""
    with session_scope(url) as session:
        changed = session.execute(
            update(Handoff)
            .where(Handoff.reference == reference, allowed)
            .values(**values, updated_at=utc_now())
            .execution_options(synchronize_session=False)
        ).rowcount
        handoff = session.scalar(select(Handoff).where(Handoff.reference == reference))
        if handoff is None:
            raise UnknownReference(reference)
        if not changed:
            closed = handoff.status == "closed" and kind != "reopened"
            raise HandoffStateError("already_closed" if closed else refused)
        record_event(session, handoff.id, kind, account_id, detail)
    return handoff


def delete_closed_before(cutoff: datetime, url: str | None = None) -> int:
    """Delete closed handoffs created before `cutoff`; open ones are kept until someone closes them."""
    closed = select(Handoff.id).where(Handoff.status == "closed", Handoff.created_at < cutoff)
    with session_scope(url) as session:
        _delete_events(session, closed)
        result = session.execute(
            delete(Handoff).where(Handoff.id.in_(closed.scalar_subquery())),
            execution_options={"synchronize_session": False},
        )
        return result.rowcount or 0


def delete_handoffs_of(session: Session, conversation_id: str) -> int:
    """Delete every handoff a conversation made (the person deleted it), in the caller's transaction."""
    _delete_events(session, select(Handoff.id).where(Handoff.conversation_id == conversation_id))
    result = session.execute(delete(Handoff).where(Handoff.conversation_id == conversation_id))
    return result.rowcount or 0


def _delete_events(session: Session, handoff_ids: Select) -> None:
    """A handoff's history (notes included) goes with it. Explicit rather than ON DELETE CASCADE alone,
    which SQLite applies only with foreign keys switched on."""
    session.execute(
        delete(HandoffEvent).where(HandoffEvent.handoff_id.in_(handoff_ids.scalar_subquery())),
        execution_options={"synchronize_session": False},
    )
