"""Editors' pages for the assistant's answers and clips: the list (searchable), an edit form that checks
the answer as it is typed and previews it as the chat widget draws it, and saving as a pending change.

Editors and admins only (`require_role("editor", "admin")`). The live checks are the same rule functions
`prevent-assistant validate` runs (staff.validation.one_answer), called by /answers/check from
static/answers.js; the preview uses the widget's own modules (dom.js, richtext.js), served here from the
project's widget/ folder rather than copied, so the preview cannot drift from what the public sees.
Saving goes through staff.changes: an answer that breaks a rule is refused with the rule's own message and
nothing is stored; a valid one waits for a second person's approval (console/changes.py).
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.console.web import (
    CONTENT_SECURITY_POLICY,
    audit,
    redirect,
    render,
    require_role,
    signed_in,
)
from prevent_assistant.content import load_content
from prevent_assistant.db import changes as store
from prevent_assistant.paths import ProjectPaths
from prevent_assistant.staff import changes
from prevent_assistant.staff.change_kinds import KINDS, ClipKind, ResponseKind, UnknownTarget, project_for
from prevent_assistant.staff.validation.accessors import all_responses
from prevent_assistant.staff.validation.content_rules import CLIP_FIELDS, CLIP_RESPONSE, MAX_WORDS
from prevent_assistant.staff.validation.one_answer import AnswerReport

answer_pages = Blueprint("console_answers")
EDITORS = ("editor", "admin")
CLIP_PREFIX = f"{CLIP_RESPONSE}/"
# The widget files the preview imports, and their types; nothing else in widget/ is served here.
WIDGET_FILES = {"dom.js": "text/javascript", "richtext.js": "text/javascript", "widget.css": "text/css"}
# The edit page's script asks /answers/check as the person types, so that page may connect to the console.
EDIT_POLICY = CONTENT_SECURITY_POLICY + "; connect-src 'self'"
REASON_LENGTH = 160
PREVIEW_WORDS = 14


def wording() -> dict[str, Any]:
    """content/console-answers.yml, shared with the changes pages."""
    return load_content("console-answers")


def project_of(request: Request) -> Path:
    return Path(request.app.ctx.project)


def acting(request: Request) -> changes.Person:
    session = signed_in(request)
    assert session is not None  # require_role
    return changes.Person(session.account.id, session.account.name)


def form_value(request: Request, name: str) -> str:
    return str((request.form or {}).get(name) or "")


def with_reason(request: Request, summary: str) -> str:
    """A proposed change's summary, followed by the proposer's reason from the form, if they gave one: on
    one line, at most REASON_LENGTH characters, as the changes page shows it."""
    reason = " ".join(form_value(request, "reason").split())[:REASON_LENGTH]
    return f"{summary}: {reason}" if reason else summary


# --- The list ----------------------------------------------------------------------------------------
def answer_rows(root: Path) -> list[dict[str, Any]]:
    """Every variation of every response but the clips, with where it is written and how it begins."""
    project = project_for(root)
    rows = []
    for name, (file, _) in sorted(all_responses(project).items()):
        if name == CLIP_RESPONSE:
            continue
        variations = list(project.doc(file)["responses"][name] or [])
        for number, variation in enumerate(variations, start=1):
            text = " ".join(str(dict(variation).get("text") or "").split())
            words = text.split()
            begins = " ".join(words[:PREVIEW_WORDS]) + (" …" if len(words) > PREVIEW_WORDS else "")
            query = f"?variation={number}" if len(variations) > 1 else ""
            rows.append(
                {
                    "name": name,
                    "number": number if len(variations) > 1 else None,
                    "href": f"/answers/{name}{query}",
                    "file": file,
                    "begins": begins,
                    "search": f"{name} {text}".lower(),
                }
            )
    return rows


def clip_rows(root: Path) -> list[dict[str, Any]]:
    kind = KINDS["clip"]
    assert isinstance(kind, ClipKind)
    rows = []
    for myth in kind.myths(root):
        clip = kind.current(root, myth)
        rows.append(
            {
                "myth": myth,
                "title": clip["title"],
                "href": f"/answers/{CLIP_PREFIX}{myth}",
                "search": " ".join([myth, *clip.values()]).lower(),
            }
        )
    return rows


@answer_pages.get("/answers")
@require_role(*EDITORS)
async def answers_page(request: Request) -> HTTPResponse:
    """Every answer and clip; `q` keeps those whose name or words hold it."""
    root = project_of(request)
    search = (request.args.get("q") or "").strip()[:100]
    answers, clips = await asyncio.to_thread(lambda: (answer_rows(root), clip_rows(root)))
    if search:
        answers = [row for row in answers if search.lower() in row["search"]]
        clips = [row for row in clips if search.lower() in row["search"]]
    pending = {
        (change.kind, change.target): change.id
        for change in store.list_changes(store.ChangeQuery(statuses=("pending",)), limit=1000)
    }
    text = wording()
    return render(
        request,
        "answers.html",
        title=text["answers"]["title"],
        a=text,
        search=search,
        answers=answers,
        clips=clips,
        pending=pending,
    )


# --- The live check and the widget's modules ------------------------------------------------------------
def figures(report: AnswerReport) -> dict[str, str]:
    """The live checks in words (content/console-answers.yml), for the page and for the script alike."""
    words = wording()["edit"]
    score = None if report.reading_ease is None else str(math.floor(report.reading_ease))
    if score is None:
        ease = words["reading_ease_none"]
    elif report.factual:
        ease = words["reading_ease"].format(score=score, min=report.min_reading_ease)
    else:
        ease = words["reading_ease_not_needed"].format(score=score)
    if not report.factual:
        source = words["source_not_needed"]
    else:
        source = words["source_yes"] if report.has_source else words["source_no"]
    return {
        "words": words["words"].format(count=report.words, max_words=report.max_words),
        "reading_ease": ease,
        "source": source,
    }


def _check(root: Path, fields: dict[str, str]) -> dict[str, Any]:
    """What /answers/check answers for a form's fields: the figures, the messages, the chat text."""
    target = fields.get("target", "")
    if fields.get("kind") == "clip":
        clip = KINDS["clip"]
        assert isinstance(clip, ClipKind)
        payload = {field: fields.get(field, "") for field in CLIP_FIELDS}
        chat_text, _ = clip.proposed(root, target, payload)
        messages = clip.problems(root, target, payload)
        return {"messages": messages, "chat_text": chat_text, "figures": None}
    answer = KINDS["response"]
    assert isinstance(answer, ResponseKind)
    number = _number(fields.get("variation"))
    answer.current(root, target, number)  # UnknownTarget for a name the project does not have
    report = answer.report(root, target, fields.get("text", ""), number)
    return {"messages": report.messages, "chat_text": fields.get("text", ""), "figures": figures(report)}


