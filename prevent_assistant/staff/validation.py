"""Checks run by `prevent-assistant validate` before training, for the staff who edit the assistant's words.

Rasa's own `rasa data validate` misses the house rules (every myth has an answer, a clip and a story;
answers are short and sourced) and its messages rarely say where the problem is. Each check here names the
file and line and says what to do, so that someone who is not a software engineer can fix it alone.
Rasa's validation is run as well (in-process), so one command covers everything that would break training.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import logging
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa.shared.core.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS, USER_INTENT_OUT_OF_SCOPE
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

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

# --- House rules --------------------------------------------------------------------------------------
# Replies must be readable on a phone at a glance; longer answers should point to the source instead.
MAX_WORDS = 60
# Every factual answer ends with its source, as a Markdown link, so people can check it for themselves.
SOURCE_LINE = re.compile(r"Source: \[[^\]]+\]\(https?://[^)\s]+\)\s*$")
SOURCE_EXAMPLE = "Source: [actearly.uk](https://actearly.uk/contact/)"
WEB_ADDRESS = re.compile(r"https?://\S+")
RESPONSE_PREFIX = "utter_"
# A myth is declared by an intent myth_<name>; its answer is utter_myth_<name>.
MYTH_PREFIX = "myth_"
MYTH_ANSWER_PREFIX = f"{RESPONSE_PREFIX}{MYTH_PREFIX}"
# The clip catalogue: one variation of this response per myth, picked by the `myth` slot.
CLIP_RESPONSE = "utter_clip"
CLIP_SLOT = "myth"
CLIP_FIELDS = ("title", "url", "description", "summary")
# Intents whose reply states no facts about Prevent (chit-chat, menus, Rasa's low-confidence intent), so
# the reply a rule gives them needs no source.
SMALL_TALK = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        "out_of_scope",
        "list_myths",
        "nlu_fallback",
    }
)
# Replies that must stand alone and so carry no source: 999 comes first, in its own message; the source is
# on the reply that follows it, which is checked instead.
STANDALONE_REPLIES = frozenset({"utter_emergency"})

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

# --- Rasa's own validation -------------------------------------------------------------------------------
RASA_PREFIX = "Rasa: "
# Rasa logs story conflicts on this logger (and its children) rather than raising warnings.
RASA_LOGGER = "rasa"
# Library deprecations say nothing about the data staff wrote.
IGNORED_WARNING_CATEGORIES = (DeprecationWarning, PendingDeprecationWarning)
# Rasa 3.6 warns this for every domain with slots, whatever their mappings: not a problem with the data.
IGNORED_RASA_MESSAGES = ("Slot auto-fill has been removed",)
# How to find where a Rasa message points: its pattern, and which index the quoted name is looked up in.
RASA_SUBJECTS = (
    (re.compile(r"The intent '(?P<name>[^']+)' is listed in the domain file"), "domain"),
    (re.compile(r"The intent '(?P<name>[^']+)' is not used in any story"), "domain"),
    (re.compile(r"The utterance '(?P<name>[^']+)' is not used in any story"), "domain"),
    (re.compile(r"training data labeled with intent '(?P<name>[^']+)'"), "nlu"),
    (re.compile(r"The example '(?P<name>.+)' was found labeled with multiple"), "nlu"),
    (re.compile(r"The intent '(?P<name>[^']+)' is used in your stories"), "steps"),
    (re.compile(r"The action '(?P<name>[^']+)' is used in the"), "steps"),
    (re.compile(r"predicted in '(?P<name>[^']+)'"), "blocks"),
)
# Rasa names files by path, sometimes with a line number ("data/stories.yml:12").
RASA_FILE_MENTION = re.compile(r"(?P<file>(?:domain|config)\.ya?ml|data/[\w.-]+\.ya?ml)(?::(?P<line>\d+))?")

YAML_ADVICE = "fix the YAML (check the indentation and quotes on this line and the lines just above it)"


@dataclass(frozen=True)
class Problem:
    """One thing to fix, printed as one line: where it is, what is wrong and what to do."""

    file: str  # relative to the project root, e.g. "data/nlu.yml"; "" when no file could be named
    line: int | None  # 1-based
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.file and self.line is not None else self.file
        return f"{place}: {self.message}" if place else self.message


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


@dataclass(frozen=True)
class Check:
    """A check and the files it reads: it is skipped when any of them is missing or is not valid YAML."""

    about: str
    needs: tuple[str, ...]
    run: Callable[[Project], Iterable[Problem]]


def validate(project_root: Path, rasa: bool = True) -> list[Problem]:
    """Every problem found in the project's data (an empty list means it is ready to train)."""
    project, problems = load_project(Path(project_root))
    for check in CHECKS:
        if all(file in project.files for file in check.needs):
            problems.extend(_guarded(check, project))
    if rasa and rasa_can_read(project):
        problems.extend(_guarded(RASA_CHECK, project))
    return sorted(problems, key=lambda p: (p.file, p.line if p.line is not None else 0))


