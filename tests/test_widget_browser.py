"""The chat widget in a real browser (Debian's Chromium, driven by Playwright) against the real servers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import yaml
from chromium import AXE, SCREENSHOTS, serious_violations, watch_csp
from limits import parse_many
from sqlalchemy import func, select

from conftest import MYTHS, ROOT, start_stack
from prevent_assistant.db import engine_for, session_scope
from prevent_assistant.db.conversations import events_table
from prevent_assistant.db.models import Handoff
from prevent_assistant.settings import DATABASE_URL_VARIABLE, describe_duration, organisation, retention

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

LABELS = yaml.safe_load((ROOT / "content" / "widget.yml").read_text(encoding="utf-8"))
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
HANDOFF = yaml.safe_load((ROOT / "content" / "handoff.yml").read_text(encoding="utf-8"))
MYTH_QUESTIONS = {
    "faith": "isn't prevent just there to target muslims",
    "spying": "is prevent basically spying on families",
    "criminalisation": "will a referral give my son a criminal record",
    "ideology": "does prevent only care about islamist extremism",
    "views": "can i get referred just for having strong political opinions",
}


@pytest.fixture
def page(browser, stack) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = watch_csp(context.new_page())
    opened.goto(f"{stack.rasa_url}/webhooks/widget/")
    yield opened
    context.close()


def launcher(page):
    return page.get_by_role("button", name=LABELS["launcher_label"])


def open_widget(page):
    launcher(page).click()
    log = page.get_by_role("log")
    expect(log).to_contain_text("automated assistant", timeout=30_000)  # the greeting
    return log


def ask(page, text: str) -> None:
    box = page.get_by_label(LABELS["input_label"])
    box.fill(text)
    box.press("Enter")


def answer_start(response: str) -> str:
    return DOMAIN["responses"][response][0]["text"].split(".")[0]


@pytest.mark.parametrize("myth", MYTHS)
def test_each_myth_gets_its_answer_and_clip_card(page, myth):
    log = open_widget(page)
    ask(page, MYTH_QUESTIONS[myth])
    expect(log).to_contain_text(answer_start(f"utter_myth_{myth}"), timeout=30_000)
    clip = next(
        v["custom"]["clip"]
        for v in DOMAIN["responses"]["utter_clip"]
        if v.get("condition", [{}])[0].get("value") == myth
    )
    card = log.get_by_role("article").filter(has_text=clip["title"])
    expect(card).to_be_visible()
    link = card.get_by_role("link", name=LABELS["watch_clip_label"])
    expect(link).to_have_attribute("href", clip["url"])
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    card.get_by_text(LABELS["summary_label"]).click()
    expect(card).to_contain_text(clip["summary"].split(".")[0])
    assert page.csp_errors == []


def share_button(log):
    return log.get_by_role("button", name=HANDOFF["share_button"], exact=True)


def test_asking_for_a_person_shows_a_tel_link_and_a_reference_once_shared(page):
    log = open_widget(page)
    ask(page, "can i talk to a real person")
    tel = log.locator('a[href="tel:+448000113764"]').first
    expect(tel).to_be_visible(timeout=30_000)
    expect(tel).to_have_text(re.compile(r"0800 011 3764"))
    expect(share_button(log)).to_be_visible(timeout=30_000)
    expect(log).not_to_contain_text("PRV-")  # nothing is kept before the person says yes
    share_button(log).click()
    expect(log).to_contain_text(re.compile(r"PRV-[A-Z0-9]{4}"), timeout=30_000)


def test_markup_is_shown_literally_and_never_run(page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log = open_widget(page)
    attack = "<img src=x onerror=alert(1)>"
    ask(page, attack)
    expect(log.get_by_text(attack, exact=True)).to_be_visible()
    expect(log.get_by_role("button").first).to_be_visible(timeout=30_000)  # the bot has answered
    assert log.locator("img").count() == 0
    assert dialogs == []


def test_a_malformed_link_is_shown_as_text_and_the_conversation_carries_on(page):
    """A tel: link whose %-escapes are cut short once threw while its reply was drawn, and the send queue,
    with nothing to catch that, then dropped every later message without a word."""
    malformed = "Call [the line](tel:%E0%A4%A) for help."

    def malformed_reply(route):
        if "a malformed link please" in (route.request.post_data or ""):
            route.fulfill(json=[{"recipient_id": "x", "text": malformed}])
        else:
            route.continue_()

    log = open_widget(page)
    page.route("**/webhooks/widget/webhook", malformed_reply)
    ask(page, "a malformed link please")
    expect(log).to_contain_text(malformed, timeout=30_000)  # exactly as written, not a link
    assert log.locator('a[href^="tel:%"]').count() == 0
    ask(page, "what is channel")
    expect(log).to_contain_text(answer_start("utter_what_is_channel"), timeout=30_000)
    expect(page.locator(".pa-typing")).to_be_empty()  # nothing is left waiting
    assert page.csp_errors == []


def test_reload_keeps_the_conversation(page):
    log = open_widget(page)
    ask(page, "what is channel")
    expect(log).to_contain_text(answer_start("utter_what_is_channel"), timeout=30_000)
    page.reload()
    log = page.get_by_role("log")
    if not log.is_visible():
        launcher(page).click()
    expect(log).to_contain_text("what is channel")
    expect(log).to_contain_text(answer_start("utter_what_is_channel"))
    ask(page, "/affirm")  # the same sender id continues the same conversation on the server
    expect(log.get_by_role("button").last).to_be_visible(timeout=30_000)


def stored_keys(page) -> int:
    return page.evaluate("() => sessionStorage.length + localStorage.length")


@pytest.mark.parametrize("how", ["button", "escape-twice"])
def test_quick_exit_clears_the_conversation_and_leaves(page, stack, how):
    page.route(
        LABELS["quick_exit_url"] + "*",
        lambda route: route.fulfill(body="<h1>Weather</h1>", content_type="text/html"),
    )
    log = open_widget(page)
    ask(page, "is prevent spying")
    expect(log).to_contain_text(answer_start("utter_myth_spying"), timeout=30_000)
    assert stored_keys(page) > 0
    if how == "button":
        page.get_by_role("button", name=LABELS["quick_exit_label"]).first.click()
    else:
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    page.wait_for_url(LABELS["quick_exit_url"] + "*")
    page.goto(f"{stack.rasa_url}/webhooks/widget/")  # same tab, same origin: its storage must be empty
    assert stored_keys(page) == 0
    launcher(page).click()
    expect(page.get_by_role("log")).not_to_contain_text("is prevent spying")


def test_dont_keep_option_stores_nothing(page):
    log = open_widget(page)
    page.get_by_label(LABELS["keep_label"]).check()
    ask(page, "what is prevent")
    expect(log).to_contain_text(answer_start("utter_what_is_prevent"), timeout=30_000)
    assert stored_keys(page) == 0


def test_sender_id_is_random_per_tab(browser, stack):
    ids = []
    for _ in range(2):
        context = browser.new_context()
        tab = context.new_page()
        tab.goto(f"{stack.rasa_url}/webhooks/widget/")
        open_widget(tab)
        ids.append(tab.evaluate("() => JSON.stringify(sessionStorage)"))
        context.close()
    assert ids[0] != ids[1]


def test_unreachable_server_shows_the_support_line_and_999(browser, tmp_path):
    context = browser.new_context()
    tab = context.new_page()
    with start_stack(f"sqlite:///{tmp_path / 'prevent.db'}") as doomed:
        tab.goto(f"{doomed.rasa_url}/webhooks/widget/")
        open_widget(tab)
    ask(tab, "hello, is anyone there?")  # the servers have stopped
    offline = tab.get_by_role("log").locator(".pa-msg--offline")
    expect(offline.locator('a[href="tel:+448000113764"]')).to_be_visible(timeout=20_000)
    expect(offline.locator('a[href="tel:999"]')).to_be_visible()
    expect(tab.get_by_label(LABELS["input_label"])).to_have_value("hello, is anyone there?")  # nothing lost
    context.close()


def test_sending_too_fast_shows_the_friendly_message_and_keeps_the_text(page):
    """Over the per-sender limit in credentials.yml, the server's 429 words appear in the conversation,
    announced like a reply, and what the person typed goes back in the box."""
    channel = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    limit = parse_many(channel["prevent_assistant.channels.widget.WidgetInput"]["rate_limit"]["per_sender"])[
        0
    ]
    log = open_widget(page)  # the greeting was the first message
    for n in range(limit.amount - 1):
        ask(page, f"hello {n}")
    ask(page, "one message too many")
    notice = log.locator(".pa-msg--limited")
    expect(notice).to_be_visible(timeout=60_000)
    expect(notice).to_contain_text(LABELS["assistant_said_label"])  # the hidden prefix of a reply
    expect(notice).to_contain_text(LABELS["rate_limited_message"].split(".")[0])
    expect(notice.locator('a[href="tel:999"]')).to_be_visible()
    expect(page.get_by_label(LABELS["input_label"])).to_have_value("one message too many")
    expect(log.locator(".pa-msg--user")).to_have_count(limit.amount - 1)  # the refused one is taken back
    assert page.csp_errors == []


def test_whole_conversation_with_the_keyboard_only(page):
    page.keyboard.press("Tab")
    for _ in range(10):  # tab until the launcher has focus (skip links and page content first)
        if launcher(page).evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    box = page.get_by_label(LABELS["input_label"])
    expect(box).to_be_focused()
    log = page.get_by_role("log")
    expect(log).to_contain_text("automated assistant", timeout=30_000)
    page.keyboard.type("what is prevent")
    page.keyboard.press("Enter")
    expect(log).to_contain_text(answer_start("utter_what_is_prevent"), timeout=30_000)
    yes = log.get_by_role("button", name="Yes").last
    for _ in range(40):
        if yes.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(log).to_contain_text("Here are five things people often get wrong", timeout=30_000)
    page.keyboard.press("Escape")
    expect(launcher(page)).to_be_focused()


@pytest.mark.parametrize(("width", "height"), [(320, 640), (640, 450)], ids=["320px", "200%-zoom"])
def test_narrow_and_zoomed_layouts_fit_without_sideways_scrolling(browser, stack, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.goto(f"{stack.rasa_url}/webhooks/widget/")
    open_widget(tab)
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= width
    expect(tab.get_by_label(LABELS["input_label"])).to_be_in_viewport()
    expect(tab.get_by_role("button", name=LABELS["send_label"])).to_be_in_viewport()
    context.close()


def test_axe_finds_no_serious_or_critical_violations_and_screenshots(browser, stack):
    results = {}
    for name, viewport in {"desktop": (1280, 900), "mobile-360": (360, 740)}.items():
        # bypass_csp lets the test inject axe-core; the page itself is served with the strict policy.
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
        tab = context.new_page()
        tab.goto(f"{stack.rasa_url}/webhooks/widget/")
        log = open_widget(tab)
        ask(tab, "is prevent only about muslims")
        expect(log.get_by_role("article")).to_be_visible(timeout=30_000)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"widget-{name}.png"))
        tab.add_script_tag(path=str(AXE))
        results[name] = tab.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"
        )
        context.close()
    assert results == {"desktop": [], "mobile-360": []}


def test_screenshots_for_the_readme_exist():
    """The committed copies the README shows; refreshed from test-artifacts/screenshots by hand."""
    for name in ("desktop", "mobile-360"):
        assert (ROOT / "docs" / "screenshots" / f"widget-{name}.png").stat().st_size > 10_000


# --- Deleting the conversation ----------------------------------------------------------------------------
ASSISTANT = yaml.safe_load((ROOT / "content" / "assistant.yml").read_text(encoding="utf-8"))
WORRIED = "my brother keeps watching extremist videos and I'm worried about him"


def delete_control(page):
    return page.get_by_role("button", name=LABELS["delete_label"], exact=True)


def delete_question(page):
    return page.get_by_role("group", name=LABELS["delete_confirm_text"])


def stored_conversation(page) -> str:
    """Everything this widget keeps in the browser, as one string (empty when nothing is kept)."""
    return page.evaluate(
        "() => [sessionStorage, localStorage].map(s => s.getItem('prevent-assistant') || '').join('')"
    )


def sender_of(page) -> str:
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('prevent-assistant')).sender")


def rows_stored_for(stack, sender: str) -> dict[str, int]:
    """What the stack's database holds for one conversation: Rasa's events and the project's handoffs."""
    url = stack.processes.servers["rasa"].env[DATABASE_URL_VARIABLE]
    events = events_table(engine_for(url))
    assert events is not None, "Rasa has stored no conversation in this database"
    with session_scope(url) as session:
        return {
            "events": session.scalar(
                select(func.count()).select_from(events).where(events.c.sender_id == sender)
            ),
            "handoffs": session.scalar(
                select(func.count()).select_from(Handoff).where(Handoff.conversation_id == sender)
            ),
        }


