"""Signed-in browsers of the console, kept server-side so several instances share them and logout is real.

The cookie holds a random token; the table keeps only its SHA-256, so a copy of the table (a backup, a
leaked dump) signs no one in. A session is found by the token's hash, together with its account, and is
refused (and deleted) once idle or old beyond the limits the caller passes in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update

from prevent_assistant.db import session_scope
from prevent_assistant.db.models import Account, ConsoleSession, utc_now


@dataclass(frozen=True)
class SignedIn:
    """A live session and its account, as a request sees them."""

    token_hash: str
    account: Account
    two_factor_done: bool
    csrf_token: str
    pending_totp_secret: str | None
    created_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def start_session(account_id: int, two_factor_done: bool = False, url: str | None = None) -> str:
    """A new session for the account; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    with session_scope(url) as session:
        session.add(
            ConsoleSession(
                token_hash=token_hash(token),
                account_id=account_id,
                created_at=now,
                last_seen_at=now,
                two_factor_done=two_factor_done,
                csrf_token=secrets.token_urlsafe(32),
            )
        )
    return token


def find_session(
    token: str, idle: timedelta, absolute: timedelta, url: str | None = None, touch: bool = True
) -> tuple[SignedIn | None, bool]:
    """The live session for `token`, its last-seen time moved to now unless `touch` is False (a page
    refreshing itself is not the person being active). Returns (session, expired): an idle, too old, or
    disabled account's session is deleted and (None, True) returned."""
    hashed = token_hash(token)
    now = utc_now()
    with session_scope(url) as session:
        row = session.execute(
            select(ConsoleSession, Account)
            .join(Account, Account.id == ConsoleSession.account_id)
            .where(ConsoleSession.token_hash == hashed)
        ).first()
        if row is None:
            return None, False
        stored, account = row
        if (
            account.disabled
            or now - as_utc(stored.last_seen_at) > idle
            or now - as_utc(stored.created_at) > absolute
        ):
            session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == hashed))
            return None, True
        if touch:
            stored.last_seen_at = now
        signed_in = SignedIn(
            hashed,
            account,
            stored.two_factor_done,
            stored.csrf_token,
            stored.pending_totp_secret,
            as_utc(stored.created_at),
        )
    return signed_in, False


def set_pending_totp_secret(hashed: str, secret: str, url: str | None = None) -> None:
    with session_scope(url) as session:
        session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.token_hash == hashed)
            .values(pending_totp_secret=secret)
        )


def complete_two_factor(hashed: str, url: str | None = None) -> str | None:
    """After the second factor: replace the session with a new token (so a token seen before login is
    worth nothing after it) and a new CSRF token, keeping its start time. Returns the new token, or None if
    the session has gone meanwhile."""
    token = secrets.token_urlsafe(32)
    with session_scope(url) as session:
        old = session.get(ConsoleSession, hashed)
        if old is None:
            return None
        session.add(
            ConsoleSession(
                token_hash=token_hash(token),
                account_id=old.account_id,
                created_at=old.created_at,
                last_seen_at=utc_now(),
                two_factor_done=True,
                csrf_token=secrets.token_urlsafe(32),
            )
        )
        session.delete(old)
    return token


def end_session(hashed: str, url: str | None = None) -> None:
    with session_scope(url) as session:
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == hashed))


def end_sessions_of(account_id: int, keep: str | None = None, url: str | None = None) -> None:
    """Sign the account out everywhere (e.g. after a password change), except the session `keep`."""
    statement = delete(ConsoleSession).where(ConsoleSession.account_id == account_id)
    if keep is not None:
        statement = statement.where(ConsoleSession.token_hash != keep)
    with session_scope(url) as session:
        session.execute(statement)


def count_sessions(account_id: int, url: str | None = None) -> int:
    with session_scope(url) as session:
        return len(
            session.scalars(
                select(ConsoleSession.token_hash).where(ConsoleSession.account_id == account_id)
            ).all()
        )


def delete_expired(idle: timedelta, absolute: timedelta, url: str | None = None) -> int:
    """Remove sessions past either limit (browsers that never came back); returns how many."""
    now = utc_now()
    with session_scope(url) as session:
        result = session.execute(
            delete(ConsoleSession).where(
                (ConsoleSession.last_seen_at < now - idle) | (ConsoleSession.created_at < now - absolute)
            )
        )
        return result.rowcount or 0
