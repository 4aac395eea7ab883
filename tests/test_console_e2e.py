"""Staff keep the assistant current, end to end, in a real browser (Debian's Chromium, driven by Playwright):
a real Rasa stack, and a real console on the same database and on a copy of the project made a git
repository. A question the assistant gets wrong is asked in the chat widget (the test first checks that it
is wrong: the assistant is unsure and asks which topic was meant); it appears in the review inbox; an editor
assigns it the right topic; a second editor approves the change on /changes; the training job runs to a
pass with its progress shown; Deploy; and the widget now answers that question. A handler gets 403 on
/inbox. axe-core finds no serious or critical problems on the inbox page, and the console's CSP blocks
nothing. Along the way it takes screenshots of the inbox and of a job in progress (the README shows copies).
One training (about half a minute with Rasa's cache)."""

from __future__ import annotations

import re

import pytest
import yaml

# Screenshots go to the git-ignored SCREENSHOTS; the README's copies in docs/screenshots/ are made by hand.
from chromium import SCREENSHOTS, console_page, serious_violations, sign_in
from console_fixtures import running_console, signed_in
from test_console_inbox import git, in_git
from test_console_models import WORDS as MODEL_WORDS
from test_console_models import answer, prepare

from conftest import ROOT, migrated, start_stack
from prevent_assistant.db.audit import AuditQuery, entries

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

JOB_SECONDS = 900
INBOX = yaml.safe_load((ROOT / "content" / "console-inbox.yml").read_text(encoding="utf-8"))
CHANGES = yaml.safe_load((ROOT / "content" / "console-answers.yml").read_text(encoding="utf-8"))
WIDGET = yaml.safe_load((ROOT / "content" / "widget.yml").read_text(encoding="utf-8"))
TOPICS = yaml.safe_load((ROOT / "content" / "topics.yml").read_text(encoding="utf-8"))
AGES = yaml.safe_load((ROOT / "data" / "nlu" / "faq" / "ages.yml").read_text(encoding="utf-8"))
# Asked about the minimum age in words the training data lacks: the model is unsure (nlu_fallback) and
# its best guess is another topic (faq/refusing), so the assistant asks which topic was meant.
QUESTION = "how old must someone be before the programme can take them"
AGES_ANSWER = AGES["responses"]["utter_faq/ages"][0]["text"].split(".")[0]
# Other messages the assistant is unsure of, so the inbox's screenshot shows a few (one flagged: a name).
OTHERS = [
    "does the prevent thing follow you around forever on file",
    "my friend Aisha said something odd about prevent, whats the deal",
]


def new_tab(browser) -> object:
    """A browser of its own (its own cookies), in British English, able to run axe-core."""
    return console_page(browser, locale="en-GB")


def ask_in_widget(tab, rasa_url: str, text: str):
    """Open the chat widget on its page and send `text`; returns the conversation's log."""
    tab.goto(f"{rasa_url}/webhooks/widget/")
    tab.get_by_role("button", name=WIDGET["launcher_label"]).click()
    log = tab.get_by_role("log")
    expect(log).to_contain_text("automated assistant", timeout=30_000)  # the greeting
    box = tab.get_by_label(WIDGET["input_label"])
    box.fill(text)
    box.press("Enter")
    return log


