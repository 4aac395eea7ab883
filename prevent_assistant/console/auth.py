"""Signing in and out: password, then a TOTP code (enrolled at the first sign-in), then the console.

After the password a session exists but opens only the code (or enrolment) page; the second factor
replaces it with a new token. Failures are counted from the audit log, per typed name and per address,
and the answer is the same for a wrong name, a wrong password and a disabled account.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.console import config, credentials
from prevent_assistant.console.web import (
    audit,
    client_address,
    redirect,
    render,
    require_role,
    safe_next,
    set_session_cookie,
    signed_in,
    wording,
)
from prevent_assistant.db import accounts, console_sessions
from prevent_assistant.db import audit as audit_log
from prevent_assistant.db.models import utc_now

auth = Blueprint("console_auth")


def _form(request: Request, field: str) -> str:
    return str(request.form.get(field) or "")


def _throttled(name: str | None, address: str) -> bool:
    settings = config.console_settings()
    since = utc_now() - config.throttle_window()
    by_name = name is not None and audit_log.recent_failures(since, account_name=name) >= int(
        settings["max_failures_per_name"]
    )
    return by_name or audit_log.recent_failures(since, address=address) >= int(
        settings["max_failures_per_address"]
    )


def _throttled_page(request: Request, account_name: str, template: str, **context: Any) -> HTTPResponse:
    audit_log.record(audit_log.LOGIN_THROTTLED, account_name=account_name, address=client_address(request))
    minutes = max(1, int(config.throttle_window().total_seconds() // 60))
    message = wording()["login"]["throttled"].format(minutes=minutes)
    return render(request, template, 429, error=message, **context)


@auth.get("/login")
async def login_page(request: Request) -> HTTPResponse:
    session = signed_in(request)
    if session is not None and session.two_factor_done:
        return redirect("/")
    t = wording()["login"]
    notice = t["ended"] if request.args.get("ended") else t["signed_out"] if request.args.get("out") else None
    return render(request, "login.html", next=safe_next(request.args.get("next")), notice=notice)


@auth.post("/login")
async def login(request: Request) -> HTTPResponse:
    typed, password = _form(request, "name"), _form(request, "password")
    name, address, next_path = accounts.normalise_name(typed), client_address(request), _form(request, "next")
    context = {"next": safe_next(next_path), "name": typed}
    if _throttled(name, address):
        return _throttled_page(request, name, "login.html", **context)
    account = accounts.find_account(name) if name else None
    # Argon2 off the event loop; an unknown name checks a dummy hash, so both take as long.
    matches = await asyncio.to_thread(
        credentials.verify_password, account.password_hash if account else None, password
    )
    if not matches or account is None or account.disabled:
        reason = "unknown name" if account is None else "account disabled" if account.disabled else "password"
        audit_log.record(
            audit_log.LOGIN_FAILED, account_name=name, subject=reason, address=address, succeeded=False
        )
        return render(request, "login.html", 401, error=wording()["login"]["failed"], **context)
    if credentials.needs_rehash(account.password_hash):
        new_hash = await asyncio.to_thread(credentials.hash_password, password)
        accounts.rehash_password(account.id, account.password_hash, new_hash)
    previous = signed_in(request)
    if previous is not None:
        console_sessions.end_session(previous.token_hash)
    token = console_sessions.start_session(account.id)
    step = "/login/code" if account.totp_secret else "/login/enrol"
    answer = redirect(f"{step}?next={quote(context['next'], safe='/')}" if context["next"] != "/" else step)
    set_session_cookie(request, answer, token)
    return answer


def _half_signed_in(request: Request) -> console_sessions.SignedIn | None:
    """A session past the password but not yet the second factor."""
    session = signed_in(request)
    return session if session is not None and not session.two_factor_done else None


def _complete(request: Request, session: console_sessions.SignedIn, answer: HTTPResponse) -> HTTPResponse:
    """Swap the half session for a full one, set its cookie on `answer`, audit the sign-in."""
    token = console_sessions.complete_two_factor(session.token_hash)
    if token is None:
        return redirect("/login?ended=1")
    set_session_cookie(request, answer, token)
    account = session.account
    audit_log.record(
        audit_log.LOGIN_SUCCEEDED,
        account_id=account.id,
        account_name=account.name,
        address=client_address(request),
    )
    return answer


@auth.get("/login/code")
async def code_page(request: Request) -> HTTPResponse:
    session = _half_signed_in(request)
    if session is None or not session.account.totp_secret:
        return redirect("/login/enrol" if session else "/login")
    return render(request, "code.html", next=safe_next(request.args.get("next")))


@auth.post("/login/code")
async def code(request: Request) -> HTTPResponse:
    session = _half_signed_in(request)
    if session is None or not session.account.totp_secret:
        return redirect("/login")
    account, address = session.account, client_address(request)
    next_path = safe_next(_form(request, "next"))
    if _throttled(account.name, address):
        return _throttled_page(request, account.name, "code.html", next=next_path)
    typed = _form(request, "code")
    counter = credentials.matching_counter(account.totp_secret, typed)
    if counter is not None and accounts.accept_totp_counter(account.id, counter):
        return _complete(request, session, redirect(next_path))
    if credentials.looks_like_recovery_code(typed) and accounts.use_recovery_code(
        account.id, credentials.recovery_code_hash(typed)
    ):
        audit_log.record(
            "recovery_code_used", account_id=account.id, account_name=account.name, address=address
        )
        remaining = len(accounts.require_account(account.name).recovery_code_hashes)
        notice = wording()["code"]["recovery_used"].format(remaining=remaining)
        page = render(request, "notice.html", title=wording()["code"]["title"], notice=notice, next=next_path)
        return _complete(request, session, page)
    audit_log.record(
        audit_log.LOGIN_FAILED,
        account_id=account.id,
        account_name=account.name,
        subject="code",
        address=address,
        succeeded=False,
    )
    return render(request, "code.html", 401, error=wording()["code"]["failed"], next=next_path)


def _enrol_context(session: console_sessions.SignedIn, secret: str, next_path: str) -> dict[str, Any]:
    uri = credentials.provisioning_uri(secret, session.account.name)
    return {
        "qr": credentials.qr_data_uri(uri),
        "secret": credentials.grouped_secret(secret),
        "next": next_path,
    }


@auth.get("/login/enrol")
async def enrol_page(request: Request) -> HTTPResponse:
    session = _half_signed_in(request)
    if session is None or session.account.totp_secret:
        return redirect("/login/code" if session else "/login")
    secret = session.pending_totp_secret
    if not secret:
        secret = credentials.new_totp_secret()
        console_sessions.set_pending_totp_secret(session.token_hash, secret)
    return render(
        request, "enrol.html", **_enrol_context(session, secret, safe_next(request.args.get("next")))
    )


@auth.post("/login/enrol")
async def enrol(request: Request) -> HTTPResponse:
    session = _half_signed_in(request)
    if session is None or session.account.totp_secret or not session.pending_totp_secret:
        return redirect("/login/code" if session and session.account.totp_secret else "/login")
    secret, next_path = session.pending_totp_secret, safe_next(_form(request, "next"))
    counter = credentials.matching_counter(secret, _form(request, "code"))
    if counter is None:
        context = _enrol_context(session, secret, next_path)
        return render(request, "enrol.html", 422, error=wording()["enrol"]["failed"], **context)
    codes = credentials.new_recovery_codes()
    hashes = [credentials.recovery_code_hash(code) for code in codes]
    if not accounts.enrol_totp(session.account.id, secret, hashes, counter):
        return redirect("/login/code")
    account = session.account
    audit_log.record(
        "totp_enrolled", account_id=account.id, account_name=account.name, address=client_address(request)
    )
    # Shown in this answer only (not after a redirect), so the codes are never on a page one can reload.
    return _complete(request, session, render(request, "recovery.html", codes=codes, next=next_path))


@auth.post("/logout")
async def logout(request: Request) -> HTTPResponse:
    session = signed_in(request)
    answer = redirect("/login?out=1")
    if session is not None:
        audit(request, "logout")
        console_sessions.end_session(session.token_hash)
    request.ctx.session_ended = True
    return answer


@auth.route("/account/password", methods=["GET", "POST"])
@require_role(password_change=True)
async def change_password(request: Request) -> HTTPResponse:
    session = signed_in(request)
    assert session is not None  # require_role
    t = wording()["password"]
    if request.method == "GET":
        return render(request, "password.html", must_change=session.account.must_change_password)
    current, new = _form(request, "current"), _form(request, "new")
    errors: dict[str, str] = {}
    if not await asyncio.to_thread(credentials.verify_password, session.account.password_hash, current):
        errors["current"] = t["wrong_current"]
    elif new != _form(request, "confirm"):
        errors["confirm"] = t["mismatch"]
    elif new == current:
        errors["new"] = t["same"]
    else:
        try:
            credentials.check_password(new, session.account.name)
        except credentials.PasswordRejected as rejected:
            errors["new"] = str(rejected).capitalize() + "."
    if errors:
        must_change = session.account.must_change_password
        return render(request, "password.html", 422, errors=errors, must_change=must_change)
    accounts.set_password_hash(session.account.id, await asyncio.to_thread(credentials.hash_password, new))
    console_sessions.end_sessions_of(session.account.id, keep=session.token_hash)
    audit(request, "password_changed", session.account.name)
    return render(request, "notice.html", title=t["title"], notice=t["changed"], next="/")
