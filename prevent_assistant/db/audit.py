"""The console's audit log: who did what, when and from where. Append-only.

There is deliberately no function here that updates or deletes an entry, except `purge_audit_before` for the
audit log's own retention setting (settings.yml `console.audit_retention`). Entries name an action and a
subject (an account name, a handoff reference); never a password, a code, a token or a message's text.
The login throttle counts failures from here, so every console instance sees the same count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.sql import Select

from prevent_assistant.db import session_scope
from prevent_assistant.db.models import AuditEntry, utc_now

# The actions the console records; the admin page offers them as a filter.
LOGIN_SUCCEEDED = "login_succeeded"
LOGIN_FAILED = "login_failed"
LOGIN_THROTTLED = "login_throttled"
ACTIONS = (
    LOGIN_SUCCEEDED,
    LOGIN_FAILED,
    LOGIN_THROTTLED,
    "logout",
    "session_expired",
    "totp_enrolled",
    "recovery_code_used",
    "password_changed",
    "account_created",
    "account_disabled",
    "account_password_reset",
    "access_denied",
    "audit_viewed",
    "handoff_viewed",
    "handoff_picked_up",
    "handoff_note_added",
    "handoff_closed",
    "handoff_reopened",
    "training_job_started",
    "model_deployed",
    "model_rolled_back",
    "change_proposed",
    "change_approved",
    "change_applied",
    "change_rejected",
    "change_reverted",
    "inbox_viewed",
    "inbox_guess_confirmed",
    "inbox_topic_chosen",
    "inbox_dismissed",
    "stats_viewed",
    "stories_viewed",
    "conversations_listed",
    "conversation_viewed",
)
_NAME_LENGTH = 64
_SUBJECT_LENGTH = 255


@dataclass(frozen=True)
class AuditQuery:
    """Filters for reading the log; None means no filter on that field."""

    since: datetime | None = None
    account: str | None = None
    action: str | None = None


def record(
    action: str,
    *,
    account_id: int | None = None,
    account_name: str | None = None,
    subject: str | None = None,
    address: str | None = None,
    succeeded: bool = True,
    url: str | None = None,
) -> None:
    """Append one entry. Names and subjects are cut to their column's length (a name typed at the login
    form can be anything), so an entry is never lost to an over-long value."""
    with session_scope(url) as session:
        session.add(
            AuditEntry(
                at=utc_now(),
                action=action,
                account_id=account_id,
                account_name=(account_name or None) and account_name[:_NAME_LENGTH],
                subject=(subject or None) and subject[:_SUBJECT_LENGTH],
                address=(address or None) and address[:64],
                succeeded=succeeded,
            )
        )


def _filtered(query: AuditQuery) -> Select:
    statement = select(AuditEntry)
    if query.since is not None:
        statement = statement.where(AuditEntry.at >= query.since)
    if query.account:
        statement = statement.where(AuditEntry.account_name == query.account)
    if query.action:
        statement = statement.where(AuditEntry.action == query.action)
    return statement


def entries(
    query: AuditQuery, limit: int | None = None, offset: int = 0, url: str | None = None
) -> list[AuditEntry]:
    """Matching entries, newest first (ties broken by id, so paging is stable)."""
    statement = _filtered(query).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    with session_scope(url) as session:
        return list(session.scalars(statement))


def count(query: AuditQuery, url: str | None = None) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(_filtered(query).subquery())) or 0


def recent_failures(
    since: datetime, account_name: str | None = None, address: str | None = None, url: str | None = None
) -> int:
    """Failed logins since `since` for this typed name (counted only after its last successful login, so
    a person who got in starts afresh) or from this address."""
    with session_scope(url) as session:
        statement = select(func.count()).where(AuditEntry.action == LOGIN_FAILED, AuditEntry.at >= since)
        if account_name is not None:
            last_success = session.scalar(
                select(func.max(AuditEntry.at)).where(
                    AuditEntry.action == LOGIN_SUCCEEDED, AuditEntry.account_name == account_name
                )
            )
            statement = statement.where(AuditEntry.account_name == account_name)
            if last_success is not None:
                statement = statement.where(AuditEntry.at > last_success)
        if address is not None:
            statement = statement.where(AuditEntry.address == address)
        return session.scalar(statement) or 0


def purge_audit_before(cutoff: datetime, url: str | None = None) -> int:
    """Delete entries older than `cutoff` (the audit log's own retention); returns how many."""
    with session_scope(url) as session:
        return session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff)).rowcount or 0
