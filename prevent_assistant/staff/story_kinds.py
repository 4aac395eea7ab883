"""Two more kinds of content change: a real conversation saved as a conversation test, or as a story.

Staff find a stored conversation (redacted as it was stored) in the console and save it, so the model is
tested on, or trained with, what people really write. A "conversation_test" is appended to
tests/test_stories.yml with each message's redacted text (never anything unredacted: only the stored,
redacted text exists) and the intent it must be read as; the training job's conversation-tests step then
runs it with the others. A "story" is appended to one of data/stories/*.yml with the intents and actions
only, as training stories are written, and `validate` checks it when the change is applied. Both go
through the same propose -> approve flow as answers (staff.changes); `target` is the new block's name, and
a payload without steps (what a revert proposes) removes the block of that name.

The block is appended to the end of its file as text, so the rest of the file stays byte for byte as staff
wrote it; if the file's `stories:` list is not its last section, it is added with ruamel instead.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from prevent_assistant.content import load_content
from prevent_assistant.db.transcripts import StoredEvent
from prevent_assistant.names import ACTION_EVENT, FAQ_INTENT, RETRIEVAL_DELIMITER, USER_EVENT
from prevent_assistant.redaction import FAILED, PLACEHOLDERS
from prevent_assistant.staff.change_kinds import project_for, read_yaml, register_kind, round_trip, write_yaml
from prevent_assistant.staff.validation.accessors import all_responses, domain_actions, domain_intents
from prevent_assistant.staff.validation.project import BUILT_IN_ACTIONS, BUILT_IN_INTENTS, RESPONSE_PREFIX

TEST_FILE = "tests/test_stories.yml"
STORIES_FOLDER = "data/stories"
SECTION = "stories"
NAME_LENGTH = 200
STORY_FILE = re.compile(r"^data/stories/[A-Za-z0-9][A-Za-z0-9_-]*\.ya?ml$")
PLACEHOLDER = re.compile(r"\[(?:" + "|".join([*PLACEHOLDERS, FAILED.strip("[]")]) + r")\]")
# "[name](x)" would be read by Rasa as an entity annotation: a redacted "[name]" followed by a bracket is
# separated from it by a space, as the review export does.
ANNOTATION_LIKE = re.compile(r"\]([(\[{])")


def problems_wording() -> dict[str, str]:
    return load_content("console-stories")["problems"]


def has_placeholder(text: str) -> bool:
    """Whether a stored message still holds a redaction placeholder such as [name]."""
    return bool(PLACEHOLDER.search(text or ""))


# --- A stored conversation as steps -----------------------------------------------------------------------
def conversation_steps(events: list[StoredEvent]) -> list[dict[str, str]]:
    """A stored conversation as conversation-test steps: each message with its redacted text and intent
    (faq/<topic> for a question with its own answer), then the actions the assistant ran (Rasa's own
    actions, such as action_listen, left out)."""
    steps: list[dict[str, str]] = []
    for event in events:
        if event.type_name == USER_EVENT:
            text, intent = _user_message(event)
            if intent:
                step = {"user": ANNOTATION_LIKE.sub(r"] \1", text)} if text.strip() else {}
                steps.append({**step, "intent": intent})
        elif (
            event.type_name == ACTION_EVENT
            and event.action_name
            and event.action_name not in BUILT_IN_ACTIONS
        ):
            steps.append({"action": event.action_name})
    return steps


def story_steps(test_steps: list[dict[str, str]]) -> list[dict[str, str]]:
    """The same conversation as a training story: intents (faq, not faq/<topic>) and actions, no text."""
    found = []
    for step in test_steps:
        if "intent" in step:
            found.append({"intent": step["intent"].partition(RETRIEVAL_DELIMITER)[0]})
        else:
            found.append({"action": step["action"]})
    return found


def _user_message(event: StoredEvent) -> tuple[str, str | None]:
    try:
        data = json.loads(event.data or "{}")
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    parse = data.get("parse_data") or {}
    top = parse.get("intent") or {}
    intent = top.get("name") or event.intent_name
    if intent == FAQ_INTENT:
        full = top.get("full_retrieval_intent_name")
        if not full:
            chosen = ((parse.get("response_selector") or {}).get(FAQ_INTENT) or {}).get("response") or {}
            full = chosen.get("intent_response_key")
        intent = full or intent
    text = " ".join(str(data.get("text") or parse.get("text") or "").split())
    return text, intent


# --- The kinds ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AppendedBlock:
    """A named block (a story) appended to a `stories:` list. Subclasses say which files it may go in and
    whether its steps carry the person's words."""

    with_text: bool = False

    def files(self, root: Path) -> list[str]:
        raise NotImplementedError

    def file_allowed(self, root: Path, file: str) -> bool:
        return file in self.files(root)

    def current(self, root: Path, target: str, number: int = 1) -> dict[str, Any]:
        """The block named `target` as plain data ({"name", "file", "steps"}), or {} if there is none."""
        for file in self.files(root):
            for block in _section(read_yaml(root / file)):
                if isinstance(block, Mapping) and str(block.get("story")) == target:
                    steps = [
                        {str(k): str(v) for k, v in dict(step).items()} for step in block.get("steps") or []
                    ]
                    return {"name": target, "file": file, "steps": steps}
        return {}

    def problems(self, root: Path, target: str, payload: Mapping[str, Any]) -> list[str]:
        words = problems_wording()
        steps = payload.get("steps")
        if not steps:
            return []  # removing the block (a revert)
        name = str(payload.get("name") or "")
        found = []
        if not name.strip() or "\n" in name or len(name) > NAME_LENGTH or name != target:
            found.append(words["name"].format(max=NAME_LENGTH))
        file = str(payload.get("file") or "")
        if not self.file_allowed(root, file):
            found.append(words["file"].format(file=file))
        existing = self.current(root, target)
        if existing:
            found.append(words["exists"].format(name=target, file=existing["file"]))
        if not isinstance(steps, list) or not any(isinstance(s, Mapping) and "intent" in s for s in steps):
            return [*found, words["no_message"]]
        return found + self._step_problems(root, steps, words)

    def _step_problems(self, root: Path, steps: list[Any], words: dict[str, str]) -> list[str]:
        project = project_for(root)
        intents = set(domain_intents(project)) | set(BUILT_IN_INTENTS)
        actions = domain_actions(project)
        responses = all_responses(project)
        found = []
        for number, step in enumerate(steps, start=1):
            keys = set(step) if isinstance(step, Mapping) else set()
            allowed = [{"action"}, {"intent"}] + ([{"user", "intent"}] if self.with_text else [])
            if keys not in allowed:
                found.append(words["step"].format(number=number))
                continue
            if "action" in step and step["action"] not in actions:
                found.append(words["unknown_action"].format(number=number, name=step["action"]))
            if "intent" in step:
                base, _, topic = str(step["intent"]).partition(RETRIEVAL_DELIMITER)
                known = base in intents and (
                    not topic or (self.with_text and f"{RESPONSE_PREFIX}{base}/{topic}" in responses)
                )
                if not known:
                    found.append(words["unknown_intent"].format(number=number, name=step["intent"]))
        return found

    def write(self, root: Path, target: str, payload: Mapping[str, Any]) -> list[str]:
        if payload.get("steps"):
            file = str(payload["file"])
            _append(root / file, self._block(target, payload["steps"]))
            return [file]
        existing = self.current(root, target)
        document = read_yaml(root / existing["file"])
        section = _section(document)
        for index, block in enumerate(section):
            if isinstance(block, Mapping) and str(block.get("story")) == target:
                del section[index]
                break
        write_yaml(root / existing["file"], document)
        return [existing["file"]]

    def _block(self, name: str, steps: list[Mapping[str, Any]]) -> CommentedMap:
        written = []
        for step in steps:
            item = CommentedMap()
            for key in ("user", "intent", "action"):
                if key in step:
                    value = str(step[key])
                    item[key] = LiteralScalarString(value.rstrip("\n") + "\n") if key == "user" else value
            written.append(item)
        block = CommentedMap()
        block["story"] = name
        block["steps"] = written
        return block

    def as_text(self, payload: Mapping[str, Any] | None) -> str:
        payload = payload or {}
        if not payload.get("steps"):
            return ""
        lines = [f"story: {payload.get('name')}", f"file: {payload.get('file')}"]
        for step in payload["steps"]:
            if "user" in step:
                lines.append(f"user: {str(step['user']).strip()}")
            lines += [f"{key}: {step[key]}" for key in ("intent", "action") if key in step]
        return "\n".join(lines)


