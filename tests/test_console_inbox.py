"""The review inbox in the console: a real console process on a copy of the project (a git repository made
here, so approved examples are committed), with conversations written through the real tracker store, on
SQLite and on PostgreSQL.

Messages the model was unsure about, and those from conversations handed off, are listed newest first, 25
a page; each filter (days, channel, guessed topic, confidence, handoffs only) narrows the list in SQL. "The
guess was right" and "Choose the right topic" propose the message as an example, which a second editor
approves into the topic's file; "Dismiss" hides it. A message still holding a placeholder is flagged and
refused, as are a duplicate of an example and a held-out example; decided messages leave the inbox; a
handler gets 403; every step is audited. Each test writes its messages on a day of its own and filters to
that day, so the tests share one console without seeing each other's messages.
"""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from console_fixtures import Console, Person, running_console, shown, signed_in
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from conftest import PROJECT_DIRS, PROJECT_FILES, ROOT, fresh_postgres_database, migrated
from prevent_assistant.db import inbox as inbox_store
from prevent_assistant.db.audit import AuditQuery, entries
from prevent_assistant.db.changes import ChangeQuery, count_changes, get_change
from prevent_assistant.tracker_store import RedactingSQLTrackerStore

WORDS = yaml.safe_load((ROOT / "content" / "console-inbox.yml").read_text(encoding="utf-8"))
TOPICS = yaml.safe_load((ROOT / "content" / "topics.yml").read_text(encoding="utf-8"))["topics"]
AGES = "data/nlu/faq/ages.yml"
ROW = re.compile(r'<span class="inbox__text" id="text-(\d+)">([^<]*)</span>')


# --- A project copy in git, and conversations as the tracker store writes them ----------------------------
def project_repository(directory: Path) -> Path:
    """The files staff edit and the held-out files, copied and committed in a new git repository."""
    copy = directory / "project"
    copy.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, copy / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, copy / name)
    (copy / "tests").mkdir()
    for name in ("test_stories.yml", "nlu_holdout.yml"):
        shutil.copy(ROOT / "tests" / name, copy / "tests" / name)
    (copy / ".build").symlink_to(ROOT / ".build")
    return in_git(copy)


def in_git(copy: Path) -> Path:
    """`copy` made a git repository with everything in it committed (what runs or is built, ignored)."""
    (copy / ".gitignore").write_text("var/\n.build\nmodels/\nresults/\n", encoding="utf-8")
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid"]
    git(copy, "init", "--quiet")
    git(copy, "add", "--all")
    git(copy, *identity, "commit", "--quiet", "-m", "Start")
    return copy


def git(project: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(project), *arguments], check=True, capture_output=True, text=True
    ).stdout


def said(
    text: str,
    intent: str,
    confidence: float,
    at: float,
    ranking: tuple[tuple[str, float], ...] = (),
    topic: str | None = None,
    channel: str = "widget",
) -> UserUttered:
    """A message as the pipeline leaves it: the intent, its ranking, and for faq the chosen topic."""
    parse_data: dict = {
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "text": text,
        "intent_ranking": [{"name": name, "confidence": value} for name, value in ranking]
        or [{"name": intent, "confidence": confidence}],
    }
    if topic:
        response = {"intent_response_key": topic, "confidence": confidence, "utter_action": f"utter_{topic}"}
        parse_data["response_selector"] = {"all_retrieval_intents": ["faq"], "faq": {"response": response}}
    return UserUttered(
        text, intent=parse_data["intent"], parse_data=parse_data, timestamp=at, input_channel=channel
    )


def save(url: str, messages: list[UserUttered], handoff: bool = False) -> str:
    """One conversation of these messages, each answered, through the redacting tracker store."""
    sender = uuid.uuid4().hex
    events: list[Event] = []
    for message in messages:
        events += [
            ActionExecuted("action_listen", timestamp=message.timestamp - 0.5),
            message,
            BotUttered("An answer.", timestamp=message.timestamp + 0.5),
        ]
    if handoff:
        events.append(ActionExecuted("action_handoff", timestamp=messages[-1].timestamp + 1))
    store = RedactingSQLTrackerStore(domain=Domain.empty(), url=url)
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    return sender


def day(days_ago: int) -> tuple[str, float]:
    """A UK day of its own for one test (as the filter takes it), and noon UTC on it."""
    when = date.today() - timedelta(days=days_ago)
    return when.isoformat(), datetime.combine(when, time(12), tzinfo=timezone.utc).timestamp()


