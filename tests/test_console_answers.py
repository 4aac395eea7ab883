"""Answers, clips and four-eyes changes in the console: a real console process working on a copy of the
project (a git repository made in the test, so its commits can be checked), on SQLite and on PostgreSQL.

An answer that breaks a rule is refused with `validate`'s own message and nothing is stored; a valid one
waits for a second person; its author cannot approve it; another editor's approval writes the YAML file
(comments kept) and commits it as the author's work; the diff shows the change; a revert, once approved,
puts the file back byte for byte; a one-person team (four_eyes: false) approves its own; a handler gets
403 everywhere here; every step is in the audit log.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from console_fixtures import Console, Person, hidden_fields, running_console, shown, signed_in

from conftest import ROOT, fresh_postgres_database, migrated
from prevent_assistant.db.audit import AuditQuery, entries
from prevent_assistant.db.changes import ChangeQuery, count_changes, get_change
from prevent_assistant.staff.validation.content_rules import MAX_WORDS

WORDS = yaml.safe_load((ROOT / "content" / "console-answers.yml").read_text(encoding="utf-8"))
AGES = "data/nlu/faq/ages.yml"
SOURCE = "Source: [coventry.gov.uk](https://www.coventry.gov.uk/prevent-3/prevent-referrals-1)"
SHORTER = (
    "There is no lower age. Many referrals are about children. A parent has to agree before a child gets "
    f"Channel support. {SOURCE}"
)


def project_repository(directory: Path) -> Path:
    """The files staff edit and the widget's modules, copied and committed in a new git repository."""
    copy = directory / "project"
    copy.mkdir()
    for name in ("domain.yml", "config.yml", "credentials.yml", "endpoints.yml", "settings.yml"):
        shutil.copy(ROOT / name, copy / name)
    for name in ("data", "content", "nlp"):
        shutil.copytree(ROOT / name, copy / name)
    shutil.copytree(ROOT / "widget", copy / "widget", ignore=shutil.ignore_patterns("node_modules"))
    (copy / ".build").symlink_to(ROOT / ".build")
    (copy / ".gitignore").write_text("var/\n.build\n", encoding="utf-8")
    git(copy, "init", "--quiet")
    git(copy, "add", "--all")
    git(
        copy,
        "-c",
        "user.name=Test",
        "-c",
        "user.email=test@example.invalid",
        "commit",
        "--quiet",
        "-m",
        "Start",
    )
    return copy


def git(project: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project), *arguments], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console-answers")
    project = project_repository(directory)
    if request.param == "sqlite":
        database = migrated(f"sqlite:///{directory / 'prevent.db'}")
        with running_console(database, directory, project=project) as running:
            running.project = project
            yield running
    else:
        with fresh_postgres_database() as url, running_console(url, directory, project=project) as running:
            running.project = project
            yield running


def actions_for(console: Console, name: str) -> list[tuple[str, bool]]:
    found = reversed(entries(AuditQuery(account=name), url=console.database))
    return [(entry.action, entry.succeeded) for entry in found if entry.action.startswith("change_")]


def propose(person: Person, name: str, **fields: str):
    person.get(f"/answers/{name}")
    return person.post(f"/answers/{name}", fields)


def change_id(answer) -> int:
    return int(answer.url.rsplit("/", 1)[1].split("?")[0])


def test_an_answer_of_61_words_is_refused_with_the_message_and_nothing_is_saved(console):
    editor = signed_in(console, "editor")
    before = (console.project / AGES).read_bytes()
    stored = count_changes(url=console.database)
    too_long = " ".join(["Prevent"] * (MAX_WORDS + 1 - 2)) + " " + SOURCE  # the Source line is 2 words
    answer = propose(editor, "utter_faq/ages", text=too_long)
    assert answer.status_code == 400
    assert shown(WORDS["refused"]["invalid"]) in answer.text
    message = (
        f"the response utter_faq/ages is {MAX_WORDS + 1} words long; shorten it to at most {MAX_WORDS} words"
    )
    assert shown(message) in answer.text
    assert shown(too_long) in answer.text  # the form keeps what was typed
    assert (console.project / AGES).read_bytes() == before
    assert count_changes(url=console.database) == stored
    assert actions_for(console, editor.name) == [("change_proposed", False)]


