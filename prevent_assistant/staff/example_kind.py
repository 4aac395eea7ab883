"""Training examples as a kind of content change: real questions from the review inbox, added under the
intent or question topic they belong to once a second person approves them.

`target` is an intent (how_to_refer) or a question topic (faq/ages); the payload is {"examples": [...]}.
The examples are appended to the `examples: |` block of the file that already holds that intent's examples
(data/nlu/faq/<topic>.yml for a topic), written with ruamel.yaml in round-trip mode so comments and layout
stay as staff wrote them. An example is refused, with a plain reason, if it still holds a redaction
placeholder ([name], [phone] ...: a person's details must never become training data), if the training data
already has it, if it is one of the held-out examples in tests/nlu_holdout.yml (the house rule: the test of
the model must stay unseen by it), or if the intent does not exist.

Adding examples never replaces anything, so `current` is the same empty value whatever the file holds:
two changes adding examples to one topic do not make each other stale.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml.scalarstring import LiteralScalarString

from prevent_assistant.content import load_content
from prevent_assistant.paths import ProjectPaths
from prevent_assistant.redaction import FAILED, PLACEHOLDERS
from prevent_assistant.staff.change_kinds import (
    UnknownTarget,
    project_for,
    read_yaml,
    register_kind,
    write_yaml,
)
from prevent_assistant.staff.validation.accessors import nlu_examples, nlu_intents

MAX_CHARACTERS = 500
# What redaction leaves in a stored message, in any case ([name], [NAME], [redacted]).
PLACEHOLDER = re.compile(r"\[(?:" + "|".join([*PLACEHOLDERS, FAILED.strip("[]")]) + r")\]", re.IGNORECASE)
# Characters YAML does not allow in a document (C0/C1 controls but tab, DEL, surrogates, BOM, FFFE/FFFF).
NOT_YAML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
# "[text](entity)", "[text]{...}", "[text][...]" are Rasa entity annotations: a bracket a person typed
# straight after "]" is kept apart from it by a space, so Rasa reads the example as the words it is.
ANNOTATION_LIKE = re.compile(r"\]([(\[{])")


def wording() -> dict[str, Any]:
    return dict(load_content("console-inbox")["problems"])


def as_example(text: str) -> str:
    """A stored message as one line of an `examples: |` block that Rasa reads back unchanged."""
    return ANNOTATION_LIKE.sub(r"] \1", " ".join(NOT_YAML.sub("", str(text)).split()))


def placeholders_in(text: str) -> list[str]:
    """The redaction placeholders `text` still holds, each once, in order."""
    return list(dict.fromkeys(match.group() for match in PLACEHOLDER.finditer(text)))


def same(text: str) -> str:
    """The key two examples share when they differ only in case or spacing: for the model, one example."""
    return " ".join(text.split()).casefold()


def held_out(root: Path) -> set[str]:
    """The held-out examples (tests/nlu_holdout.yml), as `same` keys; none if the project has no file."""
    path = ProjectPaths(root).nlu_holdout
    if not path.is_file():
        return set()
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found: set[str] = set()
    for block in loaded.get("nlu") or []:
        examples = block.get("examples") if isinstance(block, Mapping) else None
        if isinstance(examples, str):
            lines = (line.strip() for line in examples.splitlines())
            found |= {same(line[2:]) for line in lines if line.startswith("- ")}
    return found


def example_topics(root: Path) -> dict[str, str]:
    """Every intent and question topic with training examples -> the file that holds them."""
    return {intent: file for intent, (file, _) in nlu_intents(project_for(root)).items()}


@dataclass(frozen=True)
class ExamplesKind:
    """`target` is an intent or faq/<topic>; the payload is {"examples": [text, ...]}."""

    def locate(self, root: Path, target: str) -> str:
        file = example_topics(root).get(target)
        if file is None:
            raise UnknownTarget(target)
        return file

    def current(self, root: Path, target: str, number: int = 1) -> dict[str, Any]:
        self.locate(root, target)
        return {"examples": []}

    def problems(self, root: Path, target: str, payload: Mapping[str, Any]) -> list[str]:
        words = wording()
        if target not in example_topics(root):
            return [words["unknown_topic"].format(topic=target)]
        examples = [str(text) for text in payload.get("examples") or []]
        if not examples:
            return [words["no_examples"]]
        existing = {same(example.text): example for example in nlu_examples(project_for(root))}
        unseen = held_out(root)
        messages: list[str] = []
        for text in examples:
            example = as_example(text)
            messages += [words["placeholder"].format(placeholder=found) for found in placeholders_in(text)]
            if not example:
                messages.append(words["empty"])
            elif len(example) > MAX_CHARACTERS:
                messages.append(words["too_long"].format(max=MAX_CHARACTERS))
            elif same(example) in existing:
                there = existing[same(example)]
                messages.append(words["duplicate"].format(text=example, intent=there.intent, file=there.file))
            elif same(example) in unseen:
                messages.append(words["held_out"].format(text=example))
        return messages

    def write(self, root: Path, target: str, payload: Mapping[str, Any]) -> list[str]:
        """Append the examples to the intent's first `examples: |` block, leaving every other line alone."""
        file = self.locate(root, target)
        document = read_yaml(root / file)
        block = next(block for block in document["nlu"] if block.get("intent") == target)
        if not isinstance(block.get("examples"), str):  # examples written as a list of {text: ...}
            block["examples"].extend({"text": as_example(str(text))} for text in payload["examples"])
            write_yaml(root / file, document)
            return [file]
        lines = str(block.get("examples") or "").rstrip("\n")
        present = {same(line.strip()[2:]) for line in lines.splitlines() if line.strip().startswith("- ")}
        for text in payload.get("examples") or []:
            example = as_example(str(text))
            if example and same(example) not in present:
                lines += f"\n- {example}"
                present.add(same(example))
        block["examples"] = LiteralScalarString(lines.lstrip("\n") + "\n")
        write_yaml(root / file, document)
        return [file]

    def as_text(self, payload: Mapping[str, Any] | None) -> str:
        return "\n".join(as_example(str(text)) for text in (payload or {}).get("examples") or [])


register_kind("examples", ExamplesKind())
