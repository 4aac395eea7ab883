"""The stories page and saving real conversations, in a real console process on a git copy of the project
(SQLite and PostgreSQL): rules, stories and conversation tests are listed in plain words; a stored
conversation (written through the real, redacting tracker store) is proposed as a conversation test and as
a story, a second editor approves, the file then holds it (redacted words only) and `prevent-assistant
validate` passes; a name already taken is refused with nothing stored; a handler gets 403; all audited."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest
import yaml
from console_fixtures import Console, Person, running_console, shown, signed_in
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from test_console_answers import git, project_repository
from test_review_and_stats import noon

from conftest import CLI, ROOT, fresh_postgres_database, migrated
from prevent_assistant.db.audit import AuditQuery, entries
from prevent_assistant.db.changes import ChangeQuery, count_changes, get_change
from prevent_assistant.tracker_store import RedactingSQLTrackerStore

WORDS = yaml.safe_load((ROOT / "content" / "console-stories.yml").read_text(encoding="utf-8"))
TOPICS = yaml.safe_load((ROOT / "content" / "topics.yml").read_text(encoding="utf-8"))["topics"]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
TESTS = "tests/test_stories.yml"
STORIES = "data/stories/support.yml"
SENDER = "story-7f3a"
WORRIED = "my name is Sarah Jones and I am worried about my nephew"
# The conversation as stored: (what the person wrote or None, its intent, the actions that followed).
TURNS = [
    ("hello there", "greet", ["utter_greet"]),
    (WORRIED, "how_to_refer", ["utter_how_to_refer", "action_offer_handoff"]),
    ("no thanks", "deny", ["utter_handoff_not_shared", "utter_offer_after_referral"]),
]


def conversation(at: float) -> list[Event]:
    events: list[Event] = []
    for offset, (text, intent, actions) in enumerate(TURNS):
        moment = at + offset * 10
        parse = {"intent": {"name": intent, "confidence": 0.95}, "entities": [], "text": text}
        events += [
            ActionExecuted("action_listen", timestamp=moment),
            UserUttered(text, intent=parse["intent"], parse_data=parse, timestamp=moment),
            ActionExecuted("action_extract_slots", timestamp=moment),
        ]
        for action in actions:
            events += [
                ActionExecuted(action, timestamp=moment + 1),
                BotUttered("A reply.", timestamp=moment + 1),
            ]
    return events


def first_sentence(response: str) -> str:
    """Its first sentence as a person reads it: a Markdown link as its words."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", " ".join(DOMAIN["responses"][response][0]["text"].split()))
    return re.match(r"^(.+?[.!?])(?=\s|$)", text).group(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console-stories")
    project = project_repository(directory)
    (project / "tests").mkdir()
    shutil.copy(ROOT / TESTS, project / TESTS)
    git(project, "add", TESTS)
    git(project, "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "-qm", "Tests")

    def start(database: str) -> Iterator[Console]:
        store = RedactingSQLTrackerStore(domain=Domain.empty(), url=database)
        asyncio.run(store.save(DialogueStateTracker.from_events(SENDER, conversation(noon(1)))))
        with running_console(database, directory, project=project) as running:
            running.project = project
            yield running

    if request.param == "sqlite":
        yield from start(migrated(f"sqlite:///{directory / 'prevent.db'}"))
    else:
        with fresh_postgres_database() as url:
            yield from start(url)


def sentences(page: str, section: str) -> list[str]:
    listed = re.search(rf'<ul class="stories" id="list-{section}">(.*?)</ul>', page, re.S).group(1)
    return re.findall(r"<p>(.*?)</p>", listed, re.S)


def test_rules_stories_and_tests_are_listed_in_plain_words(console):
    editor = signed_in(console, "editor")
    page = editor.get("/stories").text
    rules = [rule for path in sorted((console.project / "data" / "rules").glob("*.yml"))
             for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]]  # fmt: skip
    assert f"{WORDS['sections']['rules']} ({len(rules)})" in page
    tests = yaml.safe_load((console.project / TESTS).read_text(encoding="utf-8"))["stories"]
    assert f"{WORDS['sections']['tests']} ({len(tests)})" in page
    worried = WORDS["when"].format(
        who=WORDS["asks_topic"].format(topic=TOPICS["how_to_refer"]),
        replies=WORDS["replies"].format(sentence=first_sentence("utter_how_to_refer"))
        + WORDS["and_then"]
        + WORDS["actions"]["action_offer_handoff"],
    )
    assert shown(worried) in sentences(page, "rules")
    # The main text never names an intent or an action; the names are there, small, for editors.
    for sentence in sentences(page, "rules") + sentences(page, "stories") + sentences(page, "tests"):
        assert not re.search(r"\b(utter|action)_\w+|\bhow_to_refer\b|\bmyth_\w+", sentence), sentence
    assert "<code>how_to_refer → utter_how_to_refer → action_offer_handoff</code>" in page
    spying = tests[1]["steps"][0]["user"].strip()
    assert any(shown(spying) in sentence for sentence in sentences(page, "tests"))


def propose(person: Person, kind: str, **fields: str):
    person.get(f"/stories/conversations/{SENDER}")
    return person.post(f"/stories/conversations/{SENDER}/{kind}", fields)


def approved(console: Console, author: Person, answer) -> int:
    """The change a proposal made, approved by a second editor."""
    assert answer.status_code == 200 and "/changes/" in answer.url, answer.text[-2000:]
    change = int(answer.url.rsplit("/", 1)[1].split("?")[0])
    reviewer = signed_in(console, "editor")
    reviewer.get(f"/changes/{change}")
    done = reviewer.post(f"/changes/{change}/approve", {})
    assert done.status_code == 200 and get_change(change, url=console.database).status == "approved", (
        done.text[-3000:]
    )
    return change


def validate(console: Console) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), "--project", str(console.project), "validate"], capture_output=True, text=True, timeout=600
    )