def test_the_live_check_runs_the_same_rules_and_saves_nothing(console):
    editor = signed_in(console, "editor")
    token = hidden_fields(editor.get("/answers/utter_faq/ages").text)["csrf_token"]
    stored = count_changes(url=console.database)
    fields = {"kind": "response", "target": "utter_faq/ages", "variation": "1", "csrf_token": token}
    found = editor.post(
        "/answers/check", {**fields, "text": "A short answer with no source."}, csrf=False
    ).json()
    assert found["ok"] is False
    assert found["figures"]["words"] == WORDS["edit"]["words"].format(count=6, max_words=MAX_WORDS)
    assert found["figures"]["source"] == WORDS["edit"]["source_no"]
    assert any("does not end with its source" in message for message in found["messages"])
    good = editor.post("/answers/check", {**fields, "text": SHORTER}, csrf=False).json()
    assert good["ok"] is True and good["messages"] == []
    assert good["figures"]["source"] == WORDS["edit"]["source_yes"]
    assert count_changes(url=console.database) == stored
    # The greeting states no facts: it needs no source, as `validate` says.
    greeting = {**fields, "target": "utter_greet", "text": "Hello. Ask me about Prevent."}
    assert editor.post("/answers/check", greeting, csrf=False).json()["ok"] is True


def test_a_change_waits_for_a_second_editor_is_committed_shown_as_a_diff_and_can_be_reverted(console):
    author, reviewer = signed_in(console, "editor"), signed_in(console, "editor")
    original = (console.project / AGES).read_text(encoding="utf-8")
    answer = propose(author, "utter_faq/ages", text=SHORTER, reason="plainer words")
    assert answer.status_code == 200 and answer.url.endswith("?done=proposed")
    number = change_id(answer)
    change = get_change(number, url=console.database)
    assert (change.status, change.author_name, change.payload["text"]) == ("pending", author.name, SHORTER)
    assert (console.project / AGES).read_text(encoding="utf-8") == original  # nothing written yet

    # The author cannot approve their own change.
    refused = author.post(f"/changes/{number}/approve", {})
    assert refused.status_code == 403 and shown(WORDS["refused"]["own_change"]) in refused.text
    assert get_change(number, url=console.database).status == "pending"

    # Another editor can: the file holds the new answer, its comments kept, in a commit by the author.
    reviewer.get(f"/changes/{number}")
    assert reviewer.post(f"/changes/{number}/approve", {}).url.endswith("?done=approved")
    written = (console.project / AGES).read_text(encoding="utf-8")
    assert "# Topic: ages:" in written and "# Facts behind the answer:" in written
    assert yaml.safe_load(written)["responses"]["utter_faq/ages"][0]["text"] == SHORTER
    approved = get_change(number, url=console.database)
    assert (approved.status, approved.reviewer_name) == ("approved", reviewer.name)
    assert approved.commit == git(console.project, "rev-parse", "HEAD").strip()
    author_line, files, message = (
        git(console.project, "log", "-1", "--format=%an <%ae>"),
        git(console.project, "show", "--name-only", "--format=", "HEAD").split(),
        git(console.project, "log", "-1", "--format=%B"),
    )
    assert author_line.strip() == f"{author.name} <{author.name}@console.invalid>"
    assert files == [AGES] and f"Approved-by: {reviewer.name}" in message
    assert git(console.project, "status", "--porcelain") == ""

    # The diff: each removed and added sentence, marked for screen readers as well as with - and +.
    page = reviewer.get(f"/changes/{number}").text
    removed = f"{shown(WORDS['change']['removed'])} </span>I found no minimum age."
    added = f"{shown(WORDS['change']['added'])} </span>There is no lower age."
    assert removed in page and added in page
    history = reviewer.get("/changes").text
    assert approved.commit[:10] in history and shown(WORDS["changes"]["statuses"]["approved"]) in history

    # Revert: a new change restoring the previous answer, approved by someone else, restores the file.
    reverted = reviewer.post(f"/changes/{number}/revert", {})
    assert reverted.url.endswith("?done=revert_proposed")
    revert_number = change_id(reverted)
    assert (console.project / AGES).read_text(encoding="utf-8") == written  # waits for approval too
    author.get(f"/changes/{revert_number}")
    assert author.post(f"/changes/{revert_number}/approve", {}).url.endswith("?done=approved")
    assert (console.project / AGES).read_text(encoding="utf-8") == original
    assert get_change(number, url=console.database).status == "reverted"
    assert actions_for(console, author.name) == [
        ("change_proposed", True),
        ("change_approved", False),
        ("change_approved", True),
        ("change_applied", True),
    ]
    assert actions_for(console, reviewer.name) == [
        ("change_approved", True),
        ("change_applied", True),
        ("change_reverted", True),
    ]


