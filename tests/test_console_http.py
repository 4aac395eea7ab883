"""The console over HTTP: a real console process (as `make run` starts it) on SQLite and on PostgreSQL,
driven with `requests` the way a browser would, TOTP codes computed with pyotp."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
import requests
from argon2 import PasswordHasher
from console_fixtures import (
    PASSWORD,
    WORDING,
    Console,
    Person,
    add_account,
    running_console,
    shown,
    signed_in,
)
from sqlalchemy import select, update

from conftest import MODEL, free_port, fresh_postgres_database, migrated
from prevent_assistant.console.web import CONTENT_SECURITY_POLICY, SESSION_COOKIE
from prevent_assistant.db import session_scope
from prevent_assistant.db.audit import AuditQuery, entries
from prevent_assistant.db.models import Account, AuditEntry, ConsoleSession, utc_now
from prevent_assistant.serve import running_stack


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console")
    if request.param == "sqlite":
        with running_console(migrated(f"sqlite:///{directory / 'prevent.db'}"), directory) as running:
            yield running
    else:
        with fresh_postgres_database() as url, running_console(url, directory) as running:
            yield running


def actions_for(console: Console, name: str) -> list[str]:
    return [entry.action for entry in reversed(entries(AuditQuery(account=name), url=console.database))]


def sessions_of(console: Console, name: str) -> list[ConsoleSession]:
    with session_scope(console.database) as session:
        account_id = session.scalar(select(Account.id).where(Account.name == name))
        return list(session.scalars(select(ConsoleSession).where(ConsoleSession.account_id == account_id)))


def test_first_sign_in_enrols_totp_shows_recovery_codes_once_and_opens_home(console):
    person = Person(console, add_account(console.database, "handler"))
    answer = person.submit_password()
    assert answer.url.endswith("/login/enrol")
    page = person.get("/login/enrol").text
    assert 'src="data:image/svg+xml' in page and 'class="qr"' in page  # the QR code, drawn by the console
    answer = person.enrol()
    assert answer.status_code == 200
    assert len(set(person.recovery_codes)) == 10
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    home = person.get("/")
    assert home.status_code == 200 and home.url.endswith("/")
    assert shown(WORDING["home"]["roles"]["handler"][0]) in home.text
    # The codes are never shown again, and only the token's hash is stored.
    assert person.recovery_codes[0] not in person.get("/login/enrol").text
    token = person.http.cookies[SESSION_COOKIE]
    stored = sessions_of(console, person.name)
    assert [row.token_hash for row in stored] == [hashlib.sha256(token.encode()).hexdigest()]
    assert actions_for(console, person.name)[-2:] == ["totp_enrolled", "login_succeeded"]


def test_a_code_is_accepted_once_and_a_recovery_code_once(console):
    person = signed_in(console, "handler")
    used_step = person.last_step
    person.post("/logout", {})
    person.submit_password()
    replayed = person.post("/login/code", {"code": pyotp.TOTP(person.secret).at(used_step * 30)})
    assert replayed.status_code == 401 and shown(WORDING["code"]["failed"]) in replayed.text
    assert person.post("/login/code", {"code": person.next_code()}).url.endswith("/")
    person.post("/logout", {})
    person.submit_password()
    recovered = person.post("/login/code", {"code": person.recovery_codes[0].lower()})
    assert recovered.status_code == 200
    assert shown(WORDING["code"]["recovery_used"].format(remaining=9)) in recovered.text
    assert person.get("/").status_code == 200
    person.post("/logout", {})
    person.submit_password()
    assert person.post("/login/code", {"code": person.recovery_codes[0]}).status_code == 401
    assert "recovery_code_used" in actions_for(console, person.name)


def test_wrong_name_and_wrong_password_get_the_same_answer_and_are_audited(console):
    name = add_account(console.database, "handler")
    unknown = Person(console, "nobody-" + name, address="192.0.2.10")
    wrong = Person(console, name, address="192.0.2.11")
    answers = [unknown.submit_password(), wrong.submit_password("not the password at all")]
    assert [a.status_code for a in answers] == [401, 401]
    assert all(shown(WORDING["login"]["failed"]) in a.text for a in answers)
    assert (
        answers[0]
        .text.replace(unknown.name, name)
        .replace(unknown.http.cookies["pa_console_login"], wrong.http.cookies["pa_console_login"])
        == answers[1].text
    )
    failures = entries(AuditQuery(action="login_failed"), url=console.database)
    mine = {entry.account_name: entry for entry in failures if entry.account_name in (name, unknown.name)}
    assert mine[name].address == "192.0.2.11" and not mine[name].succeeded
    assert mine[unknown.name].subject == "unknown name"
    with session_scope(console.database) as session:
        stored = " ".join(str(v) for row in session.scalars(select(AuditEntry)) for v in vars(row).values())
    assert "not the password at all" not in stored and PASSWORD not in stored


def test_the_sixth_attempt_is_throttled_even_with_the_right_password(console):
    person = Person(console, add_account(console.database, "handler"), address="192.0.2.20")
    for _ in range(5):
        assert person.submit_password("wrong password, again").status_code == 401
    refused = person.submit_password()
    assert refused.status_code == 429
    assert shown(WORDING["login"]["throttled"].format(minutes=15)) in refused.text
    assert actions_for(console, person.name)[-1] == "login_throttled"
    # From another address the name is still throttled: the count is per name as well as per address.
    person.address = "192.0.2.21"
    assert person.submit_password().status_code == 429


def test_many_failures_from_one_address_are_throttled_for_every_name(console):
    address = "198.51.100.7"
    for index in range(20):
        assert Person(console, f"guess-{index}", address=address).submit_password().status_code == 401
    real = Person(console, add_account(console.database, "handler"), address=address)
    assert real.submit_password().status_code == 429
    real.address = "198.51.100.8"
    assert real.submit_password().url.endswith("/login/enrol")


def test_a_post_without_the_right_csrf_token_is_refused_with_a_reason(console):
    person = signed_in(console, "handler")
    for form in ({}, {"csrf_token": "not-the-token"}):
        refused = person.post("/logout", form, csrf=False)
        assert refused.status_code == 403
        assert shown(WORDING["errors"]["csrf"]) in refused.text
    assert person.get("/").status_code == 200  # still signed in: the forged logout did nothing
    stranger = Person(console, "someone")
    stranger.get("/login")
    assert stranger.post("/login", {"name": "x", "password": "y"}, csrf=False).status_code == 403


@pytest.mark.parametrize("path", ["/", "/admin/accounts", "/audit?since=1d"])
def test_without_a_session_a_page_redirects_to_login_with_next(console, path):
    answer = Person(console, "x").http.get(console.url + path, allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/login?next=" + path.replace("?", "%3F").replace("=", "%3D")


def test_a_role_that_may_not_see_a_page_gets_403_and_it_is_audited(console):
    handler, editor = signed_in(console, "handler"), signed_in(console, "editor")
    for person, path in ((handler, "/admin/accounts"), (editor, "/audit")):
        answer = person.get(path)
        assert answer.status_code == 403 and shown(WORDING["errors"]["forbidden"]) in answer.text
        assert actions_for(console, person.name)[-1] == "access_denied"


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(console):
    admin = Person(console, add_account(console.database, "admin"))
    admin.get("/audit")  # redirected to the login page, with next=/audit
    admin.post("/login", {"name": admin.name, "password": admin.password})
    assert admin.enrol().status_code == 200
    assert 'href="/audit"' in admin.last_page
    admin.post("/logout", {})
    admin.get("/login?next=//evil.example/")
    admin.post("/login", {"name": admin.name, "password": admin.password})
    assert admin.post("/login/code", {"code": admin.next_code()}).url == console.url + "/"


@pytest.mark.parametrize(
    "column, age", [("last_seen_at", timedelta(minutes=16)), ("created_at", timedelta(hours=9))]
)
def test_an_idle_or_old_session_ends(console, column, age):
    person = signed_in(console, "handler")
    with session_scope(console.database) as session:
        account_id = session.scalar(select(Account.id).where(Account.name == person.name))
        session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.account_id == account_id)
            .values({column: utc_now() - age})
        )
    answer = person.get("/")
    assert answer.url.startswith(console.url + "/login")
    assert sessions_of(console, person.name) == []


def test_timeouts_come_from_the_settings(tmp_path, sqlite_url):
    with running_console(sqlite_url, tmp_path, idle_timeout="3s") as console:
        person = signed_in(console, "handler")
        assert person.get("/").status_code == 200
        time.sleep(4)
        answer = person.get("/")
        assert answer.url.startswith(console.url + "/login?next=")
        assert sessions_of(console, person.name) == []


def test_sign_out_deletes_the_session(console):
    person = signed_in(console, "handler")
    token = person.http.cookies[SESSION_COOKIE]
    assert len(sessions_of(console, person.name)) == 1
    person.post("/logout", {})
    assert sessions_of(console, person.name) == []
    replay = Person(console, person.name)
    replay.http.cookies.set(SESSION_COOKIE, token)
    assert replay.get("/").url.startswith(console.url + "/login")
    assert actions_for(console, person.name)[-1] == "logout"


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(console):
    admin, handler = signed_in(console, "admin"), signed_in(console, "handler")
    admin.get("/admin/accounts")
    answer = admin.post(f"/admin/accounts/{handler.name}/disable", {})
    assert shown(WORDING["accounts"]["disabled_done"].format(name=handler.name)) in answer.text
    assert handler.get("/").url.startswith(console.url + "/login")
    refused = handler.submit_password()
    assert refused.status_code == 401 and shown(WORDING["login"]["failed"]) in refused.text
    disabled = entries(AuditQuery(action="account_disabled"), url=console.database)
    assert any(e.account_name == admin.name and e.subject == handler.name for e in disabled)


def test_an_admin_reset_gives_a_one_time_password_and_a_fresh_enrolment(console):
    admin, handler = signed_in(console, "admin"), signed_in(console, "handler")
    admin.get("/admin/accounts")
    page = admin.post(f"/admin/accounts/{handler.name}/reset-password", {}).text
    temporary = re.search(r'id="temporary-password">([A-Z0-9-]+)<', page).group(1)
    assert handler.get("/").url.startswith(console.url + "/login")  # their sessions ended
    handler.password = temporary
    assert handler.submit_password().url.endswith("/login/enrol")
    handler.enrol()
    assert handler.get("/").url.endswith("/account/password")  # nothing else until they choose one
    chosen = "my own new passphrase 7"
    changed = handler.post("/account/password", {"current": temporary, "new": chosen, "confirm": chosen})
    assert changed.status_code == 200 and shown(WORDING["password"]["changed"]) in changed.text
    assert handler.get("/").status_code == 200
    assert {"account_password_reset"} <= set(actions_for(console, admin.name))
    assert "password_changed" in actions_for(console, handler.name)


def test_a_weak_password_is_refused_on_the_change_page(console):
    person = signed_in(console, "editor")
    person.get("/account/password")
    answer = person.post(
        "/account/password", {"current": PASSWORD, "new": "Password2024!", "confirm": "Password2024!"}
    )
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text and 'aria-describedby="new-error"' in answer.text


def test_an_old_hash_is_replaced_at_sign_in(console):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    name = f"old-{time.time_ns()}"
    with session_scope(console.database) as session:
        session.add(
            Account(name=name, role="handler", password_hash=weak.hash(PASSWORD), recovery_code_hashes=[])
        )
    assert Person(console, name).submit_password().url.endswith("/login/enrol")
    with session_scope(console.database) as session:
        stored = session.scalar(select(Account.password_hash).where(Account.name == name))
    assert stored.startswith("$argon2id$") and not PasswordHasher().check_needs_rehash(stored)


def test_every_page_has_the_strict_policy_and_is_not_stored(console):
    person = Person(console, "x")
    for path in ("/login", "/static/console.css", "/no-such-page"):
        answer = person.get(path)
        assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["X-Frame-Options"] == "DENY"
    assert person.get("/login").headers["Cache-Control"] == "no-store"
    assert person.get("/no-such-page").status_code == 404
    plain = requests.get(console.url + "/login", timeout=10)
    secure = requests.get(
        console.url + "/login",
        headers={"X-Forwarded-For": "192.0.2.1", "X-Forwarded-Proto": "https"},
        timeout=10,
    )
    assert "Secure" not in plain.headers["Set-Cookie"]
    assert "Secure" in secure.headers["Set-Cookie"] and "HttpOnly" in secure.headers["Set-Cookie"]


def test_the_audit_page_filters_and_refuses_a_bad_period(console):
    admin = signed_in(console, "admin")
    Person(console, "filter-me", address="203.0.113.9").submit_password()
    page = admin.get("/audit?since=1h&account=filter-me&action=login_failed").text
    assert "filter-me" in page and "203.0.113.9" in page and "login_succeeded" not in page.split("<tbody>")[1]
    bad = admin.get("/audit?since=lately")
    assert bad.status_code == 400 and shown(WORDING["audit"]["bad_since"]) in bad.text


def test_the_stack_make_run_starts_includes_the_console_on_localhost(tmp_path, sqlite_url):
    """serve.running_stack (what `make run` uses) starts the console as its own process, logged like the
    others; the action server alone is enough to show it (no Rasa server needed)."""
    port = free_port()
    with running_stack(
        MODEL, actions_port=free_port(), log_dir=tmp_path, with_rasa_server=False, database=sqlite_url,
        console_port=port,
    ) as stack:  # fmt: skip
        assert stack.console_url == f"http://127.0.0.1:{port}"
        assert requests.get(stack.console_url + "/login", timeout=10).status_code == 200
        assert stack.processes is not None and "--host" in stack.processes.servers["console"].command
    assert (tmp_path / "console.log").read_text(encoding="utf-8").startswith("The console is at")
