"""The call handlers' pages over HTTP: a real console process (as `make run` starts it) on SQLite and on
PostgreSQL, handoffs made with create_handoff as the chat makes them after the person's yes, and a handler
who signs in with a password and a TOTP code computed with pyotp."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from console_fixtures import Console, Person, running_console, shown, signed_in
from sqlalchemy import func, select, update
from threads import run_in_threads

from conftest import ROOT, fresh_postgres_database, migrated
from prevent_assistant.console.handoffs import QUEUE_POLICY
from prevent_assistant.console.web import BACKGROUND_HEADER
from prevent_assistant.db import session_scope
from prevent_assistant.db.audit import AuditQuery, entries
from prevent_assistant.db.handoff_history import as_utc
from prevent_assistant.db.handoffs import create_handoff, get_handoff
from prevent_assistant.db.models import Account, AuditEntry, ConsoleSession, Handoff, HandoffEvent, utc_now
from prevent_assistant.redaction import redact

WORDS = yaml.safe_load((ROOT / "content" / "console-handoffs.yml").read_text(encoding="utf-8"))
OUTCOMES = yaml.safe_load((ROOT / "content" / "outcomes.yml").read_text(encoding="utf-8"))["outcomes"]
TOPICS = yaml.safe_load((ROOT / "content" / "topics.yml").read_text(encoding="utf-8"))["topics"]
SAID = "I'm worried about my son Tom Reilly, call me on 07700 900123"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request, tmp_path_factory) -> Iterator[Console]:
    directory = tmp_path_factory.mktemp("console-handoffs")
    if request.param == "sqlite":
        with running_console(migrated(f"sqlite:///{directory / 'prevent.db'}"), directory) as running:
            yield running
    else:
        with fresh_postgres_database() as url, running_console(url, directory) as running:
            yield running


@pytest.fixture(scope="module")
def handler(console) -> Person:
    return signed_in(console, "handler")


def shared(console: Console, created_at: datetime | None = None, topics: list[str] | None = None) -> Handoff:
    """A handoff as the chat stores it once the person chose to share it: topics as intents, the
    transcript redacted."""
    handoff = create_handoff(
        f"c-{uuid.uuid4().hex[:8]}",
        "widget",
        topics if topics is not None else ["greet", "myth_spying", "how_to_refer"],
        [
            {"speaker": "person", "text": redact(SAID)},
            {
                "speaker": "assistant",
                "text": "Thank you for telling me. You can call the ACT Early Support Line.",
            },
        ],
        url=console.database,
    )
    if created_at is not None:
        with session_scope(console.database) as session:
            session.execute(update(Handoff).where(Handoff.id == handoff.id).values(created_at=created_at))
    return handoff


def events_of(console: Console, handoff: Handoff) -> list[tuple[str, str | None]]:
    with session_scope(console.database) as session:
        rows = session.execute(
            select(HandoffEvent.kind, HandoffEvent.detail)
            .where(HandoffEvent.handoff_id == handoff.id)
            .order_by(HandoffEvent.id)
        ).all()
    return [(kind, detail) for kind, detail in rows]


def audited(console: Console, name: str) -> list[tuple[str, str | None, bool]]:
    found = entries(AuditQuery(account=name), url=console.database)
    return [(entry.action, entry.subject, entry.succeeded) for entry in reversed(found)]


def references_on(page: str) -> list[str]:
    return re.findall(r'<a href="/handoffs/(PRV-[A-Z0-9]{4})">', page)


def test_the_queue_lists_new_handoffs_newest_first_with_the_count_of_new_ones(console, handler):
    now = utc_now()
    oldest, middle, newest = (shared(console, now - timedelta(minutes=m)) for m in (30, 20, 10))
    closed = shared(console, now)
    handler.get(f"/handoffs/{closed.reference}")
    handler.post(f"/handoffs/{closed.reference}/close", {"outcome": "advice_given"})

    page = handler.get("/handoffs")
    assert page.status_code == 200
    listed = references_on(page.text)
    mine = [r for r in listed if r in (oldest.reference, middle.reference, newest.reference)]
    assert mine == [newest.reference, middle.reference, oldest.reference]
    assert closed.reference not in listed
    with session_scope(console.database) as session:
        new = session.scalar(select(func.count()).select_from(Handoff).where(Handoff.status == "new"))
    assert shown(WORDS["queue"]["new_count"]["other"].format(count=new)) in page.text
    tab = WORDS["queue"]["tab"].format(status=WORDS["statuses"]["new"], count=new)
    assert f'aria-current="page">{shown(tab)}</a>' in page.text
    # Topics in plain words, never intent names; the closed tab lists the closed one.
    assert shown(TOPICS["myth_spying"]) in page.text and "myth_spying" not in page.text
    assert closed.reference in references_on(handler.get("/handoffs?status=closed").text)
    # The queue page alone may fetch from the console (its refresh script); it works without it too.
    assert page.headers["Content-Security-Policy"] == QUEUE_POLICY
    assert '<script src="/static/handoffs-queue.js"' in page.text
    assert 'href="/handoffs?status=new">' + shown(WORDS["queue"]["refresh"]) in page.text


@pytest.mark.parametrize("spoken", ["{lower} ", "{compact}", "{ref}", " {spaced}"])
def test_the_reference_box_finds_a_handoff_however_the_caller_says_it(console, handler, spoken):
    reference = shared(console).reference
    typed = spoken.format(
        lower=reference.lower().replace("-", " "),
        compact=reference.replace("-", ""),
        ref=reference,
        spaced=" ".join(reference.replace("-", "")).lower(),
    )
    answer = handler.http.get(
        console.url + "/handoffs/find", params={"reference": typed}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 303 and answer.headers["Location"] == f"/handoffs/{reference}"


def test_the_reference_box_says_plainly_when_a_reference_is_wrong_or_unknown(console, handler):
    malformed = handler.get("/handoffs/find", params={"reference": "PRV-7K3"})
    assert malformed.status_code == 400
    assert shown(WORDS["find"]["malformed"]) in malformed.text and "Traceback" not in malformed.text
    assert 'value="PRV-7K3"' in malformed.text  # the box keeps what was typed, to correct it
    taken = {h.reference for h in handler_queue(console)}
    unknown = next(r for r in ("PRV-7K3Q", "PRV-7K3R", "PRV-7K3T") if r not in taken)
    answer = handler.get("/handoffs/find", params={"reference": unknown.lower()})
    assert answer.status_code == 404
    assert shown(WORDS["find"]["unknown"].format(reference=unknown)) in answer.text


def handler_queue(console: Console) -> list[Handoff]:
    with session_scope(console.database) as session:
        return list(session.scalars(select(Handoff)))


@pytest.mark.parametrize(
    "created, expected",
    [
        (datetime(2026, 7, 1, 12, 5, tzinfo=timezone.utc), "Wed 1 Jul 2026, 13:05"),  # BST: UTC+1
        (datetime(2026, 12, 6, 19, 5, tzinfo=timezone.utc), "Sun 6 Dec 2026, 19:05"),  # GMT: UTC
    ],
)
def test_the_handoff_page_shows_the_redacted_transcript_and_uk_time(console, handler, created, expected):
    handoff = shared(console, created)
    page = handler.get(f"/handoffs/{handoff.reference.lower()}")  # any spelling lands on its page
    assert page.status_code == 200 and page.url.endswith(f"/handoffs/{handoff.reference}")
    assert expected in page.text
    assert "[name]" in page.text and "[phone]" in page.text
    assert "Tom Reilly" not in page.text and "07700 900123" not in page.text
    assert shown(TOPICS["myth_spying"]) in page.text and shown(TOPICS["how_to_refer"]) in page.text
    assert "myth_spying" not in page.text and "greet" not in page.text
    assert shown(WORDS["handoff"]["steps"]["shared"]) in page.text  # the person's yes, in the history
    assert ("handoff_viewed", handoff.reference, True) in audited(console, handler.name)


def test_pick_up_note_and_close_change_the_handoff_and_its_history(console, handler):
    handoff = shared(console)
    handler.get(f"/handoffs/{handoff.reference}")
    picked = handler.post(f"/handoffs/{handoff.reference}/pick-up", {})
    assert picked.status_code == 200 and shown(WORDS["done"]["picked_up"]) in picked.text
    assert get_handoff(handoff.reference, url=console.database).status == "picked_up"
    noted = handler.post(
        f"/handoffs/{handoff.reference}/note", {"note": "Rang back Sarah Jones on 07700 900456, gave advice"}
    )
    assert noted.status_code == 200 and shown(WORDS["done"]["note"]) in noted.text
    closed = handler.post(f"/handoffs/{handoff.reference}/close", {"outcome": "advice_given"})
    assert closed.status_code == 200 and shown(WORDS["done"]["closed"]) in closed.text

    record = get_handoff(handoff.reference, url=console.database)
    assert (record.status, record.outcome) == ("closed", "advice_given")
    with session_scope(console.database) as session:
        assert record.assigned_to == session.scalar(select(Account.id).where(Account.name == handler.name))
    steps = events_of(console, handoff)
    assert [kind for kind, _ in steps] == ["shared", "picked_up", "note", "closed"]
    note = steps[2][1]
    assert "07700 900456" not in note and "Sarah Jones" not in note and "[phone]" in note
    assert steps[3][1] == "advice_given"
    # The page shows each step with who did it, and the outcome in plain words.
    assert shown(note) in closed.text and closed.text.count(f"<td>{handler.name}</td>") == 3
    assert shown(WORDS["handoff"]["steps"]["closed"].format(outcome=OUTCOMES["advice_given"])) in closed.text
    # Audited: each change, and each view; never the note's words.
    trail = [a for a in audited(console, handler.name) if a[1] == handoff.reference]
    assert [action for action, _, _ in trail] == [
        "handoff_viewed", "handoff_picked_up", "handoff_viewed", "handoff_note_added", "handoff_viewed",
        "handoff_closed", "handoff_viewed",
    ]  # fmt: skip
    with session_scope(console.database) as session:
        logged = " ".join(str(entry.subject) for entry in session.scalars(select(AuditEntry)))
    assert "Sarah" not in logged and "Rang back" not in logged


def test_a_closed_handoff_can_be_reopened(console, handler):
    handoff = shared(console)
    handler.get(f"/handoffs/{handoff.reference}")
    handler.post(f"/handoffs/{handoff.reference}/close", {"outcome": "could_not_reach"})
    reopened = handler.post(f"/handoffs/{handoff.reference}/reopen", {})
    assert shown(WORDS["done"]["reopened"]) in reopened.text
    record = get_handoff(handoff.reference, url=console.database)
    assert (record.status, record.outcome) == ("picked_up", None)
    assert [kind for kind, _ in events_of(console, handoff)] == ["shared", "closed", "reopened"]
    again = handler.post(f"/handoffs/{handoff.reference}/reopen", {})
    assert again.status_code == 409 and shown(WORDS["refused"]["not_closed"]) in again.text


def test_two_handlers_picking_up_at_once_cannot_both_get_it_but_one_can_take_over(console, handler):
    other = signed_in(console, "handler")
    handoff = shared(console)
    path = f"/handoffs/{handoff.reference}"
    handler.get(path)
    other.get(path)  # both see it new, and both press Pick up
    answers = run_in_threads(
        [lambda: handler.post(path + "/pick-up", {}), lambda: other.post(path + "/pick-up", {})]
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    loser = handler if answers[0].status_code == 409 else other
    assert shown(WORDS["refused"]["picked_up_by_other"]) in loser.last_page
    assert [kind for kind, _ in events_of(console, handoff)] == ["shared", "picked_up"]
    assert shown(WORDS["handoff"]["take_over"]) in loser.last_page
    assert '<input type="hidden" name="take_over" value="1">' in loser.last_page
    taken = loser.post(path + "/pick-up", {"take_over": "1"})  # the page's form, sent as it is
    assert taken.status_code == 200 and shown(WORDS["done"]["picked_up"]) in taken.text
    with session_scope(console.database) as session:
        assignee = session.scalar(
            select(Account.name)
            .join(Handoff, Handoff.assigned_to == Account.id)
            .where(Handoff.id == handoff.id)
        )
    assert assignee == loser.name
    assert [kind for kind, _ in events_of(console, handoff)] == ["shared", "picked_up", "picked_up"]


@pytest.mark.parametrize("outcome", ["", "sorted", "advice_given'; --"])
def test_an_outcome_not_in_the_list_is_refused_and_changes_nothing(console, handler, outcome):
    handoff = shared(console)
    handler.get(f"/handoffs/{handoff.reference}")
    refused = handler.post(f"/handoffs/{handoff.reference}/close", {"outcome": outcome})
    assert refused.status_code == 400 and shown(WORDS["refused"]["bad_outcome"]) in refused.text
    assert get_handoff(handoff.reference, url=console.database).status == "new"
    assert events_of(console, handoff) == [("shared", None)]
    assert ("handoff_closed", handoff.reference, False) in audited(console, handler.name)


def test_an_empty_note_is_refused_with_a_reason(console, handler):
    handoff = shared(console)
    handler.get(f"/handoffs/{handoff.reference}")
    refused = handler.post(f"/handoffs/{handoff.reference}/note", {"note": "   "})
    assert refused.status_code == 400 and shown(WORDS["refused"]["note_empty"]) in refused.text
    assert events_of(console, handoff) == [("shared", None)]


@pytest.mark.parametrize(
    "action, form", [("pick-up", {}), ("note", {"note": "x"}), ("close", {"outcome": "signposted"})]
)
def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(console, handler, action, form):
    handoff = shared(console)
    for token in ({}, {"csrf_token": "forged"}):
        refused = handler.post(f"/handoffs/{handoff.reference}/{action}", {**form, **token}, csrf=False)
        assert refused.status_code == 403
    assert get_handoff(handoff.reference, url=console.database).status == "new"
    assert events_of(console, handoff) == [("shared", None)]


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_get_403_on_every_handoff_page(console, role):
    handoff = shared(console)
    person = signed_in(console, role)
    for path in (
        "/handoffs",
        f"/handoffs/{handoff.reference}",
        f"/handoffs/find?reference={handoff.reference}",
    ):
        assert person.get(path).status_code == 403
    assert person.post(f"/handoffs/{handoff.reference}/pick-up", {}).status_code == 403
    assert get_handoff(handoff.reference, url=console.database).status == "new"
    assert 'href="/handoffs"' not in person.get("/").text  # not in their navigation either
    assert ("handoff_viewed", handoff.reference, True) not in audited(console, person.name)


def test_without_a_session_the_handoff_pages_redirect_to_login(console):
    handoff = shared(console)
    stranger = Person(console, "x")
    for path in ("/handoffs", f"/handoffs/{handoff.reference}"):
        answer = stranger.http.get(console.url + path, allow_redirects=False, timeout=10)
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/login?next=")


def test_an_unknown_handoff_page_is_404(console, handler):
    taken = {h.reference for h in handler_queue(console)}
    unknown = next(r for r in ("PRV-7K3Q", "PRV-7K3R", "PRV-7K3T") if r not in taken)
    for path in (f"/handoffs/{unknown}", "/handoffs/not-a-reference"):
        answer = handler.get(path)
        assert answer.status_code == 404 and shown(WORDS["handoff"]["not_found"]) in answer.text


def last_seen(console: Console, name: str) -> datetime:
    with session_scope(console.database) as session:
        account_id = session.scalar(select(Account.id).where(Account.name == name))
        return as_utc(
            session.scalar(select(ConsoleSession.last_seen_at).where(ConsoleSession.account_id == account_id))
        )


def set_last_seen(console: Console, name: str, moment: datetime) -> None:
    with session_scope(console.database) as session:
        account_id = session.scalar(select(Account.id).where(Account.name == name))
        session.execute(
            update(ConsoleSession).where(ConsoleSession.account_id == account_id).values(last_seen_at=moment)
        )


def test_the_queues_background_refresh_does_not_extend_the_idle_timeout(console):
    person = signed_in(console, "handler")
    earlier = utc_now() - timedelta(minutes=10)
    set_last_seen(console, person.name, earlier)
    refreshed = person.http.get(console.url + "/handoffs", headers={BACKGROUND_HEADER: "1"}, timeout=30)
    assert refreshed.status_code == 200 and 'id="queue"' in refreshed.text
    assert last_seen(console, person.name) == earlier
    person.get("/handoffs")  # the person opening the page themself is activity
    assert last_seen(console, person.name) > earlier + timedelta(minutes=5)


def test_every_outcome_has_a_key_the_database_can_keep_and_a_label():
    for key, label in OUTCOMES.items():
        assert re.fullmatch(r"[a-z_]{1,64}", key), key  # handoffs.outcome is String(64)
        assert isinstance(label, str) and label.strip(), key
    assert set(OUTCOMES) >= {
        "advice_given",
        "referral_made",
        "signposted",
        "no_further_action",
        "could_not_reach",
    }