def test_a_clip_change_follows_its_title_and_link_into_the_chat_text(console):
    editor, admin = signed_in(console, "editor"), signed_in(console, "admin")
    fields = {
        "title": "Prevent is not spying",
        "url": "https://youtu.be/78eYdX7q5Fw",
        "description": "A short film on why Prevent is about safety, not watching people.",
        "summary": "Prevent is there to protect a person at risk. It does not gather intelligence.",
    }
    bad = propose(editor, "utter_clip/spying", **{**fields, "url": "youtu.be/78eYdX7q5Fw"})
    assert bad.status_code == 400 and shown("which is not a full web address") in bad.text
    answer = propose(editor, "utter_clip/spying", **fields)
    number = change_id(answer)
    admin.get(f"/changes/{number}")
    assert admin.post(f"/changes/{number}/approve", {}).url.endswith("?done=approved")
    domain = (console.project / "domain.yml").read_text(encoding="utf-8")
    assert "# 999 first, always, in its own message; then the other routes." in domain
    clips = yaml.safe_load(domain)["responses"]["utter_clip"]
    spying = next(clip for clip in clips if clip.get("custom", {}).get("clip", {}).get("myth") == "spying")
    assert {key: spying["custom"]["clip"][key] for key in fields} == fields
    assert spying["text"] == 'Watch the short clip "Prevent is not spying": https://youtu.be/78eYdX7q5Fw'


def test_a_second_change_to_the_same_answer_waits_for_the_first(console):
    first, second = signed_in(console, "editor"), signed_in(console, "editor")
    text = f"Prevent training is free online for anyone. It takes about an hour. {SOURCE}"
    waiting = change_id(propose(first, "utter_faq/training", text=text))
    again = propose(second, "utter_faq/training", text=text.replace("an hour", "one hour"))
    assert again.status_code == 409
    assert shown(WORDS["refused"]["already_pending"].format(id=waiting)) in again.text
    second.get(f"/changes/{waiting}")
    assert second.post(f"/changes/{waiting}/reject", {}).url.endswith("?done=rejected")
    assert get_change(waiting, url=console.database).status == "rejected"
    assert ("change_rejected", True) in actions_for(console, second.name)


def test_a_handler_gets_403_on_every_page_and_nobody_signed_in_goes_to_login(console):
    handler = signed_in(console, "handler")
    for path in ("/answers", "/answers/utter_greet", "/answers/utter_clip/spying", "/changes", "/changes/1"):
        answer = handler.get(path)
        assert answer.status_code == 403, path
    handler.get("/")
    for path in ("/answers/check", "/answers/utter_greet", "/changes/1/approve", "/changes/1/revert"):
        assert handler.post(path, {"text": "Hello."}).status_code == 403, path
    assert [entry.action for entry in entries(AuditQuery(account=handler.name), url=console.database)][
        :9
    ] == ["access_denied"] * 9
    stranger = Person(console, "nobody")
    assert stranger.get("/answers").url.endswith("/login?next=/answers")


def test_the_preview_modules_come_from_the_project_widget_folder_only(console):
    editor = signed_in(console, "editor")
    for name in ("richtext.js", "dom.js", "widget.css"):
        answer = editor.get(f"/widget/{name}")
        assert answer.status_code == 200
        assert answer.content == (console.project / "widget" / name).read_bytes()
    assert editor.get("/widget/index.html").status_code == 404
    assert editor.get("/widget/..%2Fsettings.yml").status_code == 404


def test_a_one_person_team_approves_its_own_change(tmp_path):
    project = project_repository(tmp_path)
    database = migrated(f"sqlite:///{tmp_path / 'prevent.db'}")
    with running_console(database, tmp_path, project=project, four_eyes=False) as console:
        console.project = project
        editor = signed_in(console, "editor")
        number = change_id(propose(editor, "utter_faq/ages", text=SHORTER))
        assert shown(WORDS["changes"]["intro_one_person"]) in editor.get("/changes").text
        editor.get(f"/changes/{number}")
        assert editor.post(f"/changes/{number}/approve", {}).url.endswith("?done=approved")
        change = get_change(number, url=database)
        assert (change.status, change.reviewer_name) == ("approved", editor.name)
        assert (
            yaml.safe_load((project / AGES).read_text())["responses"]["utter_faq/ages"][0]["text"] == SHORTER
        )
        assert count_changes(ChangeQuery(statuses=("pending",)), url=database) == 0