def rasa_can_read(project: Project) -> bool:
    """Whether Rasa can read the files; if not, it would only repeat our error, less clearly."""
    present = all(file in project.files for file in REQUIRED_FILES)
    return present and not any(file == DOMAIN or file.startswith(f"{DATA_DIR}/") for file in project.unusable)


def _guarded(check: Check, project: Project) -> list[Problem]:
    """Run one check; an unexpected layout must become a report line, never a traceback for staff."""
    try:
        return list(check.run(project))
    except Exception as error:  # validation must never crash on bad data
        message = (
            f"could not finish checking {check.about} ({type(error).__name__}: {error}); "
            "the file may have an unusual layout: compare it with the examples already there"
        )
        return [Problem(check.needs[-1] if check.needs else "", None, message)]


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


def factual_answers(project: Project) -> set[str]:
    """Responses that state facts: every myth answer, and what rules say first to a non-small-talk intent."""
    answers = {name for name in domain_responses(project) if str(name).startswith(MYTH_ANSWER_PREFIX)}
    for _, block, _ in blocks(project, RULES):
        sequence = [step for step in _as_list(block.get("steps")) if isinstance(step, Mapping)]
        for index, step in enumerate(sequence):
            if any(intent not in SMALL_TALK for intent in _user_intents(step)):
                reply = _first_reply(sequence[index + 1 :])
                if reply:
                    answers.add(reply)
    return answers


def _user_intents(step: Mapping) -> list[str]:
    """The intents a step stands for: its own, or each alternative of an `or` step."""
    alternatives = [step, *(_as_map(a) for a in _as_list(step.get("or")))]
    return [a["intent"] for a in alternatives if isinstance(a.get("intent"), str)]


def _first_reply(following: list[Mapping]) -> str | None:
    """The first response a rule runs before the next user turn, skipping replies that must stand alone."""
    for step in following:
        if _user_intents(step):
            return None
        action = step.get("action")
        if (
            isinstance(action, str)
            and action.startswith(RESPONSE_PREFIX)
            and action not in STANDALONE_REPLIES
        ):
            return action
    return None


# --- Check 2: every myth has an answer, a clip and a story ---------------------------------------------
def myth_names(project: Project) -> dict[str, int | None]:
    """Myth name (e.g. "spying") -> line of its intent in domain.yml."""
    intents = domain_intents(project).items()
    return {
        intent.removeprefix(MYTH_PREFIX): line for intent, line in intents if intent.startswith(MYTH_PREFIX)
    }


def check_myth_answers(project: Project) -> Iterator[Problem]:
    responses = domain_responses(project)
    for myth, line in myth_names(project).items():
        answer = f"{MYTH_ANSWER_PREFIX}{myth}"
        if answer not in responses:
            yield Problem(
                DOMAIN,
                line,
                f"the myth intent {MYTH_PREFIX}{myth} has no answer; add a response {answer} under responses "
                f"(or remove {MYTH_PREFIX}{myth} from intents if the myth was dropped)",
            )