def test_delete_asks_first_and_cancel_keeps_everything(page):
    log = open_widget(page)
    ask(page, "what is channel")
    expect(log).to_contain_text(answer_start("utter_what_is_channel"), timeout=30_000)
    before, sender = stored_conversation(page), sender_of(page)
    control = delete_control(page)
    expect(control).to_have_attribute("aria-expanded", "false")
    control.click()
    question = delete_question(page)
    expect(question).to_be_visible()
    expect(control).to_have_attribute("aria-expanded", "true")
    cancel = question.get_by_role("button", name=LABELS["delete_cancel_label"], exact=True)
    expect(cancel).to_be_focused()  # the harmless choice; the question names the group it is in
    expect(question.get_by_role("button", name=LABELS["delete_confirm_label"], exact=True)).to_be_visible()
    cancel.click()
    expect(question).to_be_hidden()
    expect(control).to_be_focused()
    # Escape inside the question means "no": it cancels without closing the chat.
    control.press("Enter")
    expect(cancel).to_be_focused()
    page.keyboard.press("Escape")
    expect(question).to_be_hidden()
    expect(control).to_be_focused()
    expect(page.get_by_label(LABELS["input_label"])).to_be_visible()
    expect(log).to_contain_text("what is channel")
    assert stored_conversation(page) == before and sender_of(page) == sender
    assert page.csp_errors == []


