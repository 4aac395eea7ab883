"""Reading the project: where the files live, parsing them with line numbers (check 1: YAML syntax and
layout), and accessors for the domain, NLU examples, stories and rules that the checks share.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa.shared.core.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS, USER_INTENT_OUT_OF_SCOPE
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from prevent_assistant.staff.validation.problem import Problem

# --- Where things live, relative to the project root ------------------------------------------------------
DOMAIN = "domain.yml"
NLU = "data/nlu.yml"
STORIES = "data/stories.yml"
RULES = "data/rules.yml"
CONFIG = "config.yml"
DATA_DIR = "data"
# Every YAML file staff may edit; each is checked for syntax errors. The named files above must exist.
YAML_GLOBS = (DOMAIN, f"{DATA_DIR}/*.yml", "content/*.yml")
REQUIRED_FILES = (DOMAIN, NLU, STORIES, RULES)
# Story and rule files: the top-level key holding the blocks, and the key naming each block.
BLOCK_FILES = {STORIES: ("stories", "story"), RULES: ("rules", "rule")}
# The top-level keys the checks read and what each must hold. A file laid out otherwise is reported once
# and left out of the other checks, which would otherwise report every name in it as missing.
FILE_LAYOUTS: dict[str, dict[str, type]] = {
    DOMAIN: {
        "intents": list,
        "entities": list,
        "slots": Mapping,
        "actions": list,
        "forms": Mapping,
        "responses": Mapping,
    },
    NLU: {"nlu": list},
    STORIES: {"stories": list},
    RULES: {"rules": list},
}
LAYOUT_ADVICE = {list: "a list of '- ' lines", Mapping: "named entries ('name:' lines)"}

# --- What Rasa provides itself ---------------------------------------------------------------------------
# Stories and rules may use Rasa's built-in intents and actions without listing them in domain.yml.
BUILT_IN_INTENTS = frozenset(DEFAULT_INTENTS)
BUILT_IN_ACTIONS = frozenset(DEFAULT_ACTION_NAMES)
# Built-in intents Rasa raises itself or from a button (/restart), so they need no training examples.
# out_of_scope is built in too, but only examples in data/nlu.yml make the model predict it.
INTENTS_WITHOUT_EXAMPLES = BUILT_IN_INTENTS - {USER_INTENT_OUT_OF_SCOPE}
# A step in a story or rule is one of these; anything else is usually a misspelt key.
STEP_KEYS = ("intent", "action", "user", "bot", "or", "slot_was_set", "active_loop", "checkpoint")
# How close a known name must be to a misspelt one for us to suggest it (difflib ratio, 0 to 1).
SUGGESTION_CUTOFF = 0.75

YAML_ADVICE = "fix the YAML (check the indentation and quotes on this line and the lines just above it)"


@dataclass(frozen=True)
class Project:
    """The project's YAML files that could be read, parsed with line numbers kept."""

    root: Path
    files: dict[str, Any]  # relative path -> parsed YAML, for the files that could be read
    unusable: frozenset[str]  # files that exist but are not valid YAML or are laid out wrongly

    def doc(self, file: str) -> Mapping:
        """The top-level mapping of `file` ({} if missing or not a mapping), so checks never trip on shape."""
        return _as_map(self.files.get(file))


@dataclass(frozen=True)
class Step:
    """One intent or action named in a story or rule."""

    file: str
    block: str  # e.g. "the story 'Parent asks what Prevent is'"
    kind: str  # "intent" or "action"
    name: Any  # as written; not necessarily a string if the YAML is odd
    line: int | None


# --- Reading the files ----------------------------------------------------------------------------------
def load_project(root: Path) -> tuple[Project, list[Problem]]:
    """Parse every YAML file staff edit, reporting syntax errors and missing files instead of raising."""
    files: dict[str, Any] = {}
    problems: list[Problem] = []
    for file in _yaml_files(root):
        document, found = _read(root, file)
        problems.extend(found)
        if not found:
            files[file] = document
    unusable = frozenset(p.file for p in problems)
    for file in REQUIRED_FILES:
        if not (root / file).is_file():
            problems.append(
                Problem(file, None, "this file is missing; restore it from the last good version")
            )
    return Project(root, files, unusable), problems


def _read(root: Path, file: str) -> tuple[Any, list[Problem]]:
    """One file parsed with line numbers, or the problems that make it unusable."""
    try:
        document = YAML(typ="rt").load((root / file).read_text(encoding="utf-8"))
    except YAMLError as error:
        return None, [_syntax_problem(file, error)]
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(file, None, f"cannot read this file ({error}); save it as UTF-8 text")]
    return document, list(_layout_problems(file, document))


def _yaml_files(root: Path) -> list[str]:
    found = {path.relative_to(root).as_posix() for pattern in YAML_GLOBS for path in root.glob(pattern)}
    return sorted(found)


