"""The widget's files as browsers fetch them, on the bot's own site or embedded in another: its ES
modules (widget/*.js), its stylesheets, and its wording (content/widget.yml, served as JSON).

The wording is data beside the code rather than a line prepended to the script, so every file is served
exactly as it is in the repository and the same script works on every site. Only the names listed here
are served, each with its own content type: a request for anything else, a path included, is a 404.

A site on the widget's allow-list loads the modules with `<script type="module">`, which browsers fetch
in CORS mode (as they do the wording): each answer names that site in Access-Control-Allow-Origin. Rasa's
own CORS layer (sanic-cors, configured by `serve` from the same allow-list) would add that header too, and
a doubled header is refused by browsers, so the asset route tells it that CORS is already answered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic_cors.core import SANIC_CORS_EVALUATED

from prevent_assistant.content import load_content
from prevent_assistant.paths import PROJECT

__all__ = ["ASSET_TYPES", "DEMO_PAGE", "MODULES", "WIDGET_DIR", "WORDING_FILE", "asset", "asset_response"]

WIDGET_DIR = PROJECT.widget_dir
# The demo page (served at the channel's root, not under static/).
DEMO_PAGE = "index.html"
# The wording's name beside the modules; widget/config.js asks for the same name.
WORDING_FILE = "wording.json"
# The entry module first; the rest are what it imports (docs/widget.md says what each holds).
MODULES = (
    "widget.js",
    "config.js",
    "conversation.js",
    "dom.js",
    "records.js",
    "richtext.js",
    "storage.js",
    "transport.js",
    "ui.js",
    "view.js",
)
JAVASCRIPT = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
ASSET_TYPES: Mapping[str, str] = {
    **dict.fromkeys(MODULES, JAVASCRIPT),
    "widget.css": CSS,
    "pages.css": CSS,
    WORDING_FILE: "application/json",
}


@cache
def asset(name: str) -> str:
    """A file's text (an asset or the demo page), read once per process: files change only with a release."""
    if name == WORDING_FILE:
        return json.dumps(load_content("widget"), ensure_ascii=False)
    return (WIDGET_DIR / name).read_text(encoding="utf-8")


def cors_headers(request: Request, origin: str | None) -> dict[str, str]:
    """CORS for one asset answer: the allowed site that asked (None: same origin, nothing to allow).

    Vary: Origin always, so that a cache never hands one site's answer to another.
    """
    setattr(request.ctx, SANIC_CORS_EVALUATED, "1")  # sanic-cors then adds nothing of its own
    if origin is None:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def asset_response(
    request: Request, name: str, origin: str | None, headers: Mapping[str, str]
) -> HTTPResponse:
    """One widget file, with `headers` (the channel's security headers) and the CORS answer for `origin`,
    which the channel has already checked against its allow-list."""
    if name not in ASSET_TYPES:
        return response.json({"error": f"the widget has no file called {name!r}"}, status=404)
    # no-cache: browsers may keep a copy but ask first, so a release reaches everyone at once.
    answer_headers = {**headers, "Cache-Control": "no-cache", **cors_headers(request, origin)}
    return response.text(asset(name), content_type=ASSET_TYPES[name], headers=answer_headers)
