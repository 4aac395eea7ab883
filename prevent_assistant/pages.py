"""The privacy notice and accessibility statement that the widget links to, rendered on the server.

Their words are in content/privacy.yml and content/accessibility.yml: a title and sections, each a heading
and paragraphs. The facts in them (who runs the assistant, how long things are kept, how many messages a
handoff keeps) are filled in from settings.yml, so the pages always say what the system does. Every piece
of text is HTML-escaped, placeholders' values included: staff edit these files, and a stray "<" must show
as "<", never become markup. The pages run no script and have no inline style, so they are served under
the demo page's strict Content-Security-Policy (channels/widget.py), with their look in widget/pages.css.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any

from prevent_assistant.content import load_content
from prevent_assistant.settings import describe_duration, handoff_transcript_turns, organisation, retention

PAGES = ("privacy", "accessibility")
# Relative, so it resolves next to the page wherever the channel is mounted (/webhooks/widget/static/...).
STYLESHEET = "static/pages.css"

# As in the widget: a UK number as written (0 then 9 or 10 more digits, single spaces allowed) or 999. It
# matches digits and spaces only, so it can never match inside an escape that html.escape wrote.
PHONE_NUMBER = re.compile(r"(?<![\w+])0(?: ?\d){9,10}(?!\w)|(?<![\w.,])999(?![\w]|[.,]\d)")


def facts() -> dict[str, Any]:
    """The placeholders' values: {organisation}, {retention} and {turns}."""
    return {
        "organisation": organisation(),
        "retention": describe_duration(retention()),
        "turns": handoff_transcript_turns(),
    }


def _tel_link(match: re.Match[str]) -> str:
    written = match.group(0)
    digits = written.replace(" ", "")
    href = "tel:999" if digits == "999" else f"tel:+44{digits[1:]}"
    return f'<a href="{href}">{written}</a>'


def text_html(text: str, values: dict[str, Any]) -> str:
    """One piece of content as HTML: placeholders filled, then all of it escaped, then phone numbers made
    into tel: links, so someone reading on a phone can call the support line or 999 with one tap."""
    return PHONE_NUMBER.sub(_tel_link, html.escape(str(text).format_map(values)))


def _section(section: dict[str, Any], values: dict[str, Any]) -> str:
    heading = f"      <h2>{text_html(section['heading'], values)}</h2>\n"
    paragraphs = "".join(f"      <p>{text_html(p, values)}</p>\n" for p in section.get("paragraphs") or [])
    return f"    <section>\n{heading}{paragraphs}    </section>\n"


@cache
def render_page(name: str) -> str:
    """content/<name>.yml as a whole HTML page; read and rendered once per process, as the content is."""
    if name not in PAGES:
        raise KeyError(name)
    content = load_content(name)
    values = facts()
    title = text_html(content["title"], values)
    sections = "".join(_section(section, values) for section in content.get("sections") or [])
    return (
        "<!doctype html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '  <meta charset="utf-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '  <meta name="referrer" content="no-referrer">\n'
        f"  <title>{title}</title>\n"
        f'  <link rel="stylesheet" href="{STYLESHEET}">\n'
        "</head>\n"
        '<body class="pa-page">\n'
        '  <main class="pa-page__main">\n'
        f"    <h1>{title}</h1>\n"
        f"{sections}"
        "  </main>\n"
        "</body>\n"
        "</html>\n"
    )