@pytest.mark.parametrize("how", ["button", "typed"])
def test_delete_clears_the_conversation_here_and_on_the_server(page, stack, how):
    log = open_widget(page)
    ask(page, WORRIED)
    share_button(log).click(timeout=30_000)
    expect(log).to_contain_text(re.compile(r"PRV-[A-Z0-9]{4}"), timeout=30_000)
    old_sender = sender_of(page)
    assert rows_stored_for(stack, old_sender)["handoffs"] == 1
    if how == "button":
        delete_control(page).click()
        delete_question(page).get_by_role("button", name=LABELS["delete_confirm_label"], exact=True).click()
        expect(page.get_by_label(LABELS["input_label"])).to_be_focused()
    else:
        ask(page, "delete this conversation")
    confirmation = ASSISTANT["deleted_with_handoff"].split(",")[0]
    expect(log).to_contain_text(confirmation, timeout=30_000)
    expect(log).not_to_contain_text("extremist")
    expect(log).not_to_contain_text("PRV-")
    expect(log.locator(".pa-msg--user")).to_have_count(0)  # neither the old messages nor a "delete" bubble
    stored = stored_conversation(page)
    assert "extremist" not in stored and "PRV-" not in stored and old_sender not in stored
    assert sender_of(page) != old_sender
    assert rows_stored_for(stack, old_sender) == {"events": 0, "handoffs": 0}
    # The chat carries on as a new conversation, under the new sender id only.
    ask(page, "what is prevent")
    expect(log).to_contain_text(answer_start("utter_what_is_prevent"), timeout=30_000)
    assert rows_stored_for(stack, sender_of(page))["events"] > 0
    assert rows_stored_for(stack, old_sender) == {"events": 0, "handoffs": 0}
    assert page.csp_errors == []


