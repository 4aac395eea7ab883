"""The console's Sanic app: one blueprint per area, the shared security middleware, pages and errors.

A separate process from the public Rasa server (its own port, default 127.0.0.1:5006), never routed by the
public proxy. To add an area (the handoff pages), write a Blueprint whose handlers use
`web.require_role(...)`, `web.render(...)` and `web.audit(...)`, add it to `blueprints()` below, and give
its links to `NAV` (labels in content/console.yml under `nav:`).
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from sanic import Blueprint, Sanic, response
from sanic.exceptions import MethodNotSupported, NotFound, PayloadTooLarge, SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.console.admin import admin
from prevent_assistant.console.answers import answer_pages
from prevent_assistant.console.auth import auth
from prevent_assistant.console.changes import change_pages
from prevent_assistant.console.handoffs import handoff_pages
from prevent_assistant.console.inbox import inbox_pages
from prevent_assistant.console.models import models_pages
from prevent_assistant.console.stats import stats_pages
from prevent_assistant.console.stories import story_pages
from prevent_assistant.console.web import (
    NavItem,
    error_page,
    finish_response,
    load_session,
    render,
    require_role,
    signed_in,
    wording,
)
from prevent_assistant.paths import PROJECT_ROOT

STATIC = Path(__file__).resolve().parent / "static"
APP_NAME = "prevent_console"
# Forms are small; anything larger is refused before it is read.
MAX_REQUEST_BYTES = 64 * 1024
NAV = [
    NavItem("/", "home", ("handler", "editor", "admin")),
    NavItem("/handoffs", "handoffs", ("handler",)),
    NavItem("/inbox", "inbox", ("editor", "admin")),
    NavItem("/answers", "answers", ("editor", "admin")),
    NavItem("/changes", "changes", ("editor", "admin")),
    NavItem("/models", "models", ("editor", "admin")),
    NavItem("/stories", "stories", ("editor", "admin")),
    NavItem("/stats", "stats", ("editor", "admin")),
    NavItem("/admin/accounts", "accounts", ("admin",)),
    NavItem("/audit", "audit", ("admin",)),
    NavItem("/account/password", "password", ("handler", "editor", "admin")),
]
logger = logging.getLogger(__name__)

home = Blueprint("console_home")


@home.get("/")
@require_role()
async def home_page(request: Request) -> HTTPResponse:
    """What this account's role can do, and links to it."""
    session = signed_in(request)
    assert session is not None  # require_role
    t = wording()
    role = session.account.role
    return render(
        request,
        "home.html",
        intro=t["home"]["intro"].format(role=t["roles"][role]),
        abilities=t["home"]["roles"].get(role, []),
    )


@home.get("/health")
async def health(request: Request) -> HTTPResponse:
    """For the process manager and tests: answers once the app serves."""
    return response.text("ok")


def blueprints() -> list[Blueprint]:
    """Every area of the console. Add the handoff pages' blueprint here."""
    return [
        home,
        auth,
        admin,
        handoff_pages,
        models_pages,
        answer_pages,
        change_pages,
        inbox_pages,
        stats_pages,
        story_pages,
    ]


def _error(request: Request, exception: Exception) -> HTTPResponse:
    """A plain page for every error, with the console's headers; never a traceback."""
    if isinstance(exception, NotFound):
        return error_page(request, 404, "not_found_title", "not_found")
    if isinstance(exception, MethodNotSupported):
        return error_page(request, 405, "method_title", "method")
    if isinstance(exception, PayloadTooLarge):
        return error_page(request, 413, "too_large_title", "too_large")
    if isinstance(exception, SanicException) and 400 <= exception.status_code < 500:
        return error_page(request, exception.status_code, "method_title", "method")
    # The type and where it happened; not the message, which could quote what someone typed.
    where = traceback.extract_tb(exception.__traceback__)[-1:] if exception.__traceback__ else []
    place = f" at {where[0].filename}:{where[0].lineno}" if where else ""
    logger.error("console error: %s%s", type(exception).__name__, place)
    return error_page(request, 500, "server_title", "server")


def create_app(name: str = APP_NAME, project: Path | None = None) -> Sanic:
    """The console for `project` (the folder `prevent-assistant --project` names; default: the installed
    project): the staff pages read and change its files and models, `request.app.ctx.project`."""
    app = Sanic(name)
    app.ctx.project = (project or PROJECT_ROOT).resolve()
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.config.FALLBACK_ERROR_FORMAT = "html"
    app.ctx.nav = list(NAV)
    app.register_middleware(load_session, "request")
    app.register_middleware(finish_response, "response")
    app.error_handler.add(Exception, _error)
    app.static("/static", str(STATIC))
    for blueprint in blueprints():
        app.blueprint(blueprint)
    return app
