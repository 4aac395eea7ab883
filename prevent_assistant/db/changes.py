"""Proposed content changes (answers, clips, training examples): the only code that reads or writes the
content_changes table.

A change is stored once it has passed the house rules; it stays `pending` until another editor or an
admin approves it (then `approved`, with the reviewer, the time and the git commit) or rejects it
(`rejected`). An approved change undone by a later approved revert becomes `reverted`. A review is
recorded only while the change is still pending, in one UPDATE, so two people reviewing the same change
at once cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from prevent_assistant.db import session_scope
from prevent_assistant.db.models import CHANGE_KINDS, CHANGE_STATUSES, Account, ContentChange, utc_now

SUMMARY_LENGTH = 255
TARGET_LENGTH = 255


class UnknownChange(LookupError):
    """No change has that number."""


@dataclass(frozen=True)
class Change:
    """One change as the pages and the workflow see it, with its author's and reviewer's names."""

    id: int
    created_at: datetime
    kind: str
    target: str
    summary: str
    payload: dict[str, Any]
    previous: dict[str, Any] | None
    status: str
    author_id: int
    author_name: str
    reviewer_id: int | None
    reviewer_name: str | None
    reviewed_at: datetime | None
    commit: str | None
    reverts_id: int | None


@dataclass(frozen=True)
class ChangeQuery:
    """Filters for listing changes; None means no filter on that field."""

    statuses: Sequence[str] | None = None
    kind: str | None = None
    target: str | None = None
    search: str | None = None  # part of the target or the summary, any case


def add_change(
    kind: str,
    target: str,
    summary: str,
    payload: dict[str, Any],
    previous: dict[str, Any] | None,
    author_id: int,
    reverts_id: int | None = None,
    url: str | None = None,
) -> Change:
    """Store a pending change (the caller has checked it against the rules)."""
    if kind not in CHANGE_KINDS:
        raise ValueError(f"the kind of change must be one of {', '.join(CHANGE_KINDS)}")
    row = ContentChange(
        kind=kind,
        target=target[:TARGET_LENGTH],
        summary=summary[:SUMMARY_LENGTH],
        payload=payload,
        previous=previous,
        status="pending",
        author_id=author_id,
        reverts_id=reverts_id,
    )
    with session_scope(url) as session:
        session.add(row)
        session.flush()
        change_id = row.id
    return get_change(change_id, url=url)


def get_change(change_id: int, url: str | None = None) -> Change:
    with session_scope(url) as session:
        found = session.execute(_select().where(ContentChange.id == change_id)).first()
    if found is None:
        raise UnknownChange(change_id)
    return _as_change(found)


def list_changes(
    query: ChangeQuery = ChangeQuery(), limit: int = 50, offset: int = 0, url: str | None = None
) -> list[Change]:
    """Newest first."""
    statement = _filtered(_select(), query).order_by(ContentChange.id.desc()).limit(limit).offset(offset)
    with session_scope(url) as session:
        return [_as_change(row) for row in session.execute(statement)]


def count_changes(query: ChangeQuery = ChangeQuery(), url: str | None = None) -> int:
    statement = _filtered(select(func.count(ContentChange.id)), query)
    with session_scope(url) as session:
        return int(session.scalar(statement) or 0)


def pending_for(kind: str, target: str, url: str | None = None) -> Change | None:
    """The change to `target` already waiting for approval, if any (one at a time per answer)."""
    found = list_changes(ChangeQuery(statuses=("pending",), kind=kind, target=target), limit=1, url=url)
    return found[0] if found else None


def record_review(
    change_id: int, status: str, reviewer_id: int, commit: str | None = None, url: str | None = None
) -> bool:
    """Mark a pending change approved or rejected by `reviewer_id`. False if it was no longer pending."""
    if status not in CHANGE_STATUSES or status == "pending":
        raise ValueError(f"a review cannot set the status {status!r}")
    statement = (
        update(ContentChange)
        .where(ContentChange.id == change_id, ContentChange.status == "pending")
        .values(status=status, reviewer_id=reviewer_id, reviewed_at=utc_now(), commit=commit)
    )
    with session_scope(url) as session:
        return bool(session.execute(statement).rowcount)


def mark_reverted(change_id: int, url: str | None = None) -> None:
    """An approved change whose revert has now been approved."""
    statement = (
        update(ContentChange)
        .where(ContentChange.id == change_id, ContentChange.status == "approved")
        .values(status="reverted")
    )
    with session_scope(url) as session:
        session.execute(statement)


# --- Helpers -------------------------------------------------------------------------------------------
_Author = aliased(Account)
_Reviewer = aliased(Account)


def _select() -> Any:
    """Each change with its author's and (when reviewed) its reviewer's name."""
    return (
        select(ContentChange, _Author.name, _Reviewer.name)
        .join(_Author, _Author.id == ContentChange.author_id)
        .outerjoin(_Reviewer, _Reviewer.id == ContentChange.reviewer_id)
    )


def _filtered(statement: Any, query: ChangeQuery) -> Any:
    if query.statuses:
        statement = statement.where(ContentChange.status.in_(list(query.statuses)))
    if query.kind:
        statement = statement.where(ContentChange.kind == query.kind)
    if query.target:
        statement = statement.where(ContentChange.target == query.target)
    if query.search:
        pattern = f"%{query.search.lower()}%"
        statement = statement.where(
            func.lower(ContentChange.target).like(pattern) | func.lower(ContentChange.summary).like(pattern)
        )
    return statement


def _as_change(row: Any) -> Change:
    change, author_name, reviewer_name = row
    return Change(
        id=change.id,
        created_at=change.created_at,
        kind=change.kind,
        target=change.target,
        summary=change.summary,
        payload=dict(change.payload or {}),
        previous=dict(change.previous) if change.previous is not None else None,
        status=change.status,
        author_id=change.author_id,
        author_name=author_name,
        reviewer_id=change.reviewer_id,
        reviewer_name=reviewer_name,
        reviewed_at=change.reviewed_at,
        commit=change.commit,
        reverts_id=change.reverts_id,
    )
