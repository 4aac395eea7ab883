"""Staff accounts for the console: the only code that reads or writes the accounts table.

This module stores what it is given: password hashes, TOTP secrets and recovery-code hashes are made by
prevent_assistant.console.credentials, so nothing here ever sees a password or a code in the clear.
Disabling an account or resetting its password ends its sessions in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from prevent_assistant.db import session_scope
from prevent_assistant.db.models import ROLES, Account, ConsoleSession

# Lower-case letters, digits, dots, dashes and underscores: easy to type, read out and tell apart.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why in plain words."""


def normalise_name(name: str) -> str:
    """Names are compared without regard to case or surrounding spaces."""
    return str(name).strip().lower()


def check_name(name: str) -> str:
    name = normalise_name(name)
    if not NAME_PATTERN.match(name):
        raise AccountError(
            f"'{name}' cannot be an account name: use 2 to 64 letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit"
        )
    return name


def create_account(name: str, role: str, password_hash: str, url: str | None = None) -> Account:
    name = check_name(name)
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    account = Account(
        name=name, role=role, password_hash=password_hash, recovery_code_hashes=[], disabled=False
    )
    try:
        with session_scope(url) as session:
            session.add(account)
    except IntegrityError:
        raise AccountError(f"there is already an account called {name}") from None
    return account


def find_account(name: str, url: str | None = None) -> Account | None:
    with session_scope(url) as session:
        return session.scalar(select(Account).where(Account.name == normalise_name(name)))


def get_account(account_id: int, url: str | None = None) -> Account | None:
    with session_scope(url) as session:
        return session.get(Account, account_id)


def require_account(name: str, url: str | None = None) -> Account:
    account = find_account(name, url)
    if account is None:
        raise AccountError(f"there is no account called {normalise_name(name)}")
    return account


def list_accounts(url: str | None = None) -> Sequence[Account]:
    with session_scope(url) as session:
        return list(session.scalars(select(Account).order_by(Account.name)))


def disable_account(name: str, url: str | None = None) -> Account:
    """Disable the account and end every session it has: it is signed out everywhere at once."""
    account = require_account(name, url)
    with session_scope(url) as session:
        session.execute(update(Account).where(Account.id == account.id).values(disabled=True))
        session.execute(delete(ConsoleSession).where(ConsoleSession.account_id == account.id))
    account.disabled = True
    return account


def reset_credentials(name: str, password_hash: str, url: str | None = None) -> Account:
    """A new (temporary) password, to be replaced at the next login, and a fresh TOTP enrolment: the path
    back in for someone who forgot their password or lost their authenticator. Its sessions end."""
    account = require_account(name, url)
    values = {
        "password_hash": password_hash,
        "must_change_password": True,
        "totp_secret": None,
        "totp_last_counter": None,
        "recovery_code_hashes": [],
    }
    with session_scope(url) as session:
        session.execute(update(Account).where(Account.id == account.id).values(**values))
        session.execute(delete(ConsoleSession).where(ConsoleSession.account_id == account.id))
    return require_account(name, url)


def set_password_hash(account_id: int, password_hash: str, url: str | None = None) -> None:
    """Store a new hash (a changed password, or the same one rehashed with newer parameters)."""
    with session_scope(url) as session:
        session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(password_hash=password_hash, must_change_password=False)
        )


def rehash_password(account_id: int, old_hash: str, new_hash: str, url: str | None = None) -> None:
    """Replace the hash only if it is still `old_hash`, so a rehash never undoes a change made meanwhile."""
    with session_scope(url) as session:
        session.execute(
            update(Account)
            .where(Account.id == account_id, Account.password_hash == old_hash)
            .values(password_hash=new_hash)
        )


def enrol_totp(
    account_id: int, secret: str, recovery_code_hashes: Sequence[str], counter: int, url: str | None = None
) -> bool:
    """Store the confirmed secret and the recovery codes' hashes; False if the account enrolled meanwhile
    (in another tab), so a second secret never silently replaces the first."""
    with session_scope(url) as session:
        result = session.execute(
            update(Account)
            .where(Account.id == account_id, Account.totp_secret.is_(None))
            .values(
                totp_secret=secret,
                totp_last_counter=counter,
                recovery_code_hashes=list(recovery_code_hashes),
            )
        )
        return result.rowcount == 1


def accept_totp_counter(account_id: int, counter: int, url: str | None = None) -> bool:
    """Record that the code for time step `counter` was used; False if it, or a later one, already was.
    One conditional UPDATE, so two instances cannot both accept the same code."""
    with session_scope(url) as session:
        result = session.execute(
            update(Account)
            .where(
                Account.id == account_id,
                or_(Account.totp_last_counter.is_(None), Account.totp_last_counter < counter),
            )
            .values(totp_last_counter=counter)
        )
        return result.rowcount == 1


def use_recovery_code(account_id: int, code_hash: str, url: str | None = None) -> bool:
    """Strike `code_hash` off the account's list; True if it was there (each code works once)."""
    with session_scope(url) as session:
        account = session.scalar(select(Account).where(Account.id == account_id).with_for_update())
        if account is None or code_hash not in (account.recovery_code_hashes or []):
            return False
        account.recovery_code_hashes = [h for h in account.recovery_code_hashes if h != code_hash]
        return True
