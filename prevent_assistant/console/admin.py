"""Administrators' pages: accounts (list, disable, reset password) and the audit log. Every change to an
account is audited; so is each view of the audit log, which shows who looked at what."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.console import credentials
from prevent_assistant.console.web import Paging, audit, redirect, render, require_role, signed_in, wording
from prevent_assistant.db import accounts
from prevent_assistant.db import audit as audit_log
from prevent_assistant.db.models import utc_now
from prevent_assistant.settings import parse_duration

admin = Blueprint("console_admin")
PAGE_SIZE = 50
DEFAULT_SINCE = "7d"


@admin.get("/admin/accounts")
@require_role("admin")
async def accounts_page(request: Request) -> HTTPResponse:
    notice = None
    if request.args.get("disabled"):
        notice = wording()["accounts"]["disabled_done"].format(name=request.args.get("disabled"))
    return render(request, "accounts.html", accounts=accounts.list_accounts(), notice=notice)


@admin.post("/admin/accounts/<name>/disable")
@require_role("admin")
async def disable(request: Request, name: str) -> HTTPResponse:
    session = signed_in(request)
    t = wording()["accounts"]
    if session is not None and accounts.normalise_name(name) == session.account.name:
        return render(
            request, "accounts.html", 409, accounts=accounts.list_accounts(), error=t["cannot_disable_self"]
        )
    try:
        account = accounts.disable_account(name)
    except accounts.AccountError:
        return render(
            request,
            "accounts.html",
            404,
            accounts=accounts.list_accounts(),
            error=t["unknown"].format(name=name),
        )
    audit(request, "account_disabled", account.name)
    return redirect(f"/admin/accounts?disabled={account.name}")


@admin.post("/admin/accounts/<name>/reset-password")
@require_role("admin")
async def reset_password(request: Request, name: str) -> HTTPResponse:
    """A one-time temporary password, shown once on this answer; the person enrols TOTP again and must
    choose their own password at their next sign-in (see db.accounts.reset_credentials)."""
    temporary = credentials.temporary_password()
    try:
        account = accounts.reset_credentials(
            name, await asyncio.to_thread(credentials.hash_password, temporary)
        )
    except accounts.AccountError:
        t = wording()["accounts"]
        return render(
            request,
            "accounts.html",
            404,
            accounts=accounts.list_accounts(),
            error=t["unknown"].format(name=name),
        )
    audit(request, "account_password_reset", account.name)
    return render(request, "reset.html", name=account.name, password=temporary)


@admin.get("/audit")
@require_role("admin")
async def audit_page(request: Request) -> HTTPResponse:
    since_text = (request.args.get("since") or DEFAULT_SINCE).strip()
    account = (request.args.get("account") or "").strip().lower() or None
    action = request.args.get("action") or None
    if action not in audit_log.ACTIONS:
        action = None
    try:
        since: timedelta = parse_duration(since_text)
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        filters = {"since": since_text, "account": account or "", "action": action or ""}
        return render(
            request, "audit.html", 400, entries=[], total=0, page=1, pages=1, filters=filters,
            actions=audit_log.ACTIONS, since_error=wording()["audit"]["bad_since"],
        )  # fmt: skip
    query = audit_log.AuditQuery(since=utc_now() - since, account=account, action=action)
    total = audit_log.count(query)
    paging = Paging.of(page, total, PAGE_SIZE)
    found = audit_log.entries(query, limit=PAGE_SIZE, offset=paging.offset)
    audit(request, "audit_viewed")
    filters = {"since": since_text, "account": account or "", "action": action or ""}
    return render(
        request, "audit.html", entries=found, total=total, filters=filters, actions=audit_log.ACTIONS,
        **paging.shown(len(found)),
    )  # fmt: skip
