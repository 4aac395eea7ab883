"""The website chat widget's Rasa input channel: serves the widget, the demo page, the privacy notice and
accessibility statement the widget links to (rendered by pages.py), and takes messages.

Serving the page, the script and the webhook from one blueprint puts them on the bot's own origin, so the
demo needs no CORS. Other sites may embed the widget only if their origin is on the allow-list in
credentials.yml. Messages go through the same checks and rate limits as the REST channel's
(channels.guard), and their text is never logged.
"""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.channels.base import NO_STORE, GuardedInput, OnNewMessage
from prevent_assistant.channels.guard import BadRequest, refusal
from prevent_assistant.channels.widget_assets import DEMO_PAGE, asset, asset_response
from prevent_assistant.pages import render_page

__all__ = ["CONTENT_SECURITY_POLICY", "BadRequest", "WidgetInput"]

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


class WidgetInput(GuardedInput):
    """Input channel `widget`: demo page at /webhooks/widget/, messages at /webhooks/widget/webhook, and the
    pages the widget's footer links to at /webhooks/widget/privacy and /webhooks/widget/accessibility."""

    @classmethod
    def name(cls) -> str:
        return "widget"

    default_max_body_bytes = 16_384

    def __init__(self, allowed_origins: list[str] | None = None, **limits: Any) -> None:
        """`allowed_origins`: other sites that may embed the widget; `limits` as GuardedInput takes them."""
        if "*" in (allowed_origins or []):
            raise ValueError("widget.allowed_origins must list origins; '*' would let any site use the bot")
        self.allowed_origins = {origin.rstrip("/") for origin in allowed_origins or []}
        super().__init__(**limits)

    # --- request checks ---------------------------------------------------------------------------------
    def response_headers(self, request: Request) -> dict[str, str]:
        """A site that is not allowed is refused (403) before anything else is read."""
        return cors_headers(self.cross_origin(request))

    def cross_origin(self, request: Request) -> str | None:
        """The calling site's origin when it is another site that is allowed; None when same-origin."""
        origin = request.headers.get("origin")
        if not origin or origin == f"{request.scheme}://{request.host}":
            return None
        if origin.rstrip("/") in self.allowed_origins:
            return origin
        raise BadRequest(403, f"origin {origin} is not allowed to use this assistant")

    # --- routes -----------------------------------------------------------------------------------------
    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        widget = Blueprint("prevent_widget", __name__)

        @widget.route("/", methods=["GET"])
        async def demo_page(request: Request) -> HTTPResponse:
            return response.html(asset(DEMO_PAGE), headers=SECURITY_HEADERS)

        # Beside the widget, so widget.js finds them from its own address, on any site that embeds it.
        @widget.route("/privacy", methods=["GET"])
        async def privacy_notice(request: Request) -> HTTPResponse:
            return response.html(render_page("privacy"), headers=SECURITY_HEADERS)

        @widget.route("/accessibility", methods=["GET"])
        async def accessibility_statement(request: Request) -> HTTPResponse:
            return response.html(render_page("accessibility"), headers=SECURITY_HEADERS)

        # The widget's modules, stylesheets and wording (channels/widget_assets.py); a site that is not on
        # the allow-list is refused, as it is at the webhook.
        @widget.route("/static/<name>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            try:
                origin = self.cross_origin(request)
            except BadRequest as refused:
                return refusal(refused)
            return asset_response(request, name, origin, SECURITY_HEADERS)

        self.add_webhook(widget, on_new_message)
        return widget


def cors_headers(origin: str | None) -> dict[str, str]:
    """Headers for every webhook answer to a site that is allowed to embed the widget, refusals included.

    Access-Control-Allow-Origin and Vary come from Rasa's CORS layer, which `serve` configures from the
    same allow-list (and which also answers preflight requests): it adds them to every response, so
    setting them here too would send them twice, and browsers refuse a doubled Allow-Origin.
    """
    if origin is None:
        return dict(NO_STORE)
    return {"Access-Control-Expose-Headers": "Retry-After", **NO_STORE}