def check_myth_clips(project: Project) -> Iterator[Problem]:
    responses = domain_responses(project)
    clips = clip_variations(responses.get(CLIP_RESPONSE))
    clip_line = _key_line(responses, CLIP_RESPONSE)
    for myth, intent_line in myth_names(project).items():
        if myth not in clips:
            yield Problem(
                DOMAIN,
                clip_line or intent_line,
                f"{CLIP_RESPONSE} has no clip for the myth '{myth}'; add a variation with "
                f"condition: [{{type: slot, name: {CLIP_SLOT}, value: {myth}}}] and a custom.clip entry",
            )
        else:
            yield from _clip_problems(myth, clips[myth])


def clip_variations(variations: Any) -> dict[str, Mapping]:
    """Myth -> its variation of utter_clip, found by the condition on the `myth` slot."""
    found: dict[str, Mapping] = {}
    for variation in _as_list(variations):
        for condition in _as_list(_as_map(variation).get("condition")):
            condition = _as_map(condition)
            if condition.get("name") == CLIP_SLOT and isinstance(condition.get("value"), str):
                found.setdefault(condition["value"], variation)
    return found


def _clip_problems(myth: str, variation: Mapping) -> Iterator[Problem]:
    custom = _as_map(variation.get("custom"))
    clip = _as_map(custom.get("clip"))
    clip_line = (
        _key_line(custom, "clip") or _key_line(variation, "custom") or _key_line(variation, "condition")
    )
    for field in CLIP_FIELDS:
        if not str(clip.get(field) or "").strip():
            yield Problem(
                DOMAIN,
                _key_line(clip, field) or clip_line,
                f"the clip for the myth '{myth}' has no {field}; fill in custom.clip.{field}",
            )
    url = str(clip.get("url") or "").strip()
    if url and not WEB_ADDRESS.fullmatch(url):
        yield Problem(
            DOMAIN,
            _key_line(clip, "url"),
            f"the clip link for the myth '{myth}' is '{url}', which is not a full web address; "
            "it must start with https:// (or http://), e.g. https://youtu.be/78eYdX7q5Fw",
        )
    if url and url not in str(variation.get("text") or ""):
        yield Problem(
            DOMAIN,
            _key_line(variation, "text") or clip_line,
            f"the clip text for the myth '{myth}' does not contain its link {url}; "
            "use the same link in text and in custom.clip.url",
        )


def check_myth_stories(project: Project) -> Iterator[Problem]:
    used = {step.name for step in steps(project, STORIES) if step.kind == "intent"}
    for myth in myth_names(project):
        intent = f"{MYTH_PREFIX}{myth}"
        if intent not in used:
            yield Problem(
                STORIES,
                None,
                f"no story uses the myth intent {intent}; add a story in which someone asks about it, "
                "so the assistant learns to answer it in the middle of a conversation",
            )


# --- Check 3: short answers, and factual answers cite their source ------------------------------------
def check_word_limits(project: Project) -> Iterator[Problem]:
    for file in [DOMAIN, *(f for f in project.files if f.startswith(f"{DATA_DIR}/"))]:
        responses = _as_map(project.doc(file).get("responses"))
        for name, number, variation, line in response_variations(responses):
            words = len(str(variation.get("text") or "").split())
            if words > MAX_WORDS:
                yield Problem(
                    file,
                    line,
                    f"the response {_response_label(name, number, responses)} is {words} words long; "
                    f"shorten it to at most {MAX_WORDS} words (the Source line counts)",
                )


def check_sources(project: Project) -> Iterator[Problem]:
    responses = domain_responses(project)
    answers = factual_answers(project)
    for name, number, variation, line in response_variations(responses):
        if name in answers and not SOURCE_LINE.search(str(variation.get("text") or "")):
            yield Problem(
                DOMAIN,
                line,
                f"the answer {_response_label(name, number, responses)} does not end with its source; "
                f"add a last line in exactly this form: {SOURCE_EXAMPLE}",
            )