def _layout_problems(file: str, document: Any) -> Iterator[Problem]:
    """Top-level keys holding the wrong kind of thing, e.g. `intents: greet` instead of a list."""
    layout = FILE_LAYOUTS.get(file, {})
    if layout and not isinstance(document, Mapping):
        yield Problem(file, 1, f"this file should start with keys such as {', '.join(layout)}; {YAML_ADVICE}")
        return
    for key, kind in layout.items():
        value = document.get(key)
        if value is not None and not isinstance(value, kind):
            yield Problem(
                file, _key_line(document, key), f"'{key}' should hold {LAYOUT_ADVICE[kind]}; {YAML_ADVICE}"
            )


def _syntax_problem(file: str, error: YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if isinstance(error, MarkedYAMLError) and mark is not None else None
    detail = getattr(error, "problem", None) or " ".join(str(error).split()) or type(error).__name__
    return Problem(file, line, f"this is not valid YAML ({detail}); {YAML_ADVICE}")


# --- Small helpers for round-trip YAML nodes ----------------------------------------------------------
def _as_map(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _key_line(node: Any, key: Any) -> int | None:
    """1-based line of `key` in a mapping read by ruamel (None for nodes without position data)."""
    try:
        return node.lc.key(key)[0] + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None


def _item_line(node: Any, index: int) -> int | None:
    """1-based line of item `index` of a sequence read by ruamel."""
    try:
        return node.lc.item(index)[0] + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None


def _named_items(sequence: Any) -> Iterator[tuple[str, int | None]]:
    """Names in a domain list (`- greet` or `- greet: {use_entities: []}`) with their lines."""
    for index, item in enumerate(_as_list(sequence)):
        name = next(iter(item), None) if isinstance(item, Mapping) else item
        if isinstance(name, str):
            yield name, _item_line(sequence, index)


def _suggestion(name: Any, known: Iterable[str]) -> str:
    """' (did you mean X?)' for a likely typo, so staff need not hunt for the right spelling."""
    close = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=SUGGESTION_CUTOFF)
    return f" (did you mean {close[0]}?)" if close else ""


def _normalise(example: str) -> str:
    """Compare examples as the model sees them: case, spacing and entity mark-up make no difference."""
    plain = re.sub(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})", r"\1", example)
    return " ".join(plain.lower().split())


# --- The domain ------------------------------------------------------------------------------------------
def domain_intents(project: Project) -> dict[str, int | None]:
    return dict(_named_items(project.doc(DOMAIN).get("intents")))


def domain_responses(project: Project) -> Mapping:
    return _as_map(project.doc(DOMAIN).get("responses"))


def domain_actions(project: Project) -> set[str]:
    """Everything a story or rule may run: responses, custom actions, forms and Rasa's built-in actions."""
    domain = project.doc(DOMAIN)
    custom = {name for name, _ in _named_items(domain.get("actions"))}
    responses = {name for name in domain_responses(project) if isinstance(name, str)}
    return responses | custom | set(_as_map(domain.get("forms"))) | BUILT_IN_ACTIONS


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
@dataclass(frozen=True)
class Example:
    """One training example, kept with its line so duplicates can be pointed at."""

    intent: str
    text: str
    line: int | None


def nlu_intents(project: Project) -> dict[str, int | None]:
    """Intent -> line of its first `- intent:` block in data/nlu.yml."""
    found: dict[str, int | None] = {}
    blocks = _as_list(project.doc(NLU).get("nlu"))
    for index, block in enumerate(blocks):
        intent = _as_map(block).get("intent")
        if isinstance(intent, str):
            found.setdefault(intent, _item_line(blocks, index))
    return found


def nlu_examples(project: Project) -> Iterator[Example]:
    """Every training example in data/nlu.yml with the line it is on."""
    for block in _as_list(project.doc(NLU).get("nlu")):
        block = _as_map(block)
        intent = block.get("intent")
        if isinstance(intent, str):
            yield from _block_examples(intent, block)


def _block_examples(intent: str, block: Mapping) -> Iterator[Example]:
    examples = block.get("examples")
    if isinstance(examples, str):
        # A `|` block: its first line is the line after `examples: |`.
        first = _key_line(block, "examples")
        for offset, line in enumerate(examples.splitlines()):
            text = line.strip()
            if text.startswith("- "):
                yield Example(intent, text[2:].strip(), first + 1 + offset if first else None)
    for index, item in enumerate(_as_list(examples)):
        text = _as_map(item).get("text")
        if isinstance(text, str):
            yield Example(intent, text.strip().removeprefix("- "), _item_line(examples, index))


# --- Stories and rules ------------------------------------------------------------------------------------
def blocks(project: Project, file: str) -> Iterator[tuple[str, Mapping, int | None]]:
    """(label such as "the story 'X'", block, line) for every story or rule in `file`."""
    section, title = BLOCK_FILES[file]
    items = _as_list(project.doc(file).get(section))
    for index, block in enumerate(items):
        if isinstance(block, Mapping):
            yield f"the {title} '{block.get(title, '?')}'", block, _item_line(items, index)


def raw_steps(block: Mapping, block_line: int | None) -> Iterator[tuple[Any, int | None]]:
    steps = block.get("steps")
    for index, step in enumerate(_as_list(steps)):
        yield step, _item_line(steps, index) or block_line


def steps(project: Project, file: str) -> Iterator[Step]:
    """Every intent and action a story or rule file names, including those inside `or` steps."""
    for label, block, block_line in blocks(project, file):
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
