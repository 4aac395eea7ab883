"""The widget embedded in another site, as a council would: the page comes from one origin and the widget's
ES modules, wording and webhook from the assistant's, in a real browser (Debian's Chromium, driven by
Playwright) against a real stack whose allow-list names one of two host sites.

Also what the asset route serves to such a site: each module and the wording with exactly one
Access-Control-Allow-Origin (Rasa's own CORS layer must not add a second), and a 403 for a site that is
not on the list.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import yaml
from test_widget_browser import LABELS, answer_start, ask, launcher, open_widget

from conftest import ROOT, free_port, start_stack
from prevent_assistant.channels.widget_assets import ASSET_TYPES, MODULES, WORDING_FILE

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CHANNEL = "prevent_assistant.channels.widget.WidgetInput"
MAX_MODULE_LINES = 300


@dataclass(frozen=True)
class Embedding:
    bot: str  # the assistant's origin
    allowed: str  # a host site on the allow-list
    refused: str  # a host site that is not

    def static(self, name: str) -> str:
        return f"{self.bot}/webhooks/widget/static/{name}"


def host_page(bot: str) -> bytes:
    """A council's page embedding the widget as docs/widget.md says, fallback included."""
    widget = f"{bot}/webhooks/widget/static/widget.js"
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Another council</title></head>
<body>
  <main>
    <h1>Community safety</h1>
    <div id="prevent-assistant"></div>
    <noscript>
      <p>Call the ACT Early Support Line on <a href="tel:+448000113764">0800 011 3764</a>.</p>
    </noscript>
    <script type="module" src="{widget}"></script>
  </main>