def unsure(text: str, at: float, guess: str = "myth_views", channel: str = "widget") -> UserUttered:
    """An nlu_fallback message whose best real intent was `guess` (faq/<topic>: faq with that topic)."""
    base, _, topic = guess.partition("/")
    ranking = (("nlu_fallback", 0.2), (base, 0.18), ("not_covered", 0.1))
    return said(text, "nlu_fallback", 0.2, at, ranking, topic=guess if topic else None, channel=channel)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console-inbox")
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


def listed(person: Person, path: str) -> list[str]:
    """The messages a page of the inbox lists, in order."""
    answer = person.get(path)
    assert answer.status_code == 200, answer.text[:500]
    return [text for _, text in ROW.findall(answer.text)]


def event_ids(person: Person, path: str) -> dict[str, int]:
    return {text: int(number) for number, text in ROW.findall(person.get(path).text)}


def decide(person: Person, number: int, action: str, **fields: str):
    """Press one of a message's buttons on the page last seen, as a browser sends the form (its `back`)."""
    back = re.search(r'name="back" value="([^"]*)"', person.last_page)
    form = {"back": html.unescape(back.group(1))} if back else {}
    return person.post(f"/inbox/{number}/{action}", {**form, **fields})


def audited(console: Console, name: str) -> list[tuple[str, str | None, bool]]:
    found = reversed(entries(AuditQuery(account=name), url=console.database))
    return [(e.action, e.subject, e.succeeded) for e in found if e.action not in ("login_succeeded",)]


# --- Listing ---------------------------------------------------------------------------------------------
def test_thirty_messages_come_newest_first_twenty_five_a_page(console):
    when, noon = day(20)
    save(console.database, [unsure(f"paging question number {n}", noon + n) for n in range(30)])
    editor = signed_in(console, "editor")
    first = editor.get(f"/inbox?from={when}&to={when}")
    assert shown(WORDS["caption"].format(first=1, last=25, total=30)) in first.text
    texts = [text for _, text in ROW.findall(first.text)]
    assert texts == [f"paging question number {n}" for n in range(29, 4, -1)]
    older = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert older and "page=2" in older.group(1)
    second = listed(editor, older.group(1).replace("&amp;", "&"))
    assert second == [f"paging question number {n}" for n in range(4, -1, -1)]
    assert 'rel="prev"' in editor.last_page and 'rel="next"' not in editor.last_page
    # Beyond the last page: the last page.
    assert listed(editor, f"/inbox?from={when}&to={when}&page=9") == second


def test_each_filter_narrows_the_list(console):
    when, noon = day(21)
    url = console.database
    save(url, [unsure("filter: unsure on the website", noon, "myth_views")])
    save(url, [unsure("filter: unsure about ages over the api", noon + 1, "faq/ages", channel="rest")])
    save(url, [said("filter: sure, but handed off", "how_to_refer", 0.9, noon + 2)], handoff=True)
    save(url, [said("filter: sure and answered", "how_to_refer", 0.95, noon + 3)])
    save(url, [said("/myth_faith", "nlu_fallback", 0.1, noon + 4)])  # a button: nothing to teach
    editor = signed_in(console, "editor")
    days = f"from={when}&to={when}"
    everything = listed(editor, f"/inbox?{days}")
    assert everything == [
        "filter: sure, but handed off",
        "filter: unsure about ages over the api",
        "filter: unsure on the website",
    ]
    page = editor.last_page
    assert shown(TOPICS["faq/ages"]) in page and shown(WORDS["channels"]["rest"]) in page
    assert "18%" in page and shown(WORDS["handed_off"]) in page
    assert listed(editor, f"/inbox?{days}&channel=rest") == ["filter: unsure about ages over the api"]
    assert listed(editor, f"/inbox?{days}&topic=faq/ages") == ["filter: unsure about ages over the api"]
    assert listed(editor, f"/inbox?{days}&min=50") == ["filter: sure, but handed off"]
    assert listed(editor, f"/inbox?{days}&max=18") == everything[1:]
    assert listed(editor, f"/inbox?{days}&handoff=1") == ["filter: sure, but handed off"]
    next_day = (date.fromisoformat(when) + timedelta(days=1)).isoformat()
    assert "filter:" not in " ".join(listed(editor, f"/inbox?from={next_day}&to={next_day}"))
    for bad, reason in [
        ("from=6/12/2026", "bad_date"),
        (f"from={next_day}&to={when}", "bad_range"),
        ("min=101", "bad_confidence"),
        ("min=60&max=40", "bad_confidence_range"),
        ("channel=carrier-pigeon", "bad_channel"),
        ("topic=faq/nothing", "bad_topic"),
    ]:
        refused = editor.get(f"/inbox?{bad}")
        assert refused.status_code == 400 and shown(WORDS["filters"][reason]) in refused.text, bad


