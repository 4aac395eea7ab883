"""What each kind of content change reads, checks and writes in the project's YAML files.

A kind (an answer, a clip; later the review inbox's training examples) knows how to find its target's
current value, check a proposed value with the house rules `validate` uses, and write it back. Files are
written with ruamel.yaml in round-trip mode, set up so that reading and writing a file unchanged gives the
same bytes: comments, anchors, quoting and layout all stay as staff wrote them, and a change's diff in git
is the change and nothing else. A new kind registers itself in KINDS (see `register_kind`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from prevent_assistant.staff.validation.accessors import all_responses
from prevent_assistant.staff.validation.content_rules import CLIP_FIELDS, CLIP_RESPONSE, clip_variations
from prevent_assistant.staff.validation.one_answer import AnswerReport, check_answer, check_clip
from prevent_assistant.staff.validation.project import Project, load_project

# A folded answer (`text: >-`) is wrapped at about this many characters, as the files are written now.
FOLD_WIDTH = 100
SOURCE_START = re.compile(r" (?=Source: \[)")


class UnknownTarget(LookupError):
    """The project has no answer or clip by that name."""


class ContentKind(Protocol):
    """One kind of content a change can edit; `target` names the item (a response, a clip's myth)."""

    def current(self, root: Path, target: str, number: int = 1) -> dict[str, Any]: ...

    def problems(self, root: Path, target: str, payload: Mapping[str, Any]) -> list[str]: ...

    def write(self, root: Path, target: str, payload: Mapping[str, Any]) -> list[str]: ...

    def as_text(self, payload: Mapping[str, Any] | None) -> str: ...


# --- Reading and writing YAML without disturbing it ------------------------------------------------------
def round_trip() -> YAML:
    """The settings that write this project's files back byte for byte when nothing changed."""
    yaml: Any = YAML(typ="rt")  # Any: ruamel 0.17 declares these attributes as None
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line staff wrote
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def read_yaml(path: Path) -> Any:
    return round_trip().load(path.read_text(encoding="utf-8"))


def write_yaml(path: Path, document: Any) -> None:
    out = io.StringIO()
    round_trip().dump(document, out)
    path.write_text(out.getvalue(), encoding="utf-8")


def normalise_text(text: str) -> str:
    """What a form sends, as an answer is stored: Unix line ends, no spaces at line ends or around it."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def styled(text: str, like: Any) -> Any:
    """`text` written the way answers are: a long one folded (`>-`) over lines of about FOLD_WIDTH with
    its Source on a line of its own, one with line breaks as a literal block (`|-`), a short one as it was
    (plain or quoted, as `like` was)."""
    if "\n" in text:
        return LiteralScalarString(text)
    if isinstance(like, FoldedScalarString) or len(text) > FOLD_WIDTH:
        folded = FoldedScalarString(text)
        folded.fold_pos = _fold_positions(text)
        return folded
    if type(like) is not str and isinstance(like, str):
        return type(like)(text)  # the same quoting (ruamel keeps it on the type)
    return text


def _fold_positions(text: str) -> list[int]:
    """Single spaces to break the folded lines at: before the source, and wherever a line grows long."""
    source = {match.start() for match in SOURCE_START.finditer(text)}
    positions: list[int] = []
    line_start = 0
    last_space: int | None = None
    for index, char in enumerate(text):
        single = (
            char == " " and text[index - 1 : index] != " " and text[index + 1 : index + 2] not in ("", " ")
        )
        if not single:
            continue
        if index in source or (index - line_start > FOLD_WIDTH and last_space is not None):
            at = index if index in source or last_space is None else last_space
            positions.append(at)
            line_start = at + 1
        last_space = index
    return sorted(set(positions))


# --- The project as the rules see it, read again only when a file changed -------------------------------
def project_for(root: Path) -> Project:
    """The project parsed for the rules; cached on the files' sizes and times, so checking an answer as
    someone types does not re-read every file on each key press."""
    files = [root / "domain.yml", *sorted((root / "data").rglob("*.y*ml"))]
    signature = tuple(
        (str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files if path.exists()
    )
    return _project(root, signature)


@lru_cache(maxsize=4)
def _project(root: Path, signature: tuple) -> Project:
    return load_project(root)[0]


# --- Answers: one variation's text of a response ---------------------------------------------------------
@dataclass(frozen=True)
class ResponseKind:
    """`target` is a response name (utter_faq/ages); the payload is {"variation": n (1-based), "text"}."""

    def locate(self, root: Path, target: str) -> str:
        found = all_responses(project_for(root)).get(target)
        if found is None or target == CLIP_RESPONSE:
            raise UnknownTarget(target)
        return found[0]

    def variations(self, root: Path, target: str) -> list[Any]:
        document = read_yaml(root / self.locate(root, target))
        return list(document["responses"][target] or [])

    def current(self, root: Path, target: str, number: int = 1) -> dict[str, Any]:
        variations = self.variations(root, target)
        if not 1 <= number <= len(variations) or not isinstance(variations[number - 1], Mapping):
            raise UnknownTarget(target)
        return {"variation": number, "text": str(variations[number - 1].get("text") or "")}

    def report(self, root: Path, target: str, text: str, number: int = 1) -> AnswerReport:
        return check_answer(project_for(root), target, normalise_text(text), number)

    def problems(self, root: Path, target: str, payload: Mapping[str, Any]) -> list[str]:
        number = int(payload.get("variation") or 1)
        self.current(root, target, number)  # UnknownTarget if there is no such variation
        return self.report(root, target, str(payload.get("text") or ""), number).messages

    def write(self, root: Path, target: str, payload: Mapping[str, Any]) -> list[str]:
        file = self.locate(root, target)
        document = read_yaml(root / file)
        variation = document["responses"][target][int(payload.get("variation") or 1) - 1]
        variation["text"] = styled(normalise_text(str(payload["text"])), variation.get("text"))
        write_yaml(root / file, document)
        return [file]

    def as_text(self, payload: Mapping[str, Any] | None) -> str:
        return str((payload or {}).get("text") or "")


# --- Clips: one myth's variation of utter_clip ------------------------------------------------------------
@dataclass(frozen=True)
class ClipKind:
    """`target` is a myth (spying); the payload is its clip's title, url, description and summary. The
    clip's chat text names the title and the link, so it follows them when they change."""

    def locate(self, root: Path) -> str:
        found = all_responses(project_for(root)).get(CLIP_RESPONSE)
        if found is None:
            raise UnknownTarget(CLIP_RESPONSE)
        return found[0]

    def _variation(self, document: Any, target: str) -> Any:
        variation = clip_variations(document["responses"][CLIP_RESPONSE]).get(target)
        if variation is None:
            raise UnknownTarget(target)
        return variation

    def myths(self, root: Path) -> list[str]:
        document = read_yaml(root / self.locate(root))
        return list(clip_variations(document["responses"][CLIP_RESPONSE]))

    def current(self, root: Path, target: str, number: int = 1) -> dict[str, Any]:
        variation = self._variation(read_yaml(root / self.locate(root)), target)
        clip = (variation.get("custom") or {}).get("clip") or {}
        return {field: str(clip.get(field) or "") for field in CLIP_FIELDS}

    def proposed(self, root: Path, target: str, payload: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """(the chat text, the variation) as they would be with `payload`, as plain data."""
        variation = self._variation(read_yaml(root / self.locate(root)), target)
        old = self.current(root, target)
        new = {field: normalise_text(str(payload.get(field) or "")) for field in CLIP_FIELDS}
        text = str(variation.get("text") or "")
        for field in ("url", "title"):
            if old[field] and new[field]:
                text = text.replace(old[field], new[field])
        clip = {**dict((variation.get("custom") or {}).get("clip") or {}), **new}
        return text, {"text": text, "condition": variation.get("condition"), "custom": {"clip": clip}}

    def problems(self, root: Path, target: str, payload: Mapping[str, Any]) -> list[str]:
        text, variation = self.proposed(root, target, payload)
        project = project_for(root)
        number = _clip_number(_responses(project, CLIP_RESPONSE), target)
        report = check_answer(project, CLIP_RESPONSE, text, number)
        return [*check_clip(self.locate(root), target, variation), *report.messages]

    def write(self, root: Path, target: str, payload: Mapping[str, Any]) -> list[str]:
        text, _ = self.proposed(root, target, payload)
        file = self.locate(root)
        document = read_yaml(root / file)
        variation = self._variation(document, target)
        clip = variation["custom"]["clip"]
        for field in CLIP_FIELDS:
            value = normalise_text(str(payload.get(field) or ""))
            if value != str(clip.get(field) or ""):  # an unchanged field keeps its layout
                clip[field] = styled(value, clip.get(field))
        if text != str(variation.get("text") or ""):
            variation["text"] = styled(text, variation.get("text"))
        write_yaml(root / file, document)
        return [file]

    def as_text(self, payload: Mapping[str, Any] | None) -> str:
        return "\n".join(f"{field}: {(payload or {}).get(field) or ''}" for field in CLIP_FIELDS)


def _responses(project: Project, name: str) -> Any:
    file, _ = all_responses(project)[name]
    return project.doc(file)["responses"][name]


def _clip_number(variations: Any, myth: str) -> int:
    """The 1-based position of `myth`'s variation in utter_clip, as `validate` numbers it."""
    for index, variation in enumerate(variations):
        if myth in clip_variations([variation]):
            return index + 1
    raise UnknownTarget(myth)


KINDS: dict[str, ContentKind] = {"response": ResponseKind(), "clip": ClipKind()}


def register_kind(name: str, kind: ContentKind) -> None:
    """Add a kind of change (the review inbox adds "examples"); `name` must be one of CHANGE_KINDS."""
    KINDS[name] = kind


# The review inbox's training examples register themselves ("examples"); imported last, as they build on
# the helpers above.
import prevent_assistant.staff.example_kind  # noqa: E402,F401

# Real conversations saved as conversation tests and as stories ("conversation_test", "story").
import prevent_assistant.staff.story_kinds  # noqa: E402,F401
