"""Console accounts from the command line, the password rules, hashing, the throttle's count and the audit
log, on SQLite and on PostgreSQL (the `database` fixture runs each test on both)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from console_fixtures import PASSWORD, add_account
from sqlalchemy import inspect, select, update

from prevent_assistant.cli import main
from prevent_assistant.console import credentials
from prevent_assistant.db import accounts, console_sessions, engine_for, session_scope
from prevent_assistant.db import audit as audit_log
from prevent_assistant.db.models import Account, AuditEntry, ConsoleSession, utc_now
from prevent_assistant.settings import DATABASE_URL_VARIABLE


def run(database: str, args: list[str], stdin: str | None = None):
    """`prevent-assistant ARGS` on `database`, as an operator would type it."""
    return CliRunner().invoke(main, args, input=stdin, env={DATABASE_URL_VARIABLE: database})


def stored(database: str, name: str) -> Account:
    with session_scope(database) as session:
        return session.scalar(select(Account).where(Account.name == name))


def test_the_migration_creates_the_console_tables(database):
    tables = inspect(engine_for(database))
    columns = {column["name"] for column in tables.get_columns("accounts")}
    assert {"password_hash", "totp_secret", "totp_last_counter", "must_change_password"} <= columns
    assert "pending_totp_secret" in {column["name"] for column in tables.get_columns("console_sessions")}
    assert {"account_name", "action", "address"} <= {c["name"] for c in tables.get_columns("audit_log")}


def test_users_add_stores_only_an_argon2id_hash_and_audits_it(database):
    result = run(database, ["users", "add", "Alice.Smith", "--role", "handler", "--password-stdin"], PASSWORD)
    assert result.exit_code == 0, result.output
    account = stored(database, "alice.smith")
    assert account.role == "handler" and account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    assert credentials.verify_password(account.password_hash, PASSWORD)
    assert not credentials.verify_password(account.password_hash, PASSWORD + "x")
    assert "alice.smith" in run(database, ["users", "list"]).output
    created = audit_log.entries(audit_log.AuditQuery(action="account_created"), url=database)
    assert [entry.subject for entry in created] == ["alice.smith (handler)"]


def test_users_add_reads_the_password_from_a_hidden_prompt_typed_twice(database):
    result = run(database, ["users", "add", "bob", "--role", "editor"], f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden: not echoed
    assert credentials.verify_password(stored(database, "bob").password_hash, PASSWORD)


@pytest.mark.parametrize(
    "password, reason",
    [
        ("short pass", "at least 12 characters"),
        ("QWERTYUIOP123", "commonly used"),
        ("Password2024!", "commonly used"),  # "password" with decoration
        ("!!Liverpool1892", "commonly used"),
        ("carol-is-my-name-ok", "account name"),
        ("aaaaaaaaaaaabbbb", "too few different characters"),
    ],
)
def test_weak_passwords_are_refused_in_plain_words(database, password, reason):
    result = run(database, ["users", "add", "carol", "--role", "admin", "--password-stdin"], password)
    assert result.exit_code == 2
    assert reason in result.output and "Traceback" not in result.output
    assert stored(database, "carol") is None


def test_bad_names_roles_and_duplicates_are_refused(database):
    add_account(database, "handler", "dave")
    assert "already an account" in run(database, ["users", "add", "DAVE", "--role", "admin"], "").output
    bad_name = run(database, ["users", "add", "no spaces", "--role", "admin", "--password-stdin"], PASSWORD)
    assert bad_name.exit_code == 2 and "cannot be an account name" in bad_name.output
    assert run(database, ["users", "add", "erin", "--role", "boss"]).exit_code == 2
    missing = run(database, ["users", "disable", "nobody"])
    assert missing.exit_code == 2 and "no account called nobody" in missing.output


def test_disable_ends_every_session_and_reset_clears_the_second_factor(database):
    add_account(database, "handler", "frank")
    account = stored(database, "frank")
    accounts.enrol_totp(account.id, credentials.new_totp_secret(), ["h1"], 1, url=database)
    console_sessions.start_session(account.id, url=database)
    console_sessions.start_session(account.id, url=database)
    assert console_sessions.count_sessions(account.id, url=database) == 2
    reset = run(database, ["users", "reset-password", "frank", "--password-stdin"], "another fine passphrase")
    assert reset.exit_code == 0, reset.output
    after = stored(database, "frank")
    assert after.totp_secret is None and after.recovery_code_hashes == [] and after.must_change_password
    assert credentials.verify_password(after.password_hash, "another fine passphrase")
    assert console_sessions.count_sessions(account.id, url=database) == 0
    console_sessions.start_session(account.id, url=database)
    assert run(database, ["users", "disable", "frank"]).exit_code == 0
    assert stored(database, "frank").disabled
    assert console_sessions.count_sessions(account.id, url=database) == 0
    found, ended = console_sessions.find_session(
        "any", timedelta(minutes=15), timedelta(hours=8), url=database
    )
    assert found is None and not ended


def test_a_totp_step_and_a_recovery_code_are_each_accepted_once(database):
    add_account(database, "handler", "gina")
    account = stored(database, "gina")
    code = credentials.new_recovery_codes()[0]
    accounts.enrol_totp(account.id, "JBSWY3DPEHPK3PXP", [credentials.recovery_code_hash(code)], 100, database)
    assert not accounts.accept_totp_counter(account.id, 100, url=database)  # the enrolment's own code
    assert accounts.accept_totp_counter(account.id, 101, url=database)
    assert not accounts.accept_totp_counter(account.id, 101, url=database)
    assert not accounts.accept_totp_counter(account.id, 99, url=database)
    hashed = credentials.recovery_code_hash(code.lower().replace("-", " "))
    assert accounts.use_recovery_code(account.id, hashed, url=database)
    assert not accounts.use_recovery_code(account.id, hashed, url=database)


def test_failures_are_counted_per_name_after_the_last_success_and_per_address(database):
    since = utc_now() - timedelta(minutes=15)
    for _ in range(3):
        audit_log.record(
            "login_failed", account_name="hal", address="10.0.0.1", succeeded=False, url=database
        )
    audit_log.record("login_failed", account_name="ivy", address="10.0.0.1", succeeded=False, url=database)
    assert audit_log.recent_failures(since, account_name="hal", url=database) == 3
    assert audit_log.recent_failures(since, address="10.0.0.1", url=database) == 4
    assert audit_log.recent_failures(since, address="10.0.0.2", url=database) == 0
    audit_log.record("login_succeeded", account_name="hal", address="10.0.0.1", url=database)
    assert audit_log.recent_failures(since, account_name="hal", url=database) == 0
    assert audit_log.recent_failures(utc_now() + timedelta(seconds=1), address="10.0.0.1", url=database) == 0


def test_audit_prints_the_log_and_purge_keeps_what_is_within_retention(database):
    audit_log.record("login_failed", account_name="jo", subject="password", address="10.1.1.1", url=database)
    with session_scope(database) as session:
        session.add(AuditEntry(at=utc_now() - timedelta(days=400), action="logout", account_name="old"))
    printed = run(database, ["audit", "--since", "1d"])
    assert printed.exit_code == 0 and "login_failed" in printed.output and "jo" in printed.output
    assert "old" not in printed.output
    assert "logout" in run(database, ["audit", "--since", "500d", "--action", "logout"]).output
    assert run(database, ["audit", "--since", "1d", "--action", "logout"]).output.startswith(
        "No audit entries"
    )
    purged = run(database, ["purge"])  # the one retention command deletes the audit log's old entries too
    assert purged.exit_code == 0 and "1 audit entry past the audit log's retention" in purged.output
    assert audit_log.count(audit_log.AuditQuery(), url=database) == 1


def test_audit_refuses_a_bad_period(database):
    result = run(database, ["audit", "--since", "lately"])
    assert result.exit_code == 2 and "is not a duration" in result.output


def test_an_unmigrated_database_gives_one_plain_line(tmp_path):
    result = run(f"sqlite:///{tmp_path / 'empty.db'}", ["users", "list"])
    assert result.exit_code == 3
    assert "cannot use the database" in result.output and "db upgrade" in result.output
    assert "Traceback" not in result.output


def test_a_hash_made_with_older_parameters_needs_rehashing():
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    assert credentials.needs_rehash(old)
    assert not credentials.needs_rehash(credentials.hash_password(PASSWORD))
    assert credentials.verify_password(old, PASSWORD)


def test_an_unknown_name_is_checked_against_a_dummy_hash():
    assert credentials.verify_password(None, PASSWORD) is False
    assert credentials._dummy_hash().startswith("$argon2id$")


def test_the_common_password_list_is_lower_case_and_compared_without_case():
    listed = credentials.common_passwords()
    assert len(listed) > 200 and all(entry == entry.lower() for entry in listed)
    with pytest.raises(credentials.PasswordRejected):
        credentials.check_password("CorrectHorseBatteryStaple")
    credentials.check_password("plum kettle orbit canvas")  # does not raise


def test_sessions_past_either_limit_are_deleted_and_live_ones_kept(database):
    add_account(database, "handler", "kim")
    account = stored(database, "kim")
    live = console_sessions.start_session(account.id, url=database)
    stale = console_sessions.start_session(account.id, url=database)
    with session_scope(database) as session:
        session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.token_hash == console_sessions.token_hash(stale))
            .values(last_seen_at=utc_now() - timedelta(hours=1))
        )
    assert console_sessions.delete_expired(timedelta(minutes=15), timedelta(hours=8), url=database) == 1
    found, _ = console_sessions.find_session(live, timedelta(minutes=15), timedelta(hours=8), url=database)
    assert found is not None and found.account.name == "kim"
