"""The call handlers' pages: the queue of handoffs, finding one by the reference a caller reads out, and
each handoff's page (transcript, history, pick up, notes, close with an outcome, reopen).

Handlers only: editors and admins get 403 (`require_role("handler")`). Every render of a handoff's page
shows a person's conversation, so each one is audited ("handoff_viewed"), as is every change; a note's text
never reaches the audit log. The queue page refreshes itself with static/handoffs-queue.js, whose requests
carry BACKGROUND_HEADER so that they do not count as the handler being active (see docs/console.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.console import config
from prevent_assistant.console.web import (
    BACKGROUND_HEADER,
    CONTENT_SECURITY_POLICY,
    audit,
    redirect,
    render,
    require_role,
    signed_in,
)
from prevent_assistant.content import load_content
from prevent_assistant.db import handoffs as store
from prevent_assistant.db.handoff_history import HistoryItem, as_utc, history
from prevent_assistant.db.models import STATUSES, Handoff, utc_now
from prevent_assistant.settings import parse_duration

handoff_pages = Blueprint("console_handoffs")
UK = ZoneInfo("Europe/London")
# The queue page's script fetches the queue again, so that page (only) may connect to the console itself.
QUEUE_POLICY = CONTENT_SECURITY_POLICY + "; connect-src 'self'"
# What each change is called in the audit log, and the history step it makes.
AUDITED = {
    "picked_up": "handoff_picked_up",
    "note": "handoff_note_added",
    "closed": "handoff_closed",
    "reopened": "handoff_reopened",
}
# Refusals that are the form's fault (400); the others are the handoff's state (409).
BAD_INPUT = ("bad_outcome", "note_empty", "note_too_long")


def wording() -> dict[str, Any]:
    """content/console-handoffs.yml, read for every page so an edit shows without a restart."""
    return load_content("console-handoffs")


def uk_time(moment: datetime, text: dict[str, Any]) -> str:
    """A UTC time as UK local time (GMT or BST, whichever applied then), e.g. "Sun 6 Dec 2026, 19:05"."""
    local = as_utc(moment).astimezone(UK)
    return local.strftime(text["time_format"].replace("{day}", str(local.day)))


def plain_topics(intents: list[str]) -> list[str]:
    """Topics in the words the person saw in the chat (content/topics.yml); intents with no plain name
    there (a greeting, a yes) say nothing about the concern and are left out, never shown by name."""
    labels = load_content("topics").get("topics") or {}
    return [str(labels[intent]) for intent in intents if intent in labels]


def channel_name(channel: str | None, text: dict[str, Any]) -> str:
    if not channel:
        return str(text["unknown_channel"])
    return str(text["channels"].get(channel, channel))


def refresh_seconds() -> int:
    period = parse_duration(config.console_settings()["queue_refresh"])
    return max(5, int(period.total_seconds()))


def _queue_rows(status: str, text: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "reference": row.reference,
            "created": uk_time(row.created_at, text),
            "channel": channel_name(row.channel, text),
            "topics": plain_topics(row.topics),
            "status": text["statuses"][row.status],
            "assignee": row.assignee,
        }
        for row in store.queue(status)
    ]


def _queue_page(
    request: Request, status: str, found: str = "", error: str | None = None, code: int = 200
) -> HTTPResponse:
    text = wording()
    counts = store.count_by_status()
    new = counts["new"]
    count_text = text["queue"]["new_count"]["zero" if new == 0 else "one" if new == 1 else "other"]
    answer = render(
        request,
        "handoffs.html",
        code,
        title=text["queue"]["title"],
        h=text,
        status=status,
        statuses=STATUSES,
        counts=counts,
        new_count=count_text.format(count=new),
        rows=_queue_rows(status, text),
        updated=uk_time(utc_now(), text),
        refresh_seconds=refresh_seconds(),
        background_header=BACKGROUND_HEADER,
        found=found,
        error=error,
    )
    answer.headers["Content-Security-Policy"] = QUEUE_POLICY
    return answer


@handoff_pages.get("/handoffs")
@require_role("handler")
async def queue_page(request: Request) -> HTTPResponse:
    """The queue, one status at a time (new by default); works without JavaScript (a Refresh link)."""
    status = request.args.get("status") or "new"
    return _queue_page(request, status if status in STATUSES else "new")


@handoff_pages.get("/handoffs/find")
@require_role("handler")
async def find(request: Request) -> HTTPResponse:
    """The Reference box: 'prv 7k3q', 'PRV7K3Q' and 'PRV-7K3Q' all open PRV-7K3Q's page. Not a reference:
    400; no such handoff: 404; both on the queue page, with the box keeping what was typed."""
    typed = (request.args.get("reference") or "").strip()[:64]
    text = wording()["find"]
    try:
        handoff = store.find_handoff(typed)
    except ValueError:
        return _queue_page(request, "new", typed, text["malformed"], 400)
    except store.UnknownReference:
        reference = store.normalise_reference(typed)
        return _queue_page(request, "new", typed, text["unknown"].format(reference=reference), 404)
    return redirect(f"/handoffs/{handoff.reference}")


@handoff_pages.get("/handoffs/<reference>")
@require_role("handler")
async def handoff_page(request: Request, reference: str) -> HTTPResponse:
    """One handoff. A reference written another way ('prv-7k3q') redirects to its usual address."""
    try:
        canonical = store.normalise_reference(reference)
        handoff = store.get_handoff(canonical)
    except (ValueError, store.UnknownReference):
        return _not_found(request)
    if canonical != reference:
        return redirect(f"/handoffs/{canonical}")
    done = request.args.get("done")
    notice = wording()["done"].get(done) if done else None
    return _handoff_page(request, handoff, notice=notice)


@handoff_pages.post("/handoffs/<reference>/pick-up")
@require_role("handler")
async def pick_up(request: Request, reference: str) -> HTTPResponse:
    """Assign it to me: a new one, or (the form's `take_over`) one a colleague has."""
    take_over = _form_value(request, "take_over") == "1"
    return await _change(
        request, reference, "picked_up", lambda ref, me: store.pick_up(ref, me, take_over=take_over)
    )


@handoff_pages.post("/handoffs/<reference>/note")
@require_role("handler")
async def add_note(request: Request, reference: str) -> HTTPResponse:
    """A note, redacted before it is stored (in a thread: redaction tokenizes the text)."""
    text = _form_value(request, "note")
    return await _change(request, reference, "note", lambda ref, me: store.add_note(ref, me, text))


@handoff_pages.post("/handoffs/<reference>/close")
@require_role("handler")
async def close(request: Request, reference: str) -> HTTPResponse:
    """Close with an outcome from content/outcomes.yml."""
    outcome = _form_value(request, "outcome")
    return await _change(request, reference, "closed", lambda ref, me: store.close_handoff(ref, me, outcome))


@handoff_pages.post("/handoffs/<reference>/reopen")
@require_role("handler")
async def reopen(request: Request, reference: str) -> HTTPResponse:
    """A closed handoff open again, picked up by me."""
    return await _change(request, reference, "reopened", lambda ref, me: store.reopen(ref, me))


def _form_value(request: Request, name: str) -> str:
    return str((request.form or {}).get(name) or "")


async def _change(
    request: Request, reference: str, done: str, apply: Callable[[str, int], object]
) -> HTTPResponse:
    """Apply a change as the signed-in handler, audit it, and go back to the handoff's page (303, so a
    reload does not send the form again). Refused (400 bad input, 409 not possible now): the page again
    with the reason, nothing changed, the attempt audited as failed."""
    session = signed_in(request)
    assert session is not None  # require_role
    try:
        reference = store.normalise_reference(reference)
        await asyncio.to_thread(apply, reference, session.account.id)
    except (ValueError, store.UnknownReference) as error:
        if isinstance(error, store.HandoffStateError):
            audit(request, AUDITED[done], reference, succeeded=False)
            code = 400 if error.reason in BAD_INPUT else 409
            reason = wording()["refused"][error.reason].format(limit=store.NOTE_MAX_LENGTH)
            handoff = store.get_handoff(reference)
            note = _form_value(request, "note")
            return _handoff_page(request, handoff, error=reason, code=code, note=note)
        return _not_found(request)
    audit(request, AUDITED[done], reference)
    return redirect(f"/handoffs/{reference}?done={done}")


def _not_found(request: Request) -> HTTPResponse:
    words = wording()["handoff"]
    return render(request, "error.html", 404, title=words["not_found_title"], reason=words["not_found"])


def _handoff_page(
    request: Request,
    handoff: Handoff,
    notice: str | None = None,
    error: str | None = None,
    code: int = 200,
    note: str = "",
) -> HTTPResponse:
    """Render the page and audit the view: the transcript is on it."""
    text = wording()
    session = signed_in(request)
    assert session is not None
    outcomes = store.outcome_labels()
    audit(request, "handoff_viewed", handoff.reference)
    return render(
        request,
        "handoff.html",
        code,
        title=text["handoff"]["title"].format(reference=handoff.reference),
        h=text,
        handoff=handoff,
        mine=handoff.assigned_to == session.account.id,
        created=uk_time(handoff.created_at, text),
        channel=channel_name(handoff.channel, text),
        topics=plain_topics(list(handoff.topics or [])),
        status=text["statuses"][handoff.status],
        assignee=store.assignee_name(handoff),
        outcome=outcomes.get(handoff.outcome or "", handoff.outcome),
        outcomes=outcomes,
        steps=[_step(item, text, outcomes) for item in history(handoff.id)],
        notice=notice,
        error=error,
        note=note,
    )


def _step(item: HistoryItem, text: dict[str, Any], outcomes: dict[str, str]) -> dict[str, str | None]:
    """One line of the history: when (UK time), who, and what in plain words (a note's text under it)."""
    words = text["handoff"]
    nobody = words["the_person"] if item.kind == "shared" else words["command_line"]
    who = item.account_name or nobody
    what = words["steps"][item.kind]
    if item.kind == "closed":
        what = what.format(outcome=outcomes.get(item.detail or "", item.detail or "–"))
    return {
        "when": uk_time(item.at, text),
        "who": who,
        "what": what,
        "note": item.detail if item.kind == "note" else None,
    }
