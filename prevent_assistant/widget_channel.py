"""The website chat widget's Rasa input channel: serves the widget and the demo page, and takes messages.

Serving the page, the script and the webhook from one blueprint puts them on the bot's own origin, so the
demo needs no CORS. Other sites may embed the widget only if their origin is on the allow-list in
credentials.yml. Unlike Rasa's REST channel, this one validates every request and never logs message text.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

WIDGET_DIR = PROJECT_ROOT / "widget"
WIDGET_CONTENT = PROJECT_ROOT / "content" / "widget.yml"
SENDER = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
STATIC_TYPES = {"widget.js": "application/javascript", "widget.css": "text/css"}

# No inline script or style, nothing from another host, no framing: the page a worried person types into
# can run only the project's own files.
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


class BadRequest(Exception):
    """A request the channel refuses, with the HTTP status and a reason a developer can act on."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@cache
def static_file(name: str) -> str:
    """The widget's files, read once; widget.js gets its wording from content/widget.yml in front."""
    text = (WIDGET_DIR / name).read_text(encoding="utf-8")
    if name == "widget.js":
        config = yaml.safe_load(WIDGET_CONTENT.read_text(encoding="utf-8"))
        text = f"window.PreventWidgetConfig = {json.dumps(config)};\n{text}"
    return text


class WidgetInput(InputChannel):
    """Input channel `widget`: demo page at /webhooks/widget/, messages at /webhooks/widget/webhook."""

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
    ) -> None:
        if "*" in (allowed_origins or []):
            raise ValueError("widget.allowed_origins must list origins; '*' would let any site use the bot")
        self.allowed_origins = {origin.rstrip("/") for origin in allowed_origins or []}
        self.max_body_bytes = max_body_bytes
        self.max_message_chars = max_message_chars

    # --- request checks ---------------------------------------------------------------------------------
    def cross_origin(self, request: Request) -> str | None:
        """The calling site's origin when it is another site that is allowed; None when same-origin."""
        origin = request.headers.get("origin")
        if not origin or origin == f"{request.scheme}://{request.host}":
            return None
        if origin.rstrip("/") in self.allowed_origins:
            return origin
        raise BadRequest(403, f"origin {origin} is not allowed to use this assistant")

    def parse(self, request: Request) -> tuple[str, str]:
        """(sender, message) from a valid body, or BadRequest saying what is wrong with it."""
        if len(request.body or b"") > self.max_body_bytes:
            raise BadRequest(413, f"request body is larger than {self.max_body_bytes} bytes")
        try:
            body = json.loads((request.body or b"").decode("utf-8"))
        except UnicodeDecodeError:
            raise BadRequest(400, "request body is not valid UTF-8") from None
        except json.JSONDecodeError:
            raise BadRequest(400, 'request body must be JSON: {"sender": "...", "message": "..."}') from None
        if not isinstance(body, dict):
            raise BadRequest(400, 'request body must be a JSON object: {"sender": "...", "message": "..."}')
        sender, message = body.get("sender"), body.get("message")
        if not isinstance(sender, str) or not SENDER.match(sender):
            raise BadRequest(400, "sender must be a random id of 8-64 letters, digits, '-' or '_'")
        if not isinstance(message, str):
            raise BadRequest(400, "message must be a string")
        if len(message) > self.max_message_chars:
            raise BadRequest(413, f"message is longer than {self.max_message_chars} characters")
        return sender, message.replace("\x00", "")

    # --- routes -----------------------------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        widget = Blueprint("prevent_widget", __name__)

        @widget.route("/", methods=["GET"])
        async def demo_page(request: Request) -> HTTPResponse:
            return response.html(static_file("index.html"), headers=SECURITY_HEADERS)

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
                sender, message = self.parse(request)
            except BadRequest as refused:
                return response.json({"error": refused.reason}, status=refused.status)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(message, collector, sender, input_channel=self.name()))
            except Exception:  # noqa: BLE001 - the person gets a reply, the log gets the cause, not the text
                logger.exception("widget message could not be handled")
                return response.json(
                    {"error": "the assistant could not answer just now"},
                    status=503,
                    headers=cors_headers(origin),
                )
            return response.json(collector.messages, headers=cors_headers(origin))

        return widget


def cors_headers(origin: str | None) -> dict[str, str]:
    """Preflight (OPTIONS) is answered by Rasa's CORS layer, which `serve` configures from the same list."""
    if origin is None:
        return {"Cache-Control": "no-store"}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Cache-Control": "no-store"}
