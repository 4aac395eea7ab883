"""Editors' review inbox: the messages the assistant was unsure about and those from conversations that
ended in a handoff, as stored (redacted), newest first, a page at a time, with filters; and for each, "The
guess was right", "Choose the right topic" or "Dismiss" (CSRF-protected POSTs, as every console form).

Editors and admins only. Adding a message proposes it as a training example (staff.inbox): it waits on
/changes for a second person's approval like any other change, and is used once a model trained with it
is deployed from /models. A message still holding a redaction placeholder is flagged in the list and
refused when proposed. Every view, decision and refusal is audited (never the message's words).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.console.answers import acting
from prevent_assistant.console.web import Paging, audit, redirect, render, require_role
from prevent_assistant.db import changes as change_store
from prevent_assistant.db import inbox as store
from prevent_assistant.db.inbox import InboxMessage, InboxQuery
from prevent_assistant.staff import inbox
from prevent_assistant.staff.changes import ChangeRefused

inbox_pages = Blueprint("console_inbox")
EDITORS = ("editor", "admin")
PAGE_SIZE = 25
UK = ZoneInfo("Europe/London")
FILTERS = ("from", "to", "channel", "topic", "min", "max", "handoff")
FIELD_LENGTH = 100


class BadFilter(ValueError):
    """A filter the form cannot mean; the message key names why (content/console-inbox.yml filters)."""


def project_of(request: Request) -> Path:
    return Path(request.app.ctx.project)


def uk_time(sent_at: float, text: Mapping[str, Any]) -> str:
    """A stored Unix time as UK local time (GMT or BST, whichever applied then)."""
    local = datetime.fromtimestamp(sent_at, timezone.utc).astimezone(UK)
    return local.strftime(str(text["time_format"]).replace("{day}", str(local.day)))


def filter_values(args: Mapping[str, Any]) -> dict[str, str]:
    """The filters as the form sent them (first value of each, trimmed), empty ones left out."""
    found: dict[str, str] = {}
    for name in FILTERS:
        value = args.get(name)
        value = value[0] if isinstance(value, list) else value
        value = str(value or "").strip()[:FIELD_LENGTH]
        if value:
            found[name] = value
    return found


def _uk_day(value: str) -> datetime:
    """The start of a UK day (YYYY-MM-DD), in UTC."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadFilter("bad_date") from None
    return datetime.combine(day, time(), tzinfo=UK).astimezone(timezone.utc)


def _percent(value: str) -> float:
    if not value.isdigit() or int(value) > 100:
        raise BadFilter("bad_confidence")
    return int(value) / 100


def make_query(
    base: InboxQuery, values: Mapping[str, str], channels: list[str], topics: Mapping[str, str]
) -> InboxQuery:
    """The filters as a query; BadFilter for one that cannot be right."""
    since = _uk_day(values["from"]) if "from" in values else None
    until = _uk_day(values["to"]) + timedelta(days=1) if "to" in values else None
    if since and until and since >= until:
        raise BadFilter("bad_range")
    low = _percent(values["min"]) if "min" in values else None
    high = _percent(values["max"]) if "max" in values else None
    if low is not None and high is not None and low > high:
        raise BadFilter("bad_confidence_range")
    if "channel" in values and values["channel"] not in channels:
        raise BadFilter("bad_channel")
    if "topic" in values and values["topic"] not in topics:
        raise BadFilter("bad_topic")
    return dataclasses.replace(
        base,
        since=since,
        until=until,
        channel=values.get("channel"),
        topic=values.get("topic"),
        min_confidence=low,
        max_confidence=high,
        handoff_only="handoff" in values,
    )


def _row(message: InboxMessage, text: Mapping[str, Any], topics: Mapping[str, str]) -> dict[str, Any]:
    confidence = None if message.confidence is None else f"{math.floor(message.confidence * 100)}%"
    channel = text["channels"].get(message.channel, message.channel) if message.channel else None
    return {
        "id": message.event_id,
        "text": message.text,
        "when": uk_time(message.sent_at, text),
        "channel": channel or text["unknown_channel"],
        "guess": topics.get(message.guess, message.guess) if message.guess else None,
        "confidence": confidence,
        "handed_off": message.handed_off,
        "flagged": ", ".join(inbox.flagged(message)),
    }


def _notice(args: Mapping[str, Any], text: Mapping[str, Any], topics: Mapping[str, str]) -> str | None:
    done = str(args.get("done") or "")
    if done == "dismissed":
        return str(text["done"]["dismissed"])
    if done not in ("proposed", "merged") or not str(args.get("change") or "").isdigit():
        return None
    try:
        change = change_store.get_change(int(str(args.get("change"))))
    except change_store.UnknownChange:
        return None
    return str(text["done"][done]).format(id=change.id, topic=topics.get(change.target, change.target))


