"""The widget channel over HTTP on the real server: what it serves (the demo page, the widget's files, the
privacy and accessibility pages), and how it refuses bad requests."""

from __future__ import annotations

import html
import json
import re
import uuid
from types import SimpleNamespace

import pytest
import requests

from conftest import ROOT, load_yaml
from prevent_assistant.channels.widget import (
    CONTENT_SECURITY_POLICY,
    SECURITY_HEADERS,
    BadRequest,
    WidgetInput,
)
from prevent_assistant.pages import PAGES, render_page, text_html
from prevent_assistant.settings import describe_duration, handoff_transcript_turns, organisation, retention


def widget_url(stack, path: str = "") -> str:
    return f"{stack.rasa_url}/webhooks/widget/{path}"


def post(stack, body: bytes | str, headers: dict | None = None) -> requests.Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    headers = {"Content-Type": "application/json", **(headers or {})}
    return requests.post(widget_url(stack, "webhook"), data=data, headers=headers, timeout=60)


def sender() -> str:
    return uuid.uuid4().hex


def test_demo_page_is_served_with_a_strict_content_security_policy(stack):
    page = requests.get(widget_url(stack), timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "*" not in CONTENT_SECURITY_POLICY
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert '<div id="prevent-assistant"></div>' in page.text
    assert 'src="static/widget.js"' in page.text


def test_the_widget_files_are_served_as_written_and_nothing_else_is(stack):
    script = requests.get(widget_url(stack, "static/widget.js"), timeout=10)
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert script.text.startswith("// @ts-check")  # the file itself, nothing prepended
    assert requests.get(widget_url(stack, "static/widget.css"), timeout=10).status_code == 200
    assert requests.get(widget_url(stack, "static/..%2Fcredentials.yml"), timeout=10).status_code == 404
    assert requests.get(widget_url(stack, "static/settings.yml"), timeout=10).status_code == 404


def test_a_message_gets_the_bots_replies(stack):
    replies = post(stack, f'{{"sender": "{sender()}", "message": "is prevent spying?"}}')
    assert replies.status_code == 200
    assert replies.json()[0]["text"].startswith("Prevent is not spying")


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        pytest.param(b"", 400, "must be JSON", id="empty-body"),
        pytest.param(b'{"sender": "abc', 400, "must be JSON", id="malformed-json"),
        pytest.param(b'["a list"]', 400, "must be a JSON object", id="not-an-object"),
        pytest.param(b'{"message": "hello"}', 400, "sender must be", id="missing-sender"),
        pytest.param(b'{"sender": "x", "message": "hello"}', 400, "sender must be", id="short-sender"),
        pytest.param(
            b'{"sender": "abcdefgh12", "message": 42}', 400, "message must be a string", id="non-text"
        ),
        pytest.param(
            b'{"sender": "abcdefgh12", "message": "\xff\xfe"}', 400, "not valid UTF-8", id="invalid-utf8"
        ),
        pytest.param(
            ('{"sender": "abcdefgh12", "message": "' + "a" * 10_000 + '"}').encode(),
            413,
            "longer than 5000 characters",
            id="10kB-message",
        ),
        pytest.param(b"x" * 1_000_000, 413, "larger than 16384 bytes", id="1MB-body"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_reason(stack, body, status, reason):
    refused = post(stack, body)
    assert refused.status_code == status
    assert reason in refused.json()["error"]
    # ...and the server keeps serving.
    assert post(stack, f'{{"sender": "{sender()}", "message": "hello"}}').status_code == 200


def test_nul_bytes_and_markup_get_a_sensible_reply(stack):
    body = json.dumps({"sender": sender(), "message": "is prevent\u0000 spying <script>x</script>"})
    replies = post(stack, body)
    assert replies.status_code == 200 and replies.json()


def test_other_sites_are_refused_unless_allowed(stack):
    body = f'{{"sender": "{sender()}", "message": "hello"}}'
    refused = post(stack, body, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert "https://evil.example is not allowed" in refused.json()["error"]
    preflight = requests.options(
        widget_url(stack, "webhook"), headers={"Origin": "https://evil.example"}, timeout=10
    )
    assert preflight.headers.get("Access-Control-Allow-Origin") not in ("*", "https://evil.example")
    assert post(stack, body, headers={"Origin": stack.rasa_url}).status_code == 200  # same origin


def request_from(origin: str | None) -> SimpleNamespace:
    return SimpleNamespace(headers={"origin": origin} if origin else {}, scheme="http", host="bot.local:5005")


def test_allow_list_admits_only_listed_origins():
    channel = WidgetInput(allowed_origins=["https://www.council.example/"])
    assert channel.cross_origin(request_from("https://www.council.example")) == "https://www.council.example"
    assert channel.cross_origin(request_from(None)) is None
    assert channel.cross_origin(request_from("http://bot.local:5005")) is None
    with pytest.raises(BadRequest) as refused:
        channel.cross_origin(request_from("https://www.council.example.evil.net"))
    assert refused.value.status == 403


def test_a_wildcard_origin_is_refused_at_start_up():
    with pytest.raises(ValueError, match="must list origins"):
        WidgetInput(allowed_origins=["*"])


# --- The privacy notice and accessibility statement the widget links to ---------------------------------
PAGE_CONTENT = {name: load_yaml(f"content/{name}.yml") for name in PAGES}
WIDGET_WORDS = load_yaml("content/widget.yml")


@pytest.mark.parametrize("name", PAGES)
def test_pages_are_served_with_the_demo_pages_headers_and_the_facts_from_settings(stack, name):
    page = requests.get(widget_url(stack, name), timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    for header, value in SECURITY_HEADERS.items():
        assert page.headers[header] == value
    assert html.escape(organisation()) in page.text
    assert html.escape(PAGE_CONTENT[name]["title"]) in page.text
    assert "<script" not in page.text and "style=" not in page.text  # nothing the policy would block
    assert 'href="tel:+448000113764"' in page.text and 'href="tel:999"' in page.text
    stylesheet = requests.get(widget_url(stack, "static/pages.css"), timeout=10)
    assert stylesheet.status_code == 200 and stylesheet.headers["Content-Type"].startswith("text/css")


def test_privacy_notice_states_retention_and_handoff_size_from_settings(stack):
    text = requests.get(widget_url(stack, "privacy"), timeout=10).text
    assert f"for {describe_duration(retention())} after its last message" in text
    assert f"last {handoff_transcript_turns()} messages" in text


@pytest.mark.parametrize(
    ("name", "label"),
    [("privacy", "delete_label"), ("privacy", "keep_label"), ("accessibility", "quick_exit_label")],
)
def test_pages_name_the_widgets_controls_as_the_widget_does(name, label):
    """The pages quote buttons by name: if content/widget.yml renames one, the page must follow."""
    assert html.escape(WIDGET_WORDS[label]) in render_page(name)


def test_page_text_is_escaped_with_placeholders_filled_and_phone_numbers_linked():
    rendered = text_html(
        "<b>{organisation}</b>: call 0800 011 3764 or 999, not 19990.", {"organisation": "A&B"}
    )
    assert rendered == (
        '&lt;b&gt;A&amp;B&lt;/b&gt;: call <a href="tel:+448000113764">0800 011 3764</a> or '
        '<a href="tel:999">999</a>, not 19990.'
    )


def test_only_the_two_pages_are_rendered():
    with pytest.raises(KeyError):
        render_page("../settings")


def noscript_text(document: str) -> str:
    """The <noscript> block's words and links, whatever its indentation and classes."""
    block = re.search(r"<noscript>(.*?)</noscript>", document, re.DOTALL)
    assert block, "no <noscript> block"
    return " ".join(re.sub(r' class="[^"]*"', "", block.group(1)).split())


def test_demo_page_and_the_readme_embed_snippet_have_the_same_no_javascript_fallback(stack):
    served = noscript_text(requests.get(widget_url(stack), timeout=10).text)
    assert 'href="tel:+448000113764">0800 011 3764</a>' in served
    assert "9am to 5pm every day" in served and 'href="tel:999">999</a>' in served
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```html\n(<div id=\"prevent-assistant\"></div>.*?)```", readme, re.DOTALL)
    assert snippet, "README.md's embed snippet is missing"
    assert noscript_text(snippet.group(1)) == served
