"""What the checks read, gathered from every file that holds it: the domain's intents, the responses
(in domain.yml or any training-data file), the NLU examples, and the stories and rules; each item is kept
with its own file and line so a problem can be reported where it is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prevent_assistant.staff.validation.project import (
    BLOCK_TITLES,
    BUILT_IN_ACTIONS,
    DATA_DIR,
    DOMAIN,
    NLU,
    RESPONSE_PREFIX,
    RETRIEVAL,
    Project,
    _as_list,
    _as_map,
    _item_line,
    _key_line,
    _named_items,
)


@dataclass(frozen=True)
class Step:
    """One intent or action named in a story or rule."""

    file: str
    block: str  # e.g. "the story 'Parent asks what Prevent is'"
    kind: str  # "intent" or "action"
    name: Any  # as written; not necessarily a string if the YAML is odd
    line: int | None


@dataclass(frozen=True)
class Example:
    """One training example, kept with its file and line so duplicates can be pointed at."""

    intent: str
    text: str
    file: str
    line: int | None


def where_to_add(project: Project, kind: str) -> str:
    """Where staff should write a new item of `kind`, e.g. "in the 'stories:' section of a file in
    data/stories/" (or of the one file that holds them)."""
    files = project.data_files(kind)
    if len(files) == 1:
        return f"in the '{kind}:' section of {files[0]}"
    folder = os.path.commonpath(files) if files else f"{DATA_DIR}/{kind}"
    return f"in the '{kind}:' section of a file in {folder}/"


def retrieval_parts(name: str) -> tuple[str, str | None]:
    """("faq", "training") for the retrieval intent faq/training (or its answer, without utter_);
    (name, None) for an ordinary intent."""
    base, _, key = name.partition(RETRIEVAL)
    return (base, key) if key else (name, None)


# --- The domain and the responses ---------------------------------------------------------------------
def domain_intents(project: Project) -> dict[str, int | None]:
    return dict(_named_items(project.doc(DOMAIN).get("intents")))


def responses_in(project: Project, file: str) -> Mapping:
    """The responses written in `file` (domain.yml or a training-data file)."""
    return _as_map(project.doc(file).get("responses"))


def all_responses(project: Project) -> dict[str, tuple[str, int | None]]:
    """Every response name, wherever it is written -> (file, line of its name); the first one wins."""
    found: dict[str, tuple[str, int | None]] = {}
    for file in project.response_files():
        responses = responses_in(project, file)
        for name in responses:
            if isinstance(name, str):
                found.setdefault(name, (file, _key_line(responses, name)))
    return found


def retrieval_bases(project: Project) -> set[str]:
    """Retrieval intents (faq) that have examples (faq/<key>) or answers (utter_faq/<key>)."""
    from_examples = {retrieval_parts(intent) for intent in nlu_intents(project)}
    from_answers = {retrieval_parts(name.removeprefix(RESPONSE_PREFIX)) for name in all_responses(project)}
    return {base for base, key in from_examples | from_answers if key}


def domain_actions(project: Project) -> set[str]:
    """Everything a story or rule may run: responses, custom actions, forms, the action Rasa creates for
    each retrieval intent (utter_faq) and Rasa's built-in actions."""
    domain = project.doc(DOMAIN)
    custom = {name for name, _ in _named_items(domain.get("actions"))}
    retrieval = {f"{RESPONSE_PREFIX}{base}" for base in retrieval_bases(project)}
    return (
        set(all_responses(project))
        | custom
        | set(_as_map(domain.get("forms")))
        | retrieval
        | BUILT_IN_ACTIONS
    )


def response_variations(responses: Mapping) -> Iterator[tuple[str, int, Mapping, int | None]]:
    """(response name, 1-based variation number, variation, line of its text) for every variation."""
    for name, variations in responses.items():
        for index, variation in enumerate(_as_list(variations)):
            if isinstance(variation, Mapping):
                line = _key_line(variation, "text") or _item_line(variations, index)
                yield str(name), index + 1, variation, line


def _response_label(name: str, number: int, responses: Mapping) -> str:
    return f"{name} (variation {number})" if len(_as_list(responses.get(name))) > 1 else name


# --- NLU examples ----------------------------------------------------------------------------------------
def nlu_blocks(project: Project) -> Iterator[tuple[str, Mapping, int | None]]:
    """(file, block, line) for every entry under `nlu:` in every file."""
    for file in project.data_files(NLU):
        items = _as_list(project.doc(file).get(NLU))
        for index, block in enumerate(items):
            yield file, _as_map(block), _item_line(items, index)


def nlu_intents(project: Project) -> dict[str, tuple[str, int | None]]:
    """Intent (faq/<key> for a retrieval intent) -> (file, line) of its first `- intent:` block."""
    found: dict[str, tuple[str, int | None]] = {}
    for file, block, line in nlu_blocks(project):
        intent = block.get("intent")
        if isinstance(intent, str):
            found.setdefault(intent, (file, line))
    return found


def nlu_examples(project: Project) -> Iterator[Example]:
    """Every training example in every file, with the file and line it is on."""
    for file, block, _ in nlu_blocks(project):
        intent = block.get("intent")
        if isinstance(intent, str):
            yield from _block_examples(file, intent, block)


def _block_examples(file: str, intent: str, block: Mapping) -> Iterator[Example]:
    examples = block.get("examples")
    if isinstance(examples, str):
        # A `|` block: its first line is the line after `examples: |`.
        first = _key_line(block, "examples")
        for offset, line in enumerate(examples.splitlines()):
            text = line.strip()
            if text.startswith("- "):
                yield Example(intent, text[2:].strip(), file, first + 1 + offset if first else None)
    for index, item in enumerate(_as_list(examples)):
        value = _as_map(item).get("text")
        if isinstance(value, str):
            yield Example(intent, value.strip().removeprefix("- "), file, _item_line(examples, index))


# --- Stories and rules ------------------------------------------------------------------------------------
def blocks(project: Project, kind: str) -> Iterator[tuple[str, str, Mapping, int | None]]:
    """(file, label such as "the story 'X'", block, line) for every story or rule (`kind`) in every file."""
    title = BLOCK_TITLES[kind]
    for file in project.data_files(kind):
        items = _as_list(project.doc(file).get(kind))
        for index, block in enumerate(items):
            if isinstance(block, Mapping):
                yield file, f"the {title} '{block.get(title, '?')}'", block, _item_line(items, index)


def raw_steps(block: Mapping, block_line: int | None) -> Iterator[tuple[Any, int | None]]:
    steps = block.get("steps")
    for index, step in enumerate(_as_list(steps)):
        yield step, _item_line(steps, index) or block_line


def steps(project: Project, kind: str) -> Iterator[Step]:
    """Every intent and action the stories or rules name, including those inside `or` steps."""
    for file, label, block, block_line in blocks(project, kind):
        for step, line in raw_steps(block, block_line):
            yield from _step_parts(file, label, step, line)


def _step_parts(file: str, label: str, step: Any, line: int | None) -> Iterator[Step]:
    if not isinstance(step, Mapping):
        return
    for kind in ("intent", "action"):
        if kind in step:
            yield Step(file, label, kind, step[kind], line)
    alternatives = step.get("or")
    for index, alternative in enumerate(_as_list(alternatives)):
        yield from _step_parts(file, label, alternative, _item_line(alternatives, index) or line)