def inbox_page(
    request: Request,
    values: dict[str, str],
    page: int = 1,
    error: str | None = None,
    messages: list[str] | None = None,
    status: int = 200,
) -> HTTPResponse:
    root = project_of(request)
    text = inbox.wording()
    base = inbox.base_query(root)
    topics = inbox.topic_names(root)
    channels = store.channels(base)
    try:
        query = make_query(base, values, channels, topics)
    except BadFilter as bad:
        query, error, status = base, str(text["filters"][str(bad)]), 400
    total = store.count_messages(query)
    paging = Paging.of(page, total, PAGE_SIZE)
    page, pages = paging.page, paging.pages
    rows = store.list_messages(query, limit=PAGE_SIZE, offset=paging.offset)
    audit(request, "inbox_viewed", f"page {page} of {pages}", succeeded=status < 400)
    here = urlencode(values)
    return render(
        request,
        "inbox.html",
        status,
        title=text["title"],
        i=text,
        values=values,
        channels=[(key, text["channels"].get(key, key)) for key in channels],
        topics=topics,
        rows=[_row(message, text, topics) for message in rows],
        total=total,
        **paging.shown(len(rows)),
        filtered=bool(values),
        page_link=lambda number: "/inbox?" + urlencode({**values, "page": number}),
        back="/inbox" + (f"?{here}&page={page}" if here else f"?page={page}"),
        notice=None if error else _notice(request.args, text, topics),
        error=error,
        messages=messages or [],
    )


def _page_number(value: Any) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@inbox_pages.get("/inbox")
@require_role(*EDITORS)
async def inbox_view(request: Request) -> HTTPResponse:
    return inbox_page(request, filter_values(request.args), _page_number(request.args.get("page")))


def _back(request: Request) -> tuple[dict[str, str], int, str]:
    """The filters and page the form was sent from (its `back` field), to return to them."""
    form = request.form or {}
    back = str(form.get("back") or "")
    parts = urlsplit(back)
    args = parse_qs(parts.query) if parts.path == "/inbox" and not parts.netloc else {}
    values = filter_values(args)
    page = _page_number((args.get("page") or ["1"])[0])
    return values, page, "/inbox?" + urlencode({**values, "page": page})


async def _decide(request: Request, event_id: int, how: str) -> HTTPResponse:
    """Propose (the guess, or the chosen topic) or dismiss; back to the same page and filters."""
    root = project_of(request)
    values, page, back = _back(request)
    text = inbox.wording()
    action = {"right": "inbox_guess_confirmed", "topic": "inbox_topic_chosen", "dismiss": "inbox_dismissed"}
    try:
        if how == "dismiss":
            await asyncio.to_thread(inbox.dismiss, root, event_id, acting(request))
            audit(request, action[how], f"message {event_id}")
            return redirect(f"{back}&done=dismissed")
        topic = str((request.form or {}).get("topic") or "") if how == "topic" else None
        if topic == "":
            raise ChangeRefused("bad_topic", 400)
        proposed = await asyncio.to_thread(inbox.propose_example, root, event_id, acting(request), topic)
    except ChangeRefused as refused:
        audit(request, action[how], f"message {event_id}", succeeded=False)
        reason = str(text["refused"].get(refused.reason, text["refused"]["other"]))
        return inbox_page(
            request, values, page, reason.format(id=refused.change_id), refused.messages, refused.status
        )
    change = proposed.change
    subject = f"message {event_id}: change {change.id} {proposed.topic}"
    audit(request, action[how], subject)
    audit(request, "change_proposed", f"change {change.id}: examples {proposed.topic}")
    done = "merged" if proposed.merged else "proposed"
    return redirect(f"{back}&done={done}&change={change.id}")


@inbox_pages.post("/inbox/<event_id:int>/right")
@require_role(*EDITORS)
async def guess_right(request: Request, event_id: int) -> HTTPResponse:
    return await _decide(request, event_id, "right")


@inbox_pages.post("/inbox/<event_id:int>/topic")
@require_role(*EDITORS)
async def choose_topic(request: Request, event_id: int) -> HTTPResponse:
    return await _decide(request, event_id, "topic")


@inbox_pages.post("/inbox/<event_id:int>/dismiss")
@require_role(*EDITORS)
async def dismiss(request: Request, event_id: int) -> HTTPResponse:
    return await _decide(request, event_id, "dismiss")