def test_a_wrong_answer_is_taught_approved_trained_and_deployed(project_copy, tmp_path, monkeypatch, browser):
    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(ROOT / ".rasa" / "cache"))
    database = migrated(f"sqlite:///{tmp_path / 'prevent.db'}")
    project = in_git(project_copy)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    widget, editor, reviewer = new_tab(browser), new_tab(browser), new_tab(browser)
    found: dict[str, list[str]] = {}
    with start_stack(database) as stack:
        prepare(project, stack.api_token)
        # Wrong first: the assistant does not answer the question, it asks which topic was meant.
        log = ask_in_widget(widget, stack.rasa_url, QUESTION)
        expect(log).to_contain_text(TOPICS["prompt"], timeout=30_000)
        expect(log).not_to_contain_text(AGES_ANSWER)
        for other in OTHERS:
            answer(stack.webhook_url, other)
        with running_console(
            database, tmp_path, project=project, rasa_url=stack.rasa_url, job_refresh="2s"
        ) as console:
            # It is in the inbox, as stored; the message with a name is flagged.
            author = sign_in(editor, console, "editor", "/inbox")
            expect(editor.get_by_role("heading", level=1)).to_have_text(INBOX["title"])
            row = editor.locator("tr", has=editor.get_by_text(QUESTION, exact=True))
            expect(row).to_contain_text(INBOX["channels"]["widget"])
            expect(row).to_contain_text(TOPICS["topics"]["faq/refusing"])  # the model's wrong guess
            flagged = editor.locator("tr", has=editor.get_by_text(OTHERS[1].replace("Aisha", "[name]")))
            expect(flagged).to_contain_text(INBOX["flagged"].format(placeholders="[name]"))
            found["inbox"] = serious_violations(editor)
            editor.screenshot(path=str(SCREENSHOTS / "console-inbox.png"), full_page=True)

            # The editor assigns it the right topic: a change waiting for a second pair of eyes.
            row.get_by_label(INBOX["choose_label"]).select_option(label=TOPICS["topics"]["faq/ages"])
            row.get_by_role("button", name=INBOX["choose_submit"]).click()
            notice = editor.get_by_role("status").first
            expect(notice).to_contain_text(TOPICS["topics"]["faq/ages"])
            change = int(re.search(r"change=(\d+)", editor.url).group(1))
            expect(notice).to_have_text(
                INBOX["done"]["proposed"].format(topic=TOPICS["topics"]["faq/ages"], id=change)
            )
            expect(editor.get_by_text(QUESTION, exact=True)).to_have_count(0)

            # A second editor approves it on /changes: it is written to the topic's file and committed.
            sign_in(reviewer, console, "editor", "/changes")
            reviewer.get_by_role("link", name=str(change), exact=True).click()
            reviewer.get_by_role("button", name=CHANGES["change"]["approve"]).click()
            expect(reviewer.get_by_role("status").first).to_have_text(
                CHANGES["change"]["done"]["approved"].format(id=change)
            )
            assert f"- {QUESTION}\n" in (project / "data" / "nlu" / "faq" / "ages.yml").read_text("utf-8")
            assert git(project, "log", "-1", "--format=%an").strip() == author

            # The train job runs to a pass, its progress shown as it goes; then Deploy.
            editor.goto(console.url + "/models")
            editor.get_by_role("button", name=MODEL_WORDS["models"]["start"]).click()
            now = editor.locator("#job-now")
            running = MODEL_WORDS["job"]["now"].format(
                status=MODEL_WORDS["statuses"]["running"], step=MODEL_WORDS["steps"]["train"]
            )
            expect(now).to_have_text(running, timeout=JOB_SECONDS * 1000)
            editor.screenshot(path=str(SCREENSHOTS / "console-training-job.png"), full_page=True)
            expect(now).to_have_text(
                MODEL_WORDS["job"]["now_finished"].format(status=MODEL_WORDS["statuses"]["passed"]),
                timeout=JOB_SECONDS * 1000,
            )
            editor.get_by_role("button", name=MODEL_WORDS["job"]["deploy"]).click()
            expect(editor.get_by_role("status").first).to_have_text(
                MODEL_WORDS["done"]["deployed"], timeout=120_000
            )

            # The widget now answers the question (a new conversation, in a new browser).
            again = new_tab(browser)
            log = ask_in_widget(again, stack.rasa_url, QUESTION)
            expect(log).to_contain_text(AGES_ANSWER, timeout=30_000)
            assert answer(stack.webhook_url, QUESTION).startswith(AGES_ANSWER)

            # A handler cannot open the inbox.
            handler = signed_in(console, "handler")
            assert handler.get("/inbox").status_code == 403
    trail = [(e.account_name, e.action) for e in entries(AuditQuery(), url=database)]
    assert (author, "inbox_topic_chosen") in trail and (handler.name, "access_denied") in trail
    assert found == {"inbox": []}
    assert editor.csp_errors == [] and reviewer.csp_errors == []
