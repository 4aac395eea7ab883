"""What every console page shares: rendering, the session and CSRF checks, `require_role`, `audit`.

Each blueprint (auth, admin, and later the handoff pages) uses only these, so the security rules live in
one place: `load_session` and `check_csrf` run before every handler, `finish_response` adds the headers and
cookies after it. A POST without the right CSRF token never reaches a handler.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse

from prevent_assistant.console import config
from prevent_assistant.content import load_content
from prevent_assistant.db import audit as audit_log
from prevent_assistant.db.console_sessions import SignedIn, find_session

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]

TEMPLATES = Path(__file__).resolve().parent / "templates"
SESSION_COOKIE = "pa_console_session"
# Before sign-in there is no session to hold a CSRF token: the login form's token is in this cookie
# instead (double submit), so the one check below covers the login form too.
LOGIN_CSRF_COOKIE = "pa_console_login"
CSRF_FIELD = "csrf_token"
# Sent by a page's own script when it updates itself (the handoff queue): such a GET does not count as
# activity for the idle timeout, which still applies to it.
BACKGROUND_HEADER = "X-Console-Background"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    # Nothing the console shows may be kept by the browser or a proxy: it is about people at risk.
    "Cache-Control": "no-store",
}
_environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True), trim_blocks=True
)
# The assistant's replies are written in the chat's Markdown: `[0800 011 3764](tel:+448000113764)`.
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)\s]+\)")


def link_text(text: str) -> str:
    """A reply as the person read it: a link's words without the Markdown around them (still escaped)."""
    return MARKDOWN_LINK.sub(r"\1", text)


_environment.filters["link_text"] = link_text