# --- Deciding --------------------------------------------------------------------------------------------
def test_a_right_guess_becomes_an_example_once_a_second_editor_approves_it(console):
    when, noon = day(22)
    text = "at what age precisely could prevent step in for a kid"
    save(console.database, [unsure(text, noon, "faq/ages")])
    author, reviewer = signed_in(console, "editor"), signed_in(console, "admin")
    number = event_ids(author, f"/inbox?from={when}&to={when}")[text]
    answer = decide(author, number, "right")
    assert answer.status_code == 200 and "done=proposed" in answer.url and f"from={when}" in answer.url
    change = get_change(int(re.search(r"change=(\d+)", answer.url).group(1)), url=console.database)
    assert (change.kind, change.target, change.payload, change.status) == (
        "examples",
        "faq/ages",
        {"examples": [text]},
        "pending",
    )
    assert shown(WORDS["done"]["proposed"].format(topic=TOPICS["faq/ages"], id=change.id)) in answer.text
    assert text not in listed(author, f"/inbox?from={when}&to={when}")  # decided: out of the inbox
    decision = [d for d in inbox_store.decisions(console.database) if d.event_id == number]
    assert [(d.decision, d.topic, d.change_id) for d in decision] == [("confirmed", "faq/ages", change.id)]
    assert text not in (console.project / AGES).read_text(encoding="utf-8")  # not before approval

    reviewer.get(f"/changes/{change.id}")
    assert '+</span><span class="visually-hidden">' in reviewer.last_page  # shown as an added line
    assert reviewer.post(f"/changes/{change.id}/approve", {}).url.endswith("?done=approved")
    written = (console.project / AGES).read_text(encoding="utf-8")
    assert f"      - {text}\n" in written and "# Topic: ages:" in written  # comments kept
    examples = yaml.safe_load(written)["nlu"][0]["examples"]
    assert examples.splitlines()[-1] == f"- {text}"
    assert git(console.project, "log", "-1", "--format=%an").strip() == author.name
    assert git(console.project, "status", "--porcelain") == ""
    trail = audited(console, author.name)
    proposed = trail.index(("inbox_guess_confirmed", f"message {number}: change {change.id} faq/ages", True))
    assert trail[proposed + 1] == ("change_proposed", f"change {change.id}: examples faq/ages", True)
    assert ("inbox_viewed", "page 1 of 1", True) in trail[:proposed]


def test_choosing_the_topic_and_a_second_message_for_it_join_one_change(console):
    when, noon = day(23)
    first, second = "can they make my lad go on it or is it up to him", "is going on channel optional"
    save(console.database, [unsure(first, noon, "myth_views"), unsure(second, noon + 1, "what_is_channel")])
    editor, other = signed_in(console, "editor"), signed_in(console, "editor")
    ids = event_ids(editor, f"/inbox?from={when}&to={when}")
    assert f'<option value="faq/refusing">{shown(TOPICS["faq/refusing"])}</option>' in editor.last_page
    blank = decide(editor, ids[first], "topic", topic="")
    assert blank.status_code == 400 and shown(WORDS["refused"]["bad_topic"]) in blank.text
    chosen = decide(editor, ids[first], "topic", topic="faq/refusing")
    assert chosen.status_code == 200 and "done=proposed" in chosen.url
    one = int(re.search(r"change=(\d+)", chosen.url).group(1))

    # Someone else's change to that topic is waiting: refused until it is decided.
    other.get(f"/inbox?from={when}&to={when}")
    refused = decide(other, ids[second], "topic", topic="faq/refusing")
    assert (
        refused.status_code == 409
        and shown(WORDS["refused"]["already_pending"].format(id=one)) in refused.text
    )
    assert second in listed(other, f"/inbox?from={when}&to={when}")

    # The same editor's second message joins their change: one change holds both, the first withdrawn.
    editor.get(f"/inbox?from={when}&to={when}")
    merged = decide(editor, ids[second], "topic", topic="faq/refusing")
    assert merged.status_code == 200 and "done=merged" in merged.url
    two = int(re.search(r"change=(\d+)", merged.url).group(1))
    assert get_change(two, url=console.database).payload == {"examples": [first, second]}
    assert get_change(one, url=console.database).status == "rejected"
    decided = {d.event_id: d for d in inbox_store.decisions(console.database)}
    assert [(decided[ids[m]].decision, decided[ids[m]].change_id) for m in (first, second)] == [
        ("chosen", two),
        ("chosen", two),
    ]
    assert listed(editor, f"/inbox?from={when}&to={when}") == []


