"""Creating and looking up handoffs: the only code that reads or writes the handoffs table."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from prevent_assistant.db import session_scope
from prevent_assistant.db.models import STATUSES, Handoff, HandoffEvent, utc_now

# No 0/O, 1/I/L, 5/S or 8/B: a code read out over the phone must not be misheard or mistyped.
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXYZ234679"
REFERENCE_LENGTH = 4
REFERENCE_PATTERN = re.compile(rf"^PRV-[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$")
_ATTEMPTS = 8


class UnknownReference(LookupError):
    """No handoff has this reference (it may have been purged)."""


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


def set_status(reference: str, status: str, url: str | None = None) -> Handoff:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    with session_scope(url) as session:
        handoff = session.scalar(select(Handoff).where(Handoff.reference == reference))
        if handoff is None:
            raise UnknownReference(reference)
        handoff.status = status
        handoff.updated_at = utc_now()
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