</body>
</html>""".encode()


def host_policy(bot: str) -> str:
    """The Content-Security-Policy docs/widget.md asks of a host page: the bot's origin for script, style
    and fetch, nothing inline."""
    return f"default-src 'self'; script-src 'self' {bot}; style-src 'self' {bot}; connect-src 'self' {bot}"


def serve_host_site(port: int, bot: str) -> ThreadingHTTPServer:
    """A tiny web server for one host site: its page at / with its CSP, and nothing else."""

    class HostPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path != "/":
                self.send_response(204 if self.path == "/favicon.ico" else 404)  # no icon, no error
                self.end_headers()
                return
            body = host_page(bot)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", host_policy(bot))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet test output

    server = ThreadingHTTPServer(("127.0.0.1", port), HostPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def embedding(tmp_path_factory) -> Iterator[Embedding]:
    """A stack whose widget allow-list names one host site (as credentials.yml would), and two host
    sites on other ports: the allowed one and one that is not on the list."""
    allowed_port, refused_port = free_port(), free_port()
    allowed = f"http://127.0.0.1:{allowed_port}"
    folder = tmp_path_factory.mktemp("embedding")
    channels = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    channels[CHANNEL]["allowed_origins"] = [allowed]
    credentials = folder / "credentials.yml"
    credentials.write_text(yaml.safe_dump(channels), encoding="utf-8")
    with start_stack(f"sqlite:///{folder / 'prevent.db'}", credentials=credentials) as stack:
        hosts = [serve_host_site(port, stack.rasa_url) for port in (allowed_port, refused_port)]
        try:
            yield Embedding(stack.rasa_url, allowed, f"http://127.0.0.1:{refused_port}")
        finally:
            for host in hosts:
                host.shutdown()
                host.server_close()


def allow_origin_headers(answer: requests.Response) -> list[str]:
    """Every Access-Control-Allow-Origin header as sent (a doubled one is two entries, not one merged)."""
    return answer.raw.headers.getlist("Access-Control-Allow-Origin")


# --- Over HTTP ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [*MODULES, WORDING_FILE, "widget.css"])
def test_each_file_is_served_to_an_allowed_site_with_one_allow_origin(embedding, name):
    answer = requests.get(embedding.static(name), headers={"Origin": embedding.allowed}, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(ASSET_TYPES[name].split(";")[0])
    assert allow_origin_headers(answer) == [embedding.allowed]
    assert "Origin" in answer.headers["Vary"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Credentials" not in answer.headers  # the widget sends no cookies


@pytest.mark.parametrize("name", ["widget.js", WORDING_FILE])
def test_a_site_not_on_the_allow_list_is_refused_the_files(embedding, name):
    refused = requests.get(embedding.static(name), headers={"Origin": embedding.refused}, timeout=10)
    assert refused.status_code == 403
    assert f"origin {embedding.refused} is not allowed" in refused.json()["error"]
    assert allow_origin_headers(refused) == []


def test_same_origin_requests_need_no_allow_origin(embedding):
    answer = requests.get(embedding.static("widget.js"), timeout=10)
    assert answer.status_code == 200 and allow_origin_headers(answer) == []


def test_the_webhook_answers_an_allowed_site_with_one_allow_origin(embedding):
    body = {"sender": "embedding-test-1", "message": "hello"}
    webhook = f"{embedding.bot}/webhooks/widget/webhook"
    answer = requests.post(webhook, json=body, headers={"Origin": embedding.allowed}, timeout=60)
    assert answer.status_code == 200
    assert allow_origin_headers(answer) == [embedding.allowed]


def test_the_wording_is_the_content_file_as_data_and_the_script_is_served_as_written(embedding):
    wording = requests.get(embedding.static(WORDING_FILE), timeout=10)
    assert wording.json() == yaml.safe_load((ROOT / "content" / "widget.yml").read_text(encoding="utf-8"))
    script = requests.get(embedding.static("widget.js"), timeout=10)
    assert script.text == (ROOT / "widget" / "widget.js").read_text(encoding="utf-8")  # nothing prepended
    missing = requests.get(embedding.static("..%2Fcredentials.yml"), timeout=10)
    assert missing.status_code == 404 and "no file called" in missing.json()["error"]


# --- The files themselves (no server) -----------------------------------------------------------------------
WIDGET = ROOT / "widget"


def test_every_module_is_served_and_none_is_over_300_lines():
    on_disk = sorted(path.name for path in WIDGET.glob("*.js"))
    assert on_disk == sorted(MODULES)
    for name in on_disk:
        text = (WIDGET / name).read_text(encoding="utf-8")
        assert text.startswith("// @ts-check\n"), f"{name} is not type-checked"
        assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{name} is over {MAX_MODULE_LINES} lines"


def imports_of(path: Path) -> set[str]:
    return set(re.findall(r"^import .* from '\./([\w.]+)';$", path.read_text(encoding="utf-8"), re.MULTILINE))


def test_modules_import_only_served_modules():
    for path in WIDGET.glob("*.js"):
        assert imports_of(path) <= set(MODULES), path.name


def test_every_wording_key_is_read_by_the_widget_and_none_is_in_its_code():
    config_js = (WIDGET / "config.js").read_text(encoding="utf-8")
    for key, words in LABELS.items():
        assert f"'{key}'" in config_js, f"content/widget.yml's {key} is not read by widget/config.js"
        for path in WIDGET.glob("*.js"):
            code = path.read_text(encoding="utf-8")
            assert not any(f"{quote}{words}{quote}" in code for quote in "'\"`"), f"{key} is in {path.name}"


# --- In a browser -------------------------------------------------------------------------------------------
def test_an_allowed_site_embeds_the_widget_and_has_a_conversation(browser, embedding):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: m.type == "error" and problems.append(m.text))
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.goto(embedding.allowed)
    log = open_widget(tab)
    ask(tab, "is prevent spying on families")
    expect(log).to_contain_text(answer_start("utter_myth_spying"), timeout=30_000)
    # The widget added its own stylesheet from the bot's origin, and links to the bot's pages.
    assert tab.evaluate("() => getComputedStyle(document.querySelector('.pa-panel')).position") == "fixed"
    privacy = tab.get_by_role("dialog").get_by_role("link", name=LABELS["privacy_label"])
    expect(privacy).to_have_attribute("href", f"{embedding.bot}/webhooks/widget/privacy")
    assert problems == []
    context.close()


def test_a_site_not_on_the_allow_list_gets_no_widget(browser, embedding):
    context = browser.new_context()
    tab = context.new_page()
    failed: list[str] = []
    tab.on("requestfailed", lambda request: failed.append(request.url))
    with tab.expect_console_message(lambda message: "CORS" in message.text) as blocked:
        tab.goto(embedding.refused)
    assert embedding.static("widget.js") in blocked.value.text
    tab.wait_for_load_state("load")
    assert failed == [embedding.static("widget.js")]  # and so nothing else of the widget's was fetched
    expect(launcher(tab)).to_have_count(0)
    context.close()