# --- Check 4: no example under two intents ------------------------------------------------------------
def check_duplicate_examples(project: Project) -> Iterator[Problem]:
    first_seen: dict[str, Example] = {}
    for example in nlu_examples(project):
        earlier = first_seen.setdefault(_normalise(example.text), example)
        if earlier.intent != example.intent:
            where = f" (line {earlier.line})" if earlier.line else ""
            yield Problem(
                NLU,
                example.line,
                f"the example '{example.text}' is listed under both {earlier.intent}{where} and "
                f"{example.intent}; keep it under one intent",
            )


# --- Check 5: domain intents and NLU intents match ---------------------------------------------------
def check_intents_have_examples(project: Project) -> Iterator[Problem]:
    with_examples = {example.intent for example in nlu_examples(project)}
    for intent, line in domain_intents(project).items():
        if intent not in with_examples and intent not in INTENTS_WITHOUT_EXAMPLES:
            yield Problem(
                DOMAIN,
                line,
                f"the intent {intent} has no examples in {NLU}; add some under '- intent: {intent}' there "
                "(or remove it here if it is no longer needed)",
            )
    known = domain_intents(project)
    for intent, line in nlu_intents(project).items():
        if intent not in known:
            yield Problem(
                NLU,
                line,
                f"the intent {intent} is not listed under intents in {DOMAIN}{_suggestion(intent, known)}; "
                "add it there or correct the spelling here",
            )


# --- Check 6: stories and rules use only known intents and actions -------------------------------------
def check_references(file: str) -> Callable[[Project], Iterator[Problem]]:
    """The check for one story or rule file, so a broken rules file does not stop stories being checked."""

    def run(project: Project) -> Iterator[Problem]:
        intents = set(domain_intents(project)) | BUILT_IN_INTENTS
        actions = domain_actions(project)
        for step in steps(project, file):
            known = intents if step.kind == "intent" else actions
            if not isinstance(step.name, str) or not step.name.strip():
                yield Problem(
                    file, step.line, f"{step.block} has an {step.kind} step with no name; fill it in"
                )
            elif step.name not in known:
                yield Problem(file, step.line, _unknown_name_message(step, known))

    return run


def _unknown_name_message(step: Step, known: set[str]) -> str:
    if step.kind == "intent":
        what = f"the intent '{step.name}', which is not listed under intents in {DOMAIN}"
    elif str(step.name).startswith(RESPONSE_PREFIX):
        what = f"the response '{step.name}', which is not under responses in {DOMAIN}"
    else:
        what = f"the action '{step.name}', which is not a response or listed under actions in {DOMAIN}"
    return f"{step.block} uses {what}{_suggestion(step.name, known)}; correct the spelling or add it there"


# --- Layout inside the files: the slips that make Rasa skip or reject an entry ---------------------------
def check_block_layout(file: str) -> Callable[[Project], Iterator[Problem]]:
    """Stories or rules without a name or steps, and steps of no known kind; needs only `file` itself."""

    def run(project: Project) -> Iterator[Problem]:
        yield from _malformed_blocks(project, file)
        yield from _unknown_steps(project, file)

    return run


def _malformed_blocks(project: Project, file: str) -> Iterator[Problem]:
    section, title = BLOCK_FILES[file]
    items = _as_list(project.doc(file).get(section))
    for index, block in enumerate(items):
        line = _item_line(items, index)
        if not isinstance(block, Mapping) or not block.get(title):
            yield Problem(
                file,
                line,
                f"this entry under {section}: has no name; start it with '- {title}: <what happens>' "
                "and put its steps under 'steps:'",
            )
        elif not _as_list(block.get("steps")):
            yield Problem(
                file,
                line,
                f"the {title} '{block[title]}' has no steps; add them under 'steps:', one per line",
            )