@dataclass(frozen=True)
class ConversationTestKind(AppendedBlock):
    """A conversation test in tests/test_stories.yml: the person's redacted words, intents and actions."""

    with_text: bool = True

    def files(self, root: Path) -> list[str]:
        return [TEST_FILE] if (root / TEST_FILE).is_file() else []


@dataclass(frozen=True)
class StoryKind(AppendedBlock):
    """A training story in one of the existing data/stories/*.yml files: intents and actions only."""

    def files(self, root: Path) -> list[str]:
        return story_files(root)


def story_files(root: Path) -> list[str]:
    """The story files a saved story may go in (relative to the project), as the page offers them."""
    folder = root / STORIES_FOLDER
    found = sorted(path.relative_to(root).as_posix() for path in folder.glob("*.y*ml") if path.is_file())
    return [file for file in found if STORY_FILE.match(file)]


# --- Writing -----------------------------------------------------------------------------------------------
def _section(document: Any) -> Any:
    return (document or {}).get(SECTION) or []


def _append(path: Path, block: CommentedMap) -> None:
    """Add `block` at the end of the file's `stories:` list: as text when that list ends the file (the rest
    stays byte for byte), else by rewriting the file with ruamel."""
    out = io.StringIO()
    round_trip().dump({SECTION: [block]}, out)
    item = out.getvalue().split("\n", 1)[1]
    original = path.read_text(encoding="utf-8")
    appended = original.rstrip("\n") + "\n\n" + item
    try:
        section = _section(round_trip().load(appended))
    except YAMLError:  # the list is not the file's last section: the text would land elsewhere
        section = []
    if section and isinstance(section[-1], Mapping) and section[-1].get("story") == block["story"]:
        path.write_text(appended, encoding="utf-8")
        return
    document = read_yaml(path)
    document[SECTION].append(block)
    write_yaml(path, document)


KINDS = {"conversation_test": ConversationTestKind(), "story": StoryKind()}
for _name, _kind in KINDS.items():
    register_kind(_name, _kind)