@dataclass(frozen=True)
class Paging:
    """Where a list shown a page at a time stands (the audit log, changes, the inbox, conversations): the
    page asked for, kept within the pages there are, so a stale link shows the last page, not an error."""

    page: int
    pages: int
    size: int

    @classmethod
    def of(cls, asked: int, total: int, size: int) -> Paging:
        pages = max(1, -(-total // size))
        return cls(min(max(1, asked), pages), pages, size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def shown(self, count: int) -> dict[str, int]:
        """What the page templates and the pager macro read: the page, how many, the first and last shown."""
        return {"page": self.page, "pages": self.pages, "first": self.offset + 1, "last": self.offset + count}


def page_asked(request: Request) -> int:
    """The `?page=` a person asked for; a missing or garbled one means the first."""
    try:
        return max(1, int(request.args.get("page") or 1))
    except ValueError:
        return 1


@dataclass(frozen=True)
class NavItem:
    """A link in every page's navigation, shown to the roles that may open it. `label` is a key of
    content/console.yml's `nav:` section."""

    path: str
    label: str
    roles: tuple[str, ...]


def wording() -> dict[str, Any]:
    return load_content("console")


def client_address(request: Request) -> str:
    """The proxied client address when SANIC_PROXIES_COUNT says a proxy is trusted, else the peer's."""
    return str(request.remote_addr or request.ip or "")


def signed_in(request: Request) -> SignedIn | None:
    return getattr(request.ctx, "signed_in", None)


def csrf_token(request: Request) -> str:
    """The token this request's forms must carry back."""
    session = signed_in(request)
    if session is not None:
        return session.csrf_token
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or getattr(request.ctx, "new_login_csrf", None)
    if not token:
        token = request.ctx.new_login_csrf = secrets.token_urlsafe(32)
    return token


def render(request: Request, template: str, status: int = 200, /, **context: Any) -> HTTPResponse:
    """`template` with the wording (`t`), the signed-in account, its navigation and the CSRF token. The
    first three parameters are positional-only, so a page may pass its own `status` (a handoff's) as
    context."""
    session = signed_in(request)
    account = session.account if session and session.two_factor_done else None
    nav = [item for item in request.app.ctx.nav if account is not None and account.role in item.roles]
    page = _environment.get_template(template).render(
        t=wording(), account=account, nav=nav, csrf_token=csrf_token(request), path=request.path, **context
    )
    return response.html(page, status=status)


def error_page(request: Request, status: int, title_key: str, reason_key: str) -> HTTPResponse:
    """A plain page saying what went wrong (the reason is also the page's main text)."""
    errors = wording()["errors"]
    return render(request, "error.html", status, title=errors[title_key], reason=errors[reason_key])


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path on this console only, never another site ('//evil', 'https:')."""
    target = (target or "").strip()
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or parts.scheme
        or parts.netloc
    ):
        return "/"
    return target


def redirect(location: str) -> HTTPResponse:
    return response.redirect(location, status=303)


def redirect_to_login(request: Request) -> HTTPResponse:
    here = request.path + (f"?{request.query_string}" if request.query_string else "")
    return redirect(f"/login?next={quote(here, safe='/')}")


def audit(request: Request, action: str, subject: str | None = None, succeeded: bool = True) -> None:
    """Record `action` by the signed-in account, from the request's address. The handoff pages call this
    for every view of safeguarding data. Never pass a password, a code, a token or a message's text."""
    session = signed_in(request)
    audit_log.record(
        action,
        account_id=session.account.id if session else None,
        account_name=session.account.name if session else None,
        subject=subject,
        address=client_address(request),
        succeeded=succeeded,
    )


def require_role(*roles: str, password_change: bool = False) -> Callable[[Handler], Handler]:
    """Only for a fully signed-in account (password and second factor) whose role is in `roles` (any role
    if none are named). No session: 303 to the login page with `next`. Wrong role: 403, audited.
    An account whose password was reset sees only the change-password page (`password_change=True`)."""

    def decorator(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            session = signed_in(request)
            if session is None or not session.two_factor_done:
                return redirect_to_login(request)
            if session.account.must_change_password and not password_change:
                return redirect("/account/password")
            if roles and session.account.role not in roles:
                audit(request, "access_denied", request.path, succeeded=False)
                return error_page(request, 403, "forbidden_title", "forbidden")
            return await handler(request, *args, **kwargs)

        return guarded

    return decorator


# --- Middleware ----------------------------------------------------------------------------------------
async def load_session(request: Request) -> HTTPResponse | None:
    """Find the request's session (moving its idle clock on), then check a POST's CSRF token."""
    if hasattr(request.ctx, "signed_in"):  # Sanic runs request middleware again for an error response
        return None
    request.ctx.signed_in = None
    request.ctx.session_ended = False
    if request.path.startswith("/static/") or request.path == "/health":
        return None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        background = request.method == "GET" and request.headers.get(BACKGROUND_HEADER) == "1"
        session, ended = find_session(
            token, config.idle_timeout(), config.absolute_timeout(), touch=not background
        )
        request.ctx.signed_in = session
        request.ctx.session_ended = ended or session is None
    if request.method == "POST":
        return check_csrf(request)
    return None


def check_csrf(request: Request) -> HTTPResponse | None:
    """The one CSRF check: the form's token must equal the session's (or, before sign-in, the login
    cookie's). A POST from a session that has just ended goes back to the login page instead."""
    if request.ctx.session_ended and signed_in(request) is None:
        return redirect("/login?ended=1")
    session = signed_in(request)
    expected = session.csrf_token if session is not None else request.cookies.get(LOGIN_CSRF_COOKIE)
    given = request.form.get(CSRF_FIELD) if request.form else None
    if expected and given and secrets.compare_digest(str(expected), str(given)):
        return None
    return error_page(request, 403, "csrf_title", "csrf")


def set_session_cookie(request: Request, answer: HTTPResponse, token: str) -> None:
    _cookie(request, answer, SESSION_COOKIE, token)


def clear_session_cookie(answer: BaseHTTPResponse) -> None:
    del answer.cookies[SESSION_COOKIE]
    answer.cookies[SESSION_COOKIE]["httponly"] = True
    answer.cookies[SESSION_COOKIE]["samesite"] = "Strict"


def _cookie(request: Request, answer: BaseHTTPResponse, name: str, value: str) -> None:
    """HttpOnly, SameSite=Strict, and Secure when the request came over TLS (or the setting says so).
    No expiry: a session cookie, gone when the browser closes; the server enforces the timeouts."""
    answer.cookies[name] = value
    answer.cookies[name]["httponly"] = True
    answer.cookies[name]["samesite"] = "Strict"
    answer.cookies[name]["path"] = "/"
    if request.scheme == "https" or bool(config.console_settings().get("secure_cookies")):
        answer.cookies[name]["secure"] = True


async def finish_response(request: Request, answer: BaseHTTPResponse) -> None:
    """Security headers and no-store on every answer; the login CSRF cookie when one was made; the
    session cookie removed once its session has ended."""
    for header, value in SECURITY_HEADERS.items():
        answer.headers.setdefault(header, value)
    if request.path.startswith("/static/"):
        answer.headers["Cache-Control"] = "no-cache"
    new_login_csrf = getattr(request.ctx, "new_login_csrf", None)
    if new_login_csrf and LOGIN_CSRF_COOKIE not in answer.cookies:
        _cookie(request, answer, LOGIN_CSRF_COOKIE, new_login_csrf)
    if getattr(request.ctx, "session_ended", False) and SESSION_COOKIE not in answer.cookies:
        clear_session_cookie(answer)