def check_response_layout(project: Project) -> Iterator[Problem]:
    """A response written without its '- ' (a mapping, not a list) is rejected by Rasa."""
    responses = domain_responses(project)
    for name, variations in responses.items():
        if not _as_list(variations) or not all(isinstance(v, Mapping) for v in variations):
            yield Problem(
                DOMAIN,
                _key_line(responses, name),
                f"the response {name} should be a list of variations, each starting with '- text:'; "
                f"{YAML_ADVICE}",
            )


def check_example_layout(project: Project) -> Iterator[Problem]:
    """Examples must be one `examples: |` block (or Rasa's list of `- text:` entries)."""
    items = _as_list(project.doc(NLU).get("nlu"))
    for index, block in enumerate(items):
        block = _as_map(block)
        examples = block.get("examples")
        as_list = _as_list(examples)
        well_formed = isinstance(examples, str) or (
            bool(as_list) and all(isinstance(_as_map(item).get("text"), str) for item in as_list)
        )
        if "intent" in block and not well_formed:
            yield Problem(
                NLU,
                _item_line(items, index),
                f"the examples for {block['intent']} should come after 'examples: |', "
                "one '- example' per line",
            )


def _unknown_steps(project: Project, file: str) -> Iterator[Problem]:
    """Steps that are none of Rasa's step kinds: usually a misspelt key such as `acton:`."""
    for label, block, block_line in blocks(project, file):
        for step, line in raw_steps(block, block_line):
            if not isinstance(step, Mapping) or not any(key in step for key in STEP_KEYS):
                yield Problem(
                    file,
                    line,
                    f"{label} has a step Rasa does not understand; each step starts with one of "
                    f"{', '.join(key + ':' for key in STEP_KEYS)} (check the spelling)",
                )


CHECKS = (
    Check("the myth answers", (DOMAIN,), check_myth_answers),
    Check("the myth clips", (DOMAIN,), check_myth_clips),
    Check("that every myth is in a story", (DOMAIN, STORIES), check_myth_stories),
    Check("response lengths", (DOMAIN,), check_word_limits),
    Check("answer sources", (DOMAIN, RULES), check_sources),
    Check("duplicate examples", (NLU,), check_duplicate_examples),
    Check("intents against examples", (DOMAIN, NLU), check_intents_have_examples),
    Check("the stories", (DOMAIN, STORIES), check_references(STORIES)),
    Check("the rules", (DOMAIN, RULES), check_references(RULES)),
    Check("the layout of the stories", (STORIES,), check_block_layout(STORIES)),
    Check("the layout of the rules", (RULES,), check_block_layout(RULES)),
    Check("the layout of the responses", (DOMAIN,), check_response_layout),
    Check("the layout of the examples", (NLU,), check_example_layout),
)


# --- Check 7: Rasa's own validation ---------------------------------------------------------------------
def rasa_problems(project: Project) -> list[Problem]:
    """What `rasa data validate --fail-on-warnings` reports, each placed at the file and line it is about."""
    places = RasaPlaces(project)
    return [places.problem(" ".join(message.split())) for message in rasa_messages(project.root)]


