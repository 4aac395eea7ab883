"""The stories page: every rule, story and conversation test in plain words, and real conversations saved
as conversation tests or training stories.

Editors and admins only. A rule or story reads "When someone asks …, the assistant replies …", with the
topic's question from content/topics.yml and the first sentence of each answer, so staff who never open the
YAML can see what the assistant is taught and tested on; the intent and action names are shown small. Any
stored conversation (redacted as it was stored) can be proposed as a conversation test or a story: a change
of kind "conversation_test" or "story" (staff.story_kinds) that waits for a second person's approval on the
changes pages like any other. The steps are always built here from the stored events, never taken from the
form. Viewing a conversation, the lists and each proposal are audited.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from prevent_assistant.console.answers import acting, form_value, project_of, with_reason
from prevent_assistant.console.answers import wording as change_wording
from prevent_assistant.console.stats import topic_words
from prevent_assistant.console.web import Paging, audit, page_asked, redirect, render, require_role
from prevent_assistant.content import load_content
from prevent_assistant.db import transcripts
from prevent_assistant.names import BOT_EVENT, USER_EVENT
from prevent_assistant.paths import ProjectPaths
from prevent_assistant.staff import changes
from prevent_assistant.staff.change_kinds import project_for
from prevent_assistant.staff.story_kinds import (
    TEST_FILE,
    conversation_steps,
    has_placeholder,
    story_files,
    story_steps,
)
from prevent_assistant.staff.validation.accessors import all_responses, blocks
from prevent_assistant.staff.validation.project import RULES, STORIES

story_pages = Blueprint("console_stories")
EDITORS = ("editor", "admin")
PAGE_SIZE = 25
SENTENCE = re.compile(r"^(.+?[.!?])(?=\s|$)", re.S)
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def wording() -> dict[str, Any]:
    return load_content("console-stories")


# --- Plain words ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Words:
    """What the plain-words sentences are made from: the wording, the topics' questions, each answer's
    first sentence."""

    text: dict[str, Any]
    topics: dict[str, str]
    first_sentences: dict[str, str]

    def who(self, step: dict[str, Any]) -> str:
        intent = str(step.get("intent"))
        if intent in self.topics:
            said = self.text["asks_topic"].format(topic=self.topics[intent])
        else:
            said = self.text["intents"].get(intent) or self.text["unknown_intent"].format(name=intent)
        user = " ".join(str(step.get("user") or "").split())
        if user.startswith("/"):  # a button press: its payload is the intent's name, not words
            return self.text["presses"].format(who=said)
        return self.text["writes"].format(text=user, who=said) if user else said

    def does(self, action: str) -> str:
        if action in self.text["actions"]:
            return str(self.text["actions"][action])
        if action in self.first_sentences:
            return self.text["replies"].format(sentence=self.first_sentences[action])
        return self.text["unknown_action"].format(name=action)

    def sentences(self, steps: list[Any]) -> list[str]:
        """A story's steps as sentences: one for each message and the replies after it."""
        turns: list[tuple[dict[str, Any] | None, list[str]]] = []
        for step in steps:
            if not isinstance(step, dict):
                continue
            if "intent" in step:
                turns.append((step, []))
            elif "action" in step:
                if not turns:
                    turns.append((None, []))
                turns[-1][1].append(self.does(str(step["action"])))
        found = []
        for index, (said, replies) in enumerate(turns):
            done = self.text["and_then"].join(replies) or self.text["nothing"]
            if said is None:
                found.append(self.text["assistant_first"].format(replies=done).strip())
            else:
                pattern = "when" if index == 0 or turns[0][0] is None and index == 1 else "then_when"
                found.append(self.text[pattern].format(who=self.who(said), replies=done))
        return found


def first_sentence(text: str) -> str:
    """An answer's first sentence, Markdown links as their words, on one line."""
    plain = " ".join(MARKDOWN_LINK.sub(r"\1", text).split())
    found = SENTENCE.match(plain)
    return found.group(1) if found else plain


def words_for(root: Path) -> Words:
    project = project_for(root)
    sentences = {}
    for name, (file, _) in all_responses(project).items():
        variations = project.doc(file)["responses"][name] or []
        if variations and isinstance(variations[0], dict):
            sentences[name] = first_sentence(str(variations[0].get("text") or ""))
    return Words(wording(), topic_words(root), sentences)


def technical(steps: list[Any]) -> str:
    names = [str(step.get("intent") or step.get("action")) for step in steps if isinstance(step, dict)]
    return " → ".join(name for name in names if name != "None")


def listed(root: Path) -> dict[str, list[dict[str, Any]]]:
    """Rules, stories and conversation tests, each with its name, file, sentences and technical names."""
    words = words_for(root)
    project = project_for(root)
    found: dict[str, list[dict[str, Any]]] = {"rules": [], "stories": [], "tests": []}
    for key, kind, title in (("rules", RULES, "rule"), ("stories", STORIES, "story")):
        for file, _, block, _ in blocks(project, kind):
            steps = [dict(step) for step in block.get("steps") or [] if isinstance(step, dict)]
            found[key].append(_item(str(block.get(title)), file, steps, words))
    test_file = ProjectPaths(root).test_stories
    if test_file.is_file():
        loaded = yaml.safe_load(test_file.read_text(encoding="utf-8")) or {}
        for block in loaded.get("stories") or []:
            steps = [step for step in block.get("steps") or [] if isinstance(step, dict)]
            found["tests"].append(_item(str(block.get("story")), TEST_FILE, steps, words))
    return found