def test_a_delete_the_server_could_not_do_keeps_everything(page):
    """The server's failure reply has text but no `conversation_deleted` flag: nothing is cleared."""
    failure = ASSISTANT["could_not_delete"].split(".")[0] + "."

    def refuse_deletion(route):
        if "/delete_conversation" in (route.request.post_data or ""):
            route.fulfill(json=[{"recipient_id": "x", "text": failure}])
        else:
            route.continue_()

    log = open_widget(page)
    ask(page, "what is channel")
    expect(log).to_contain_text(answer_start("utter_what_is_channel"), timeout=30_000)
    sender = sender_of(page)
    page.route("**/webhooks/widget/webhook", refuse_deletion)
    delete_control(page).click()
    delete_question(page).get_by_role("button", name=LABELS["delete_confirm_label"], exact=True).click()
    expect(log).to_contain_text(failure, timeout=30_000)
    expect(log).to_contain_text("what is channel")
    assert sender_of(page) == sender and "what is channel" in stored_conversation(page)


def test_the_about_answers_delete_button_asks_first_too(page):
    log = open_widget(page)
    ask(page, "who runs this website assistant")
    offered = log.get_by_role("button", name=ASSISTANT["delete_button"], exact=True)
    expect(offered).to_be_visible(timeout=30_000)
    offered.click()
    question = delete_question(page)
    expect(question).to_be_visible()
    question.get_by_role("button", name=LABELS["delete_cancel_label"], exact=True).click()
    expect(offered).to_be_focused()
    expect(offered).to_be_enabled()  # nothing was sent, so it can still be used