def rasa_messages(root: Path) -> list[str]:
    """Run Rasa's validator as `rasa data validate` does (rasa.cli.utils.validate_files), keeping warnings."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter is not a data problem
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    with captured_rasa_output() as messages:
        try:
            importer = TrainingDataImporter.load_from_config(
                config_path=str(root / CONFIG),
                domain_path=str(root / DOMAIN),
                training_data_paths=[str(root / DATA_DIR)],
            )
            _run_rasa_checks(Validator.from_importer(importer))
        except Exception as error:  # any Rasa failure is a problem to report
            messages.append(f"could not read the project: {error}")
        except SystemExit:  # some Rasa helpers print an error and exit; the command must go on reporting
            messages.append("could not read the project; run `rasa data validate` to see why")
    return messages


def _run_rasa_checks(validator: Any) -> None:
    """The same checks as rasa.cli.utils.validate_files, with warnings treated as failures."""
    if validator.domain.is_empty():
        raise ValueError(f"{DOMAIN} is empty")
    validator.verify_domain_validity()
    validator.verify_actions_in_stories_rules()
    validator.verify_forms_in_stories_rules()
    validator.verify_form_slots()
    validator.verify_slot_mappings()
    validator.verify_nlu(ignore_warnings=False)
    validator.verify_story_structure(ignore_warnings=False, max_history=None)
    validator.warn_if_config_mandatory_keys_are_not_set()


class _ListHandler(logging.Handler):
    """Keeps Rasa's warning logs (story conflicts) as report lines instead of printing them."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def captured_rasa_output() -> Iterator[list[str]]:
    """Collect Rasa's warnings and warning logs instead of printing them; silence its progress bars."""
    messages: list[str] = []
    logger = logging.getLogger(RASA_LOGGER)
    saved = logger.level, logger.propagate
    handler = _ListHandler(messages)
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("always")
            yield messages
        messages.extend(str(w.message) for w in caught if _is_data_warning(w))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _is_data_warning(warning: warnings.WarningMessage) -> bool:
    if issubclass(warning.category, IGNORED_WARNING_CATEGORIES):
        return False
    return not any(ignored in str(warning.message) for ignored in IGNORED_RASA_MESSAGES)


class RasaPlaces:
    """Finds the file and line a Rasa message is about, from the names it quotes."""

    def __init__(self, project: Project) -> None:
        self.root = project.root
        self.index: dict[str, dict[str, tuple[str, int | None]]] = {
            "domain": self._domain(project),
            "nlu": self._nlu(project),
            "steps": self._steps(project),
            "blocks": self._blocks(project),
        }

    def problem(self, message: str) -> Problem:
        file, line = self.place(message)
        return Problem(file, line, RASA_PREFIX + message.replace(f"{self.root.as_posix()}/", ""))

    def place(self, message: str) -> tuple[str, int | None]:
        mention = RASA_FILE_MENTION.search(message.replace(f"{self.root.as_posix()}/", ""))
        if mention:
            return mention["file"], int(mention["line"]) if mention["line"] else None
        for pattern, index in RASA_SUBJECTS:
            found = pattern.search(message)
            if found:
                key = _normalise(found["name"]) if index == "nlu" else found["name"]
                return self.index[index].get(key, ("", None))
        return "", None

    @staticmethod
    def _domain(project: Project) -> dict[str, tuple[str, int | None]]:
        responses = domain_responses(project)
        places = {name: (DOMAIN, line) for name, line in domain_intents(project).items()}
        places.update({str(name): (DOMAIN, _key_line(responses, name)) for name in responses})
        return places

    @staticmethod
    def _nlu(project: Project) -> dict[str, tuple[str, int | None]]:
        places = {intent: (NLU, line) for intent, line in nlu_intents(project).items()}
        for example in nlu_examples(project):
            places.setdefault(_normalise(example.text), (NLU, example.line))
        return places

    @staticmethod
    def _steps(project: Project) -> dict[str, tuple[str, int | None]]:
        places: dict[str, tuple[str, int | None]] = {}
        for file in BLOCK_FILES:
            for step in steps(project, file):
                places.setdefault(str(step.name), (file, step.line))
        return places

    @staticmethod
    def _blocks(project: Project) -> dict[str, tuple[str, int | None]]:
        places: dict[str, tuple[str, int | None]] = {}
        for file, (_, title) in BLOCK_FILES.items():
            for _, block, line in blocks(project, file):
                places.setdefault(str(block.get(title)), (file, line))
        return places


# Run after the checks above, and only when Rasa can read every file (see rasa_can_read).
RASA_CHECK = Check("the project with Rasa's own validation", (), rasa_problems)