def _item(name: str, file: str, steps: list[dict[str, Any]], words: Words) -> dict[str, Any]:
    return {"name": name, "file": file, "sentences": words.sentences(steps), "technical": technical(steps)}


@story_pages.get("/stories")
@require_role(*EDITORS)
async def stories_page(request: Request) -> HTTPResponse:
    root = project_of(request)
    found = await asyncio.to_thread(listed, root)
    audit(request, "stories_viewed")
    text = wording()
    return render(request, "stories.html", title=text["title"], w=text, found=found)


# --- Real conversations ------------------------------------------------------------------------------
def _time(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%d %H:%M")


@story_pages.get("/stories/conversations")
@require_role(*EDITORS)
async def conversations_page(request: Request) -> HTTPResponse:
    """Stored conversations, the most recent first, a page at a time."""
    total = await asyncio.to_thread(transcripts.count_conversations)
    paging = Paging.of(page_asked(request), total, PAGE_SIZE)
    found = await asyncio.to_thread(transcripts.recent_conversations, PAGE_SIZE, paging.offset)
    audit(request, "conversations_listed", f"page {paging.page}")
    text = wording()
    return render(
        request,
        "conversations.html",
        title=text["conversations"]["title"],
        w=text,
        conversations=[
            {"sender": item.sender_id, "last": _time(item.ended), "messages": item.messages} for item in found
        ],
        total=total,
        **paging.shown(len(found)),
    )


def transcript(events: list[transcripts.StoredEvent]) -> list[dict[str, Any]]:
    """Who said what, as stored (the person's words redacted), each flagged if it holds a placeholder."""
    lines = []
    for event in events:
        if event.type_name not in (USER_EVENT, BOT_EVENT):
            continue
        try:
            data = json.loads(event.data or "{}")
        except ValueError:
            data = {}
        said = " ".join(str((data if isinstance(data, dict) else {}).get("text") or "").split())
        if said:
            person = event.type_name == USER_EVENT
            lines.append({"person": person, "text": said, "flagged": person and has_placeholder(said)})
    return lines


def conversation_page(
    request: Request,
    sender: str,
    error: str | None = None,
    messages: list[str] | None = None,
    status: int = 200,
) -> HTTPResponse:
    root = project_of(request)
    text = wording()
    events = transcripts.conversation_events(sender)
    if not events:
        return render(
            request,
            "error.html",
            404,
            title=text["conversations"]["title"],
            reason=text["conversation"]["not_found"],
        )
    lines = transcript(events)
    steps = conversation_steps(events)
    words = words_for(root)
    return render(
        request,
        "conversation.html",
        status,
        title=text["conversation"]["title"].format(sender=sender),
        w=text,
        sender=sender,
        lines=lines,
        flagged=any(line["flagged"] for line in lines),
        sentences=words.sentences(steps),
        technical=technical(steps),
        can_save=any("intent" in step for step in steps),
        story_files=story_files(root),
        values={key: form_value(request, key) for key in ("name", "reason", "file")}
        if request.method == "POST"
        else {},
        error=error,
        messages=messages or [],
    )


@story_pages.get("/stories/conversations/<sender>")
@require_role(*EDITORS)
async def conversation_view(request: Request, sender: str) -> HTTPResponse:
    audit(request, "conversation_viewed", sender)
    return await asyncio.to_thread(conversation_page, request, sender)


@story_pages.post("/stories/conversations/<sender>/test")
@require_role(*EDITORS)
async def save_test(request: Request, sender: str) -> HTTPResponse:
    return await save(request, sender, "conversation_test")


@story_pages.post("/stories/conversations/<sender>/story")
@require_role(*EDITORS)
async def save_story(request: Request, sender: str) -> HTTPResponse:
    return await save(request, sender, "story")


async def save(request: Request, sender: str, change_kind: str) -> HTTPResponse:
    """Propose the conversation as a conversation test or a story; refused (with the reasons, 4xx) if it
    breaks a rule, and nothing is stored."""
    root = project_of(request)
    text = wording()
    name = " ".join(form_value(request, "name").split())
    events = await asyncio.to_thread(transcripts.conversation_events, sender)
    if not events:
        return render(
            request,
            "error.html",
            404,
            title=text["conversations"]["title"],
            reason=text["conversation"]["not_found"],
        )
    steps = conversation_steps(events)
    if change_kind == "story":
        file = form_value(request, "file")
        payload: dict[str, Any] = {"name": name, "file": file, "steps": story_steps(steps)}
    else:
        file = TEST_FILE
        payload = {"name": name, "file": file, "steps": steps}
    summary = with_reason(request, text["summaries"][change_kind].format(target=name, file=file))
    try:
        change = await asyncio.to_thread(
            changes.propose, root, change_kind, name, payload, acting(request), summary
        )
    except changes.ChangeRefused as refused:
        audit(request, "change_proposed", f"{change_kind} from conversation {sender}"[:255], succeeded=False)
        reason_text = change_wording()["refused"][refused.reason].format(id=refused.change_id)
        return await asyncio.to_thread(
            conversation_page, request, sender, reason_text, refused.messages, refused.status
        )
    audit(request, "change_proposed", f"change {change.id}: {change_kind} from conversation {sender}"[:255])
    return redirect(f"/changes/{change.id}?done=proposed")