def test_a_conversation_is_saved_as_a_test_with_its_redacted_words_once_approved(console):
    editor = signed_in(console, "editor")
    listed = editor.get("/stories/conversations").text
    assert f'href="/stories/conversations/{SENDER}"' in listed
    page = editor.get(f"/stories/conversations/{SENDER}").text
    assert 'id="placeholder-flag"' in page and "Sarah" not in page and "[name]" in page
    before = (console.project / TESTS).read_text(encoding="utf-8")
    answer = propose(editor, "test", name="Worried aunt says no to sharing", reason="real wording")
    assert (console.project / TESTS).read_text(encoding="utf-8") == before  # not before approval
    change = approved(console, editor, answer)
    after = (console.project / TESTS).read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")) and "Sarah" not in after
    saved = yaml.safe_load(after)["stories"][-1]
    assert saved["story"] == "Worried aunt says no to sharing"
    steps = saved["steps"]
    assert [step.get("intent") for step in steps if "intent" in step] == [intent for _, intent, _ in TURNS]
    assert [step["action"] for step in steps if "action" in step] == [a for _, _, acts in TURNS for a in acts]
    assert "[name]" in steps[2]["user"] and "worried about my nephew" in steps[2]["user"]
    assert git(console.project, "log", "-1", "--format=%an%n%s").split("\n")[0] == editor.name
    assert git(console.project, "status", "--porcelain", "--", TESTS) == ""
    result = validate(console)
    assert result.returncode == 0, result.stdout + result.stderr
    subjects = [(e.action, e.subject) for e in entries(AuditQuery(account=editor.name), url=console.database)]
    assert ("conversation_viewed", SENDER) in subjects
    assert ("change_proposed", f"change {change}: conversation_test from conversation {SENDER}") in subjects


def test_a_conversation_is_saved_as_a_story_and_a_taken_name_is_refused(console):
    editor = signed_in(console, "editor")
    stored = count_changes(url=console.database)
    taken = propose(editor, "story", name="Asks for a person, does not share", file=STORIES)
    assert taken.status_code == 400
    message = WORDS["problems"]["exists"].format(name="Asks for a person, does not share", file=STORIES)
    assert shown(message) in taken.text
    assert count_changes(url=console.database) == stored
    outside = propose(editor, "story", name="Somewhere else", file="../settings.yml")
    assert outside.status_code == 400 and count_changes(url=console.database) == stored
    before = (console.project / STORIES).read_text(encoding="utf-8")
    change = approved(
        console, editor, propose(editor, "story", name="Greets, worried, does not share", file=STORIES)
    )
    assert get_change(change, url=console.database).kind == "story"
    saved = yaml.safe_load((console.project / STORIES).read_text(encoding="utf-8"))["stories"][-1]
    assert saved["story"] == "Greets, worried, does not share"
    assert all("user" not in step for step in saved["steps"])  # a training story holds no one's words
    assert saved["steps"][:2] == [{"intent": "greet"}, {"action": "utter_greet"}]
    assert (console.project / STORIES).read_text(encoding="utf-8").startswith(before.rstrip("\n"))
    result = validate(console)
    assert result.returncode == 0, result.stdout + result.stderr
    # A revert, once approved, takes the story out again: the file is as it was, byte for byte.
    reviewer = signed_in(console, "editor")
    reviewer.get(f"/changes/{change}")
    revert = reviewer.post(f"/changes/{change}/revert", {})
    approved(console, reviewer, revert)
    assert yaml.safe_load((console.project / STORIES).read_text(encoding="utf-8")) == yaml.safe_load(before)
    assert len(count_changes_of(console, "story")) >= 2


def count_changes_of(console: Console, kind: str) -> list[int]:
    from prevent_assistant.db.changes import list_changes

    return [change.id for change in list_changes(ChangeQuery(kind=kind), url=console.database)]


def test_a_handler_gets_403_on_every_stories_page(console):
    handler = signed_in(console, "handler")
    for path in ("/stories", "/stories/conversations", f"/stories/conversations/{SENDER}"):
        answer = handler.get(path)
        assert answer.status_code == 403 and "[name]" not in answer.text, path
    handler.get("/")
    refused = handler.post(f"/stories/conversations/{SENDER}/test", {"name": "Not allowed"})
    assert refused.status_code == 403
    denied = entries(AuditQuery(account=handler.name, action="access_denied"), url=console.database)
    assert len(denied) == 4
