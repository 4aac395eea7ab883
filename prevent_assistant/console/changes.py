"""Editors' pages for changes: those waiting for approval, the history, and each change's diff with its
Approve, Reject and Revert buttons (CSRF-protected POSTs, as every console form).

Editors and admins only. Approval applies the change (staff.changes.approve: written to the YAML files,
validated, committed in git when the project is a repository); the author cannot approve their own unless
settings.yml `console.four_eyes` is false. Every approval, application, rejection and revert is audited,
refusals too.
"""

from __future__ import annotations

import asyncio
import difflib
import re
from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.console import config
from prevent_assistant.console.answers import CLIP_PREFIX, EDITORS, acting, project_of, wording
from prevent_assistant.console.web import Paging, audit, page_asked, redirect, render, require_role
from prevent_assistant.db import changes as store
from prevent_assistant.staff import changes
from prevent_assistant.staff.change_kinds import KINDS

change_pages = Blueprint("console_changes")
PAGE_SIZE = 25
REVIEWED = ("approved", "rejected", "reverted")
# Answers are long lines: the diff compares them a sentence at a time, so a changed figure shows as one line.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
OFF_VALUES = (False, 0, "false", "no", "off")


def four_eyes() -> bool:
    """settings.yml `console.four_eyes` (default on): off only for a one-person team."""
    value = config.console_settings()["four_eyes"]
    return (value.lower() if isinstance(value, str) else value) not in OFF_VALUES


# Changes to the conversation tests and stories are shown on the stories page, examples from the inbox on the
# inbox; the rest are answers and clips.
STORY_KINDS = ("conversation_test", "story")


def where_it_lives(kind: str, name: str, variation: int | None) -> str:
    """The page that shows what a change edits: its answer or clip, or the stories page."""
    if kind in STORY_KINDS:
        return "/stories"
    if kind == "examples":
        return "/inbox"
    return f"/answers/{name}" + (f"?variation={variation}" if variation and variation != 1 else "")


def subject(change: store.Change) -> str:
    """How a change is named in the audit log: its number and what it changes, never its words."""
    return f"change {change.id}: {change.kind} {change.target}"


@change_pages.get("/changes")
@require_role(*EDITORS)
async def changes_page(request: Request) -> HTTPResponse:
    """Pending changes (all), then the history of reviewed ones, newest first, a page at a time."""
    reviewed = store.ChangeQuery(statuses=REVIEWED)
    total = store.count_changes(reviewed)
    paging = Paging.of(page_asked(request), total, PAGE_SIZE)
    history = store.list_changes(reviewed, limit=PAGE_SIZE, offset=paging.offset)
    pending = store.list_changes(store.ChangeQuery(statuses=("pending",)), limit=500)
    text = wording()
    return render(
        request,
        "changes.html",
        title=text["changes"]["title"],
        a=text,
        pending=pending,
        history=history,
        total=total,
        **paging.shown(len(history)),
        four_eyes=four_eyes(),
    )


def as_lines(kind: str, payload: dict[str, Any] | None) -> list[str]:
    """A value as the lines its diff compares: one sentence (or clip field) a line."""
    content = KINDS.get(kind)
    text = content.as_text(payload) if content is not None else ""
    return [sentence for line in text.splitlines() for sentence in SENTENCE_END.split(line) if sentence]


def diff_lines(change: store.Change) -> list[dict[str, str]]:
    """A unified diff of previous -> proposed, each line with its mark (+, -, space) and kind."""
    found = []
    before, after = as_lines(change.kind, change.previous), as_lines(change.kind, change.payload)
    for line in list(difflib.unified_diff(before, after, lineterm="", n=len(before) + len(after)))[2:]:
        if line.startswith("@@"):
            continue
        mark, words = line[:1], line[1:]
        kind = {"+": "added", "-": "removed"}.get(mark, "unchanged")
        found.append({"mark": {"+": "+", "-": "-"}.get(mark, " "), "kind": kind, "text": words})
    return found


def change_page(
    request: Request,
    change_id: int,
    error: str | None = None,
    messages: list[str] | None = None,
    status: int = 200,
) -> HTTPResponse:
    text = wording()
    try:
        change = store.get_change(change_id)
    except store.UnknownChange:
        return render(
            request, "error.html", 404, title=text["change"]["back"], reason=text["refused"]["unknown_change"]
        )
    me = acting(request)
    done = request.args.get("done") if request.method == "GET" else None
    notice = text["change"]["done"][done].format(id=change.id) if done in text["change"]["done"] else None
    name = f"{CLIP_PREFIX}{change.target}" if change.kind == "clip" else change.target
    variation = change.payload.get("variation")
    return render(
        request,
        "change.html",
        status,
        title=text["change"]["title"].format(id=change.id),
        a=text,
        change=change,
        diff=diff_lines(change),
        answer_href=where_it_lives(change.kind, name, variation),
        may_approve=changes.may_review(change, me, four_eyes()),
        notice=notice,
        error=error,
        messages=messages or [],
    )


@change_pages.get("/changes/<change_id:int>")
@require_role(*EDITORS)
async def change_view(request: Request, change_id: int) -> HTTPResponse:
    return change_page(request, change_id)


@change_pages.post("/changes/<change_id:int>/approve")
@require_role(*EDITORS)
async def approve(request: Request, change_id: int) -> HTTPResponse:
    """Approve and apply. Refused (own change, no longer pending, stale, breaks the project): the page
    again with the reason, nothing changed, the attempt audited as failed."""
    root = project_of(request)
    try:
        change = await asyncio.to_thread(changes.approve, root, change_id, acting(request), four_eyes())
    except changes.ChangeRefused as refused:
        audit(request, "change_approved", f"change {change_id}", succeeded=False)
        return _refused(request, change_id, refused)
    audit(request, "change_approved", subject(change))
    audit(request, "change_applied", f"{subject(change)} ({change.commit or 'no git'})"[:255])
    return redirect(f"/changes/{change.id}?done=approved")


@change_pages.post("/changes/<change_id:int>/reject")
@require_role(*EDITORS)
async def reject(request: Request, change_id: int) -> HTTPResponse:
    try:
        change = await asyncio.to_thread(changes.reject, change_id, acting(request))
    except changes.ChangeRefused as refused:
        audit(request, "change_rejected", f"change {change_id}", succeeded=False)
        return _refused(request, change_id, refused)
    audit(request, "change_rejected", subject(change))
    return redirect(f"/changes/{change.id}?done=rejected")


@change_pages.post("/changes/<change_id:int>/revert")
@require_role(*EDITORS)
async def revert(request: Request, change_id: int) -> HTTPResponse:
    """Propose the change that puts back what this one replaced; it waits for approval like any other."""
    text = wording()
    try:
        original = store.get_change(change_id)
    except store.UnknownChange:
        return change_page(request, change_id)
    summary = text["summaries"]["revert"].format(id=original.id, summary=original.summary)
    try:
        change = await asyncio.to_thread(
            changes.revert, project_of(request), change_id, acting(request), summary
        )
    except changes.ChangeRefused as refused:
        audit(request, "change_reverted", f"change {change_id}", succeeded=False)
        return _refused(request, change_id, refused)
    audit(request, "change_reverted", f"{subject(change)} (reverts change {original.id})")
    return redirect(f"/changes/{change.id}?done=revert_proposed")


def _refused(request: Request, change_id: int, refused: changes.ChangeRefused) -> HTTPResponse:
    reason = wording()["refused"][refused.reason].format(id=refused.change_id or change_id)
    return change_page(request, change_id, reason, refused.messages, refused.status)