@answer_pages.post("/answers/check")
@require_role(*EDITORS)
async def check(request: Request) -> HTTPResponse:
    """The edit form's fields -> the same checks as saving would make, as JSON. Saves nothing."""
    fields = {key: form_value(request, key) for key in (request.form or {})}
    try:
        found = await asyncio.to_thread(_check, project_of(request), fields)
    except UnknownTarget:
        return response.json({"error": wording()["edit"]["not_found"].format(name="")}, status=404)
    return response.json({**found, "ok": not found["messages"]})


@answer_pages.get("/widget/<name>")
async def widget_file(request: Request, name: str) -> HTTPResponse:
    """The widget's own rich-text and DOM modules and its stylesheet, from the project's widget/ folder."""
    if name not in WIDGET_FILES:
        return response.text("not found", status=404)
    path = ProjectPaths(project_of(request)).widget_dir / name
    if not path.is_file():
        return response.text("not found", status=404)
    return response.text(
        path.read_text(encoding="utf-8"), content_type=f"{WIDGET_FILES[name]}; charset=utf-8"
    )


# --- Editing -----------------------------------------------------------------------------------------
def _number(value: Any) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _kind_and_target(name: str) -> tuple[str, str]:
    return ("clip", name.removeprefix(CLIP_PREFIX)) if name.startswith(CLIP_PREFIX) else ("response", name)


def edit_page(
    request: Request,
    name: str,
    number: int,
    values: dict[str, str] | None = None,
    error: str | None = None,
    messages: list[str] | None = None,
    status: int = 200,
) -> HTTPResponse:
    """The form for `name` (a response, or utter_clip/<myth>), holding `values` (else the current ones)."""
    root = project_of(request)
    text = wording()
    kind, target = _kind_and_target(name)
    try:
        current = KINDS[kind].current(root, target, number)
    except UnknownTarget:
        return render(
            request,
            "error.html",
            404,
            title=text["edit"]["back"],
            reason=text["edit"]["not_found"].format(name=name),
        )
    values = values if values is not None else {key: str(value) for key, value in current.items()}
    fields = {"kind": kind, "target": target, "variation": str(number), **values}
    checked = _check(root, fields)
    waiting = store.pending_for(kind, target)
    widget = load_content("widget")
    if kind == "clip":
        title = text["edit"]["clip_title"].format(myth=target)
    else:
        title = text["edit"]["title"].format(name=name)
    answer = render(
        request,
        "answer_edit.html",
        status,
        title=title,
        a=text,
        kind=kind,
        name=name,
        target=target,
        number=number,
        values=values,
        clip_fields=CLIP_FIELDS,
        max_words=MAX_WORDS,
        figures=checked["figures"],
        messages=messages if messages is not None else checked["messages"],
        chat_text=checked["chat_text"],
        waiting=waiting,
        error=error,
        widget=widget,
    )
    answer.headers["Content-Security-Policy"] = EDIT_POLICY
    return answer


@answer_pages.get("/answers/<name:path>")
@require_role(*EDITORS)
async def answer_page(request: Request, name: str) -> HTTPResponse:
    return edit_page(request, name, _number(request.args.get("variation")))


@answer_pages.post("/answers/<name:path>")
@require_role(*EDITORS)
async def propose(request: Request, name: str) -> HTTPResponse:
    """Send the form's answer or clip for approval; if it breaks a rule, the form again with the rules'
    messages (400) and nothing stored."""
    root = project_of(request)
    kind, target = _kind_and_target(name)
    number = _number(form_value(request, "variation"))
    if kind == "clip":
        values = {field: form_value(request, field) for field in CLIP_FIELDS}
        payload: dict[str, Any] = dict(values)
    else:
        values = {"text": form_value(request, "text")}
        payload = {"variation": number, "text": values["text"]}
    text = wording()
    summary = with_reason(request, text["summaries"][kind].format(target=target))
    try:
        change = await asyncio.to_thread(
            changes.propose, root, kind, target, payload, acting(request), summary
        )
    except changes.ChangeRefused as refused:
        audit(request, "change_proposed", name, succeeded=False)
        error = text["refused"][refused.reason].format(id=refused.change_id)
        return edit_page(request, name, number, values, error, refused.messages, refused.status)
    audit(request, "change_proposed", f"change {change.id}: {name}")
    return redirect(f"/changes/{change.id}?done=proposed")