# --- Consent before anything is kept for the call handler ---------------------------------------------------
def test_the_offer_reads_as_a_summary_and_dont_share_keeps_nothing(browser, stack):
    """The summary is one bubble, a line per speaker, with names and numbers already taken out; the two
    choices are buttons; "Don't share" gives the number and 999 again and leaves no handoff. Screenshot
    and axe at phone width, where a long summary is hardest to read."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
    tab = context.new_page()
    tab.goto(f"{stack.rasa_url}/webhooks/widget/")
    log = open_widget(tab)
    ask(tab, "my son Tom Baker keeps watching extremist videos, my number is 07700 900123")
    expect(share_button(log)).to_be_visible(timeout=30_000)
    summary = log.locator(".pa-bubble").filter(has_text=HANDOFF["offer_topics"].split("{")[0])
    expect(summary).to_have_count(1)
    lines = summary.inner_text().splitlines()  # the bubble keeps the line breaks: one line per speaker
    assert lines[0].startswith(HANDOFF["offer_topics"].split("{")[0]), lines
    said = lines.index("You: my son [name] keeps watching extremist videos, my number is [phone]")
    assert lines[said + 1].startswith("Assistant: If you're worried"), lines
    assert not any(line.startswith("You: /") for line in lines)  # the widget's opening /greet is no line
    assert "Tom" not in summary.inner_text() and "07700" not in summary.inner_text()
    expect(log.locator(".pa-bubble").filter(has_text=HANDOFF["offer_question"].split("?")[0])).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    summary.scroll_into_view_if_needed()
    tab.screenshot(path=str(SCREENSHOTS / "widget-consent-360.png"))
    assert serious_violations(tab, from_console=False) == []
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= 360

    log.get_by_role("button", name=HANDOFF["dont_share_button"], exact=True).click()
    not_shared = DOMAIN["responses"]["utter_handoff_not_shared"][0]["text"].split(".")[0]
    reply = log.locator(".pa-msg--bot").filter(has_text=not_shared)
    expect(reply).to_be_visible(timeout=30_000)
    expect(reply.locator('a[href="tel:+448000113764"]')).to_be_visible()
    expect(reply.locator('a[href="tel:999"]')).to_be_visible()
    expect(share_button(log)).to_be_disabled()  # the choice is used up
    expect(log).not_to_contain_text("PRV-")
    assert rows_stored_for(stack, sender_of(tab))["handoffs"] == 0
    context.close()


# --- Replies in another language, the pages the footer links to, and no JavaScript ------------------------
def test_a_reply_in_another_language_carries_its_language(page):
    log = open_widget(page)
    ask(page, "Mae gen i gwestiwn am Prevent, ydych chi'n siarad Cymraeg?")
    welsh = log.locator('.pa-bubble[lang="cy"]')
    expect(welsh).to_be_visible(timeout=30_000)
    expect(welsh).to_have_attribute("dir", "auto")
    expect(welsh.locator('a[href="tel:999"]')).to_be_visible()
    expect(log.locator(".pa-bubble[lang]")).to_have_count(1)  # the greeting and other replies stay English
    page.reload()
    if not page.get_by_role("log").is_visible():
        launcher(page).click()
    expect(page.locator('.pa-bubble[lang="cy"]')).to_be_visible()  # kept across a reload


@pytest.mark.parametrize(
    ("label", "path"), [("privacy_label", "privacy"), ("accessibility_label", "accessibility")]
)
def test_footer_links_open_the_privacy_and_accessibility_pages_in_a_new_tab(page, stack, label, path):
    open_widget(page)
    link = page.get_by_role("dialog").get_by_role("link", name=LABELS[label])
    expect(link).to_have_attribute("href", f"{stack.rasa_url}/webhooks/widget/{path}")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    with page.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    title = yaml.safe_load((ROOT / "content" / f"{path}.yml").read_text(encoding="utf-8"))["title"]
    expect(tab.get_by_role("heading", level=1)).to_have_text(title)
    expect(tab.locator("main")).to_contain_text(organisation())
    assert page.csp_errors == []


@pytest.mark.parametrize("path", ["privacy", "accessibility"])
def test_privacy_and_accessibility_pages_pass_axe_and_reflow(browser, stack, path):
    results = {}
    for name, viewport in {"desktop": (1280, 900), "320px": (320, 640)}.items():
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
        tab = context.new_page()
        tab.goto(f"{stack.rasa_url}/webhooks/widget/{path}")
        expect(tab.locator("main")).to_contain_text(
            describe_duration(retention()) if path == "privacy" else "2.2"
        )
        assert tab.evaluate("() => document.documentElement.scrollWidth") <= viewport[0]
        results[name] = serious_violations(tab, from_console=False)
        context.close()
    assert results == {"desktop": [], "320px": []}


def test_axe_finds_nothing_serious_with_the_delete_question_open(browser, stack):
    context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
    tab = context.new_page()
    tab.goto(f"{stack.rasa_url}/webhooks/widget/")
    open_widget(tab)
    delete_control(tab).click()
    expect(delete_question(tab)).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "widget-delete-question-360.png"))
    assert serious_violations(tab, from_console=False) == []
    context.close()


def test_without_javascript_the_demo_page_gives_the_support_line_and_999(browser, stack):
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    tab.goto(f"{stack.rasa_url}/webhooks/widget/")
    fallback = tab.locator(".pa-demo__noscript")
    expect(fallback).to_be_visible()
    expect(fallback).to_contain_text("9am to 5pm every day")
    expect(fallback.get_by_role("link", name="0800 011 3764")).to_have_attribute("href", "tel:+448000113764")
    expect(fallback.get_by_role("link", name="999")).to_have_attribute("href", "tel:999")
    expect(launcher(tab)).to_have_count(0)
    context.close()