def test_dismiss_hides_the_message_and_proposes_nothing(console):
    when, noon = day(24)
    save(console.database, [unsure("dismiss me: nothing to learn here", noon)])
    editor = signed_in(console, "editor")
    before = count_changes(ChangeQuery(), url=console.database)
    number = event_ids(editor, f"/inbox?from={when}&to={when}")["dismiss me: nothing to learn here"]
    answer = decide(editor, number, "dismiss")
    assert answer.status_code == 200 and shown(WORDS["done"]["dismissed"]) in answer.text
    assert listed(editor, f"/inbox?from={when}&to={when}") == []
    assert count_changes(ChangeQuery(), url=console.database) == before
    again = decide(editor, number, "right")  # decided: no longer in the inbox
    assert again.status_code == 404 and shown(WORDS["refused"]["unknown_message"]) in again.text
    assert ("inbox_dismissed", f"message {number}", True) in audited(console, editor.name)


def test_a_message_with_a_placeholder_is_flagged_and_refused(console):
    when, noon = day(25)
    save(console.database, [unsure("my son Tom keeps watching those videos, who do I tell", noon)])
    editor = signed_in(console, "editor")
    ids = event_ids(editor, f"/inbox?from={when}&to={when}")
    assert list(ids) == ["my son [name] keeps watching those videos, who do I tell"]  # stored redacted
    assert shown(WORDS["flagged"].format(placeholders="[name]")) in editor.last_page
    number = next(iter(ids.values()))
    refused = decide(editor, number, "topic", topic="how_to_refer")
    message = WORDS["problems"]["placeholder"].format(placeholder="[name]")
    assert refused.status_code == 400 and shown(message) in refused.text
    assert list(event_ids(editor, f"/inbox?from={when}&to={when}")) == list(ids)  # still there
    assert ("inbox_topic_chosen", f"message {number}", False) in audited(console, editor.name)


@pytest.mark.parametrize(
    "text, reason",
    [("how young can u be to get referred", "duplicate"), ("is prevent only for muslims", "held_out")],
)
def test_a_duplicate_or_held_out_example_is_refused_and_nothing_is_stored(console, text, reason):
    when, noon = day(26 if reason == "duplicate" else 27)
    save(console.database, [unsure(text, noon, "faq/ages")])
    editor = signed_in(console, "editor")
    before = count_changes(ChangeQuery(), url=console.database)
    number = event_ids(editor, f"/inbox?from={when}&to={when}")[text]
    refused = decide(editor, number, "right")
    assert refused.status_code == 400
    assert shown(WORDS["refused"]["invalid"]) in refused.text
    expected = {
        "duplicate": WORDS["problems"]["duplicate"].format(text=text, intent="faq/ages", file=AGES),
        "held_out": WORDS["problems"]["held_out"].format(text=text),
    }[reason]
    assert shown(expected) in refused.text
    assert count_changes(ChangeQuery(), url=console.database) == before
    assert text in listed(editor, f"/inbox?from={when}&to={when}")


def test_a_message_outside_the_inbox_cannot_be_added(console):
    when, noon = day(28)
    save(console.database, [said("a confident message nobody needs to review", "how_to_refer", 0.97, noon)])
    editor = signed_in(console, "editor")
    assert listed(editor, f"/inbox?from={when}&to={when}") == []
    last = max((d.event_id for d in inbox_store.decisions(console.database)), default=0) + 10_000
    for number in (last, 1):  # no such event, or an event that is not reviewable (the first action)
        refused = decide(editor, number, "right")
        assert refused.status_code == 404 and shown(WORDS["refused"]["unknown_message"]) in refused.text


def test_a_handler_gets_403_and_nobody_signed_in_goes_to_sign_in(console):
    handler = signed_in(console, "handler")
    for path in ("/inbox", "/inbox?page=2"):
        assert handler.get(path).status_code == 403
    for action in ("right", "topic", "dismiss"):
        handler.get("/")
        assert handler.post(f"/inbox/1/{action}", {"topic": "faq/ages"}).status_code == 403
    assert 'href="/inbox"' not in handler.get("/").text
    assert "/login" in Person(console, "nobody").get("/inbox").url
    denied = [subject for action, subject, ok in audited(console, handler.name) if action == "access_denied"]
    assert sorted(denied) == sorted(
        ["/inbox", "/inbox", "/inbox/1/right", "/inbox/1/topic", "/inbox/1/dismiss"]
    )
