"""The website chat widget's Rasa input channel: serves the widget, the demo page, the privacy notice and
accessibility statement the widget links to (rendered by pages.py), and takes messages.

Serving the page, the script and the webhook from one blueprint puts them on the bot's own origin, so the
demo needs no CORS. Other sites may embed the widget only if their origin is on the allow-list in
credentials.yml. Messages go through the same checks and rate limits as the REST channel's
(channels.guard), and their text is never logged.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from typing import Any

import yaml
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.channels.guard import BadRequest, admit, answer, rate_limiter_for, refusal
from prevent_assistant.pages import render_page
from prevent_assistant.settings import PROJECT_ROOT

__all__ = ["CONTENT_SECURITY_POLICY", "BadRequest", "WidgetInput"]

WIDGET_DIR = PROJECT_ROOT / "widget"
WIDGET_CONTENT = PROJECT_ROOT / "content" / "widget.yml"
STATIC_TYPES = {"widget.js": "application/javascript", "widget.css": "text/css", "pages.css": "text/css"}

# No inline script or style, nothing from another host, no framing: the page a worried person types into
# can run only the project's own files. The privacy and accessibility pages get the same policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@cache
def static_file(name: str) -> str:
    """The widget's files, read once; widget.js gets its wording from content/widget.yml in front."""
    text = (WIDGET_DIR / name).read_text(encoding="utf-8")
    if name == "widget.js":
        config = yaml.safe_load(WIDGET_CONTENT.read_text(encoding="utf-8"))
        text = f"window.PreventWidgetConfig = {json.dumps(config)};\n{text}"
    return text


class WidgetInput(InputChannel):
    """Input channel `widget`: demo page at /webhooks/widget/, messages at /webhooks/widget/webhook, and the
    pages the widget's footer links to at /webhooks/widget/privacy and /webhooks/widget/accessibility."""

    @classmethod
    def name(cls) -> str:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WidgetInput:
        return cls(**(credentials or {}))

    def __init__(
        self,
        allowed_origins: list[str] | None = None,
        max_body_bytes: int = 16_384,
        max_message_chars: int = 5_000,
        rate_limit: Mapping[str, Any] | None = None,
    ) -> None:
        if "*" in (allowed_origins or []):
            raise ValueError("widget.allowed_origins must list origins; '*' would let any site use the bot")
        self.allowed_origins = {origin.rstrip("/") for origin in allowed_origins or []}
        self.max_body_bytes = max_body_bytes
        self.max_message_chars = max_message_chars
        self.rate_limiter = rate_limiter_for(self.name(), rate_limit)

    # --- request checks ---------------------------------------------------------------------------------
    def cross_origin(self, request: Request) -> str | None:
        """The calling site's origin when it is another site that is allowed; None when same-origin."""
        origin = request.headers.get("origin")
        if not origin or origin == f"{request.scheme}://{request.host}":
            return None
        if origin.rstrip("/") in self.allowed_origins:
            return origin
        raise BadRequest(403, f"origin {origin} is not allowed to use this assistant")

    # --- routes -----------------------------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        widget = Blueprint("prevent_widget", __name__)

        @widget.route("/", methods=["GET"])
        async def demo_page(request: Request) -> HTTPResponse:
            return response.html(static_file("index.html"), headers=SECURITY_HEADERS)

        # Beside the widget, so widget.js finds them from its own address, on any site that embeds it.
        @widget.route("/privacy", methods=["GET"])
        async def privacy_notice(request: Request) -> HTTPResponse:
            return response.html(render_page("privacy"), headers=SECURITY_HEADERS)

        @widget.route("/accessibility", methods=["GET"])
        async def accessibility_statement(request: Request) -> HTTPResponse:
            return response.html(render_page("accessibility"), headers=SECURITY_HEADERS)

        @widget.route("/static/<name>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            if name not in STATIC_TYPES:
                return response.json({"error": "not found"}, status=404)
            headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}
            return response.text(static_file(name), content_type=STATIC_TYPES[name], headers=headers)

        @widget.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                origin = self.cross_origin(request)
            except BadRequest as refused:
                return refusal(refused)
            headers = cors_headers(origin)
            try:
                sender, message = await admit(
                    request, self.max_body_bytes, self.max_message_chars, self.rate_limiter
                )
            except BadRequest as refused:
                return refusal(refused, headers)
            return await answer(request, on_new_message, message, sender, self.name(), headers)

        return widget


def cors_headers(origin: str | None) -> dict[str, str]:
    """Headers for every webhook answer to a site that is allowed to embed the widget, refusals included.

    Access-Control-Allow-Origin and Vary come from Rasa's CORS layer, which `serve` configures from the
    same allow-list (and which also answers preflight requests): it adds them to every response, so
    setting them here too would send them twice, and browsers refuse a doubled Allow-Origin.
    """
    if origin is None:
        return {"Cache-Control": "no-store"}
    return {"Access-Control-Expose-Headers": "Retry-After", "Cache-Control": "no-store"}
