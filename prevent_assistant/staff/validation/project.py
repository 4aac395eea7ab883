"""Reading the project: where the files live, parsing them with line numbers (check 1: YAML syntax and
layout), what each training-data file holds, and the small helpers the checks share (`accessors` gathers
the domain, responses, examples, stories and rules from these files).

Training data may be laid out in any folders under data/, as Rasa allows: every .yml/.yaml file there is
classified by its top-level keys (`nlu`, `responses`, `stories`, `rules`), and one file may hold several.
A check asks for a kind of data ("every rule") and gets it from every file that holds it, each item kept
with its own file and line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rasa.shared.constants import UTTER_PREFIX
from rasa.shared.core.constants import DEFAULT_ACTION_NAMES, DEFAULT_INTENTS, USER_INTENT_OUT_OF_SCOPE
from rasa.shared.nlu.constants import RESPONSE_IDENTIFIER_DELIMITER
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from prevent_assistant.staff.validation.problem import Problem

# --- Where things live, relative to the project root ------------------------------------------------------
DOMAIN = "domain.yml"
CONFIG = "config.yml"
DATA_DIR = "data"
DATA_SUFFIXES = (".yml", ".yaml")
# Other YAML files staff edit: checked for syntax errors only.
OTHER_YAML_GLOBS = ("content/*.yml",)

# --- The kinds of training data, named by the top-level key that holds them --------------------------------
NLU = "nlu"
RESPONSES = "responses"
STORIES = "stories"
RULES = "rules"
# What each kind must hold. A file laid out otherwise is reported once and left out of the other checks,
# which would otherwise report every name in it as missing.
DATA_LAYOUT: dict[str, type] = {NLU: list, RESPONSES: Mapping, STORIES: list, RULES: list}
DATA_KINDS = tuple(DATA_LAYOUT)
# Top-level keys Rasa accepts in a training-data file besides the kinds.
OTHER_DATA_KEYS = ("version",)
# Training cannot work without these (stories are optional: rules alone can answer every question).
REQUIRED_KINDS = {NLU: "example messages", RULES: "rules"}
# Story and rule files: the key naming each block.
BLOCK_TITLES = {STORIES: "story", RULES: "rule"}
DOMAIN_LAYOUT: dict[str, type] = {
    "intents": list,
    "entities": list,
    "slots": Mapping,
    "actions": list,
    "forms": Mapping,
    "responses": Mapping,
}
LAYOUT_ADVICE: dict[type, str] = {list: "a list of '- ' lines", Mapping: "named entries ('name:' lines)"}
# In a file that is not valid YAML, the top-level keys it seems to hold (as Rasa guesses a file's kind).
KIND_LINE = re.compile(rf"^\s*({'|'.join(DATA_KINDS)})\s*:", re.M)
NO_DATA = (
    "this file holds no training data, so Rasa ignores it; start its sections with "
    f"{', '.join(kind + ':' for kind in DATA_KINDS)} (or delete the file if it is not needed)"
)

# --- What Rasa provides itself ---------------------------------------------------------------------------
# Stories and rules may use Rasa's built-in intents and actions without listing them in domain.yml.
BUILT_IN_INTENTS = frozenset(DEFAULT_INTENTS)
BUILT_IN_ACTIONS = frozenset(DEFAULT_ACTION_NAMES)
# Built-in intents Rasa raises itself or from a button (/restart), so they need no training examples.
# out_of_scope is built in too, but only training examples make the model predict it.
INTENTS_WITHOUT_EXAMPLES = BUILT_IN_INTENTS - {USER_INTENT_OUT_OF_SCOPE}
RESPONSE_PREFIX = UTTER_PREFIX
# Retrieval intents: examples labelled faq/<key> are one intent, faq, to the dialogue; each <key> has its
# answer utter_faq/<key>, and Rasa creates the action utter_faq that picks the right one.
RETRIEVAL = RESPONSE_IDENTIFIER_DELIMITER
# A step in a story or rule is one of these; anything else is usually a misspelt key.
STEP_KEYS = ("intent", "action", "user", "bot", "or", "slot_was_set", "active_loop", "checkpoint")
# How close a known name must be to a misspelt one for us to suggest it (difflib ratio, 0 to 1).
SUGGESTION_CUTOFF = 0.75

DUPLICATE_KEY = re.compile(r'found duplicate key "([^"]*)"')
YAML_ADVICE = "fix the YAML (check the indentation and quotes on this line and the lines just above it)"


@dataclass(frozen=True)
class Project:
    """The project's YAML files that could be read, parsed with line numbers kept."""

    root: Path
    files: dict[str, Any]  # relative path -> parsed YAML, for the files that could be read
    unusable: frozenset[str]  # files that exist but are not valid YAML or are laid out wrongly
    # Training-data file -> the kinds it holds (for an unusable file: the kinds it may hold).
    kinds: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def doc(self, file: str) -> Mapping:
        """The top-level mapping of `file` ({} if missing or not a mapping), so checks never trip on shape."""
        return _as_map(self.files.get(file))

    def data_files(self, kind: str) -> list[str]:
        """The readable training-data files holding `kind`, in path order."""
        return [file for file, kinds in self.kinds.items() if kind in kinds and file in self.files]

    def response_files(self) -> list[str]:
        """Where responses may be written: domain.yml, then every data file with `responses:`."""
        return [DOMAIN, *self.data_files(RESPONSES)]

    def can_read(self, need: str) -> bool:
        """Whether a check that reads `need` (a file, or a kind of data) may run without false alarms."""
        if need not in DATA_KINDS:
            return need in self.files
        if any(need in kinds and file in self.unusable for file, kinds in self.kinds.items()):
            return False  # the broken file may hold what the check would report as missing
        return need not in REQUIRED_KINDS or bool(self.data_files(need))


# --- Reading the files ----------------------------------------------------------------------------------
def load_project(root: Path) -> tuple[Project, list[Problem]]:
    """Parse every YAML file staff edit, reporting syntax errors and missing files instead of raising."""
    files: dict[str, Any] = {}
    kinds: dict[str, frozenset[str]] = {}
    problems: list[Problem] = []
    unusable: set[str] = set()
    for file in _yaml_files(root):
        document, found = _read(root, file)
        problems.extend(found)
        if found:
            unusable.add(file)
        else:
            files[file] = document
        if is_data_file(file):
            kinds[file] = _kinds_of(root, file, document, usable=not found)
            if not found and not kinds[file]:
                problems.append(Problem(file, 1, NO_DATA))
    if not (root / DOMAIN).is_file():
        problems.append(Problem(DOMAIN, None, "this file is missing; restore it from the last good version"))
    for kind, what in REQUIRED_KINDS.items():
        if not any(kind in found for found in kinds.values()):
            problems.append(
                Problem(
                    f"{DATA_DIR}/",
                    None,
                    f"no file in {DATA_DIR}/ holds {what} (a file starting with '{kind}:'); the assistant "
                    f"cannot be trained without them: restore the files in {DATA_DIR}/{kind}/ from the last "
                    "good version",
                )
            )
    return Project(root, files, frozenset(unusable), kinds), problems


def is_data_file(file: str) -> bool:
    return file.startswith(f"{DATA_DIR}/")


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
    """domain.yml, every .yml/.yaml file anywhere under data/, and the other files staff edit."""
    found = {DOMAIN} if (root / DOMAIN).is_file() else set()
    data = root / DATA_DIR
    if data.is_dir():
        found |= {
            path.relative_to(root).as_posix()
            for path in data.rglob("*")
            if path.suffix in DATA_SUFFIXES and path.is_file()
        }
    found |= {
        path.relative_to(root).as_posix() for pattern in OTHER_YAML_GLOBS for path in root.glob(pattern)
    }
    return sorted(found)


def _kinds_of(root: Path, file: str, document: Any, usable: bool) -> frozenset[str]:
    """The kinds a data file holds; for a file that could not be read, those it seems to hold (all if unsure),
    so that checks which need them are skipped rather than report what may be in it as missing."""
    if usable:
        return frozenset(kind for kind in DATA_KINDS if kind in _as_map(document))
    if isinstance(document, Mapping):  # valid YAML laid out wrongly: its keys, and what misspelt ones meant
        meant = {_closest(str(key), DATA_KINDS) for key in document if key not in OTHER_DATA_KEYS}
        return frozenset(DATA_KINDS) if None in meant else frozenset(k for k in meant if k)
    try:
        seen = frozenset(KIND_LINE.findall((root / file).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        seen = frozenset()
    return seen or frozenset(DATA_KINDS)


def _layout_problems(file: str, document: Any) -> Iterator[Problem]:
    """Top-level keys holding the wrong kind of thing, e.g. `intents: greet` instead of a list."""
    if file == DOMAIN:
        layout = DOMAIN_LAYOUT
    elif is_data_file(file):
        layout = DATA_LAYOUT
    else:
        return
    if document is None and layout is DATA_LAYOUT:
        return  # an empty data file: reported as holding no training data
    if not isinstance(document, Mapping):
        yield Problem(file, 1, f"this file should start with keys such as {', '.join(layout)}; {YAML_ADVICE}")
        return
    for key, value in document.items():
        kind = layout.get(key)
        if kind is not None and value is not None and not isinstance(value, kind):
            yield Problem(
                file, _key_line(document, key), f"'{key}' should hold {LAYOUT_ADVICE[kind]}; {YAML_ADVICE}"
            )
        elif kind is None and layout is DATA_LAYOUT and key not in OTHER_DATA_KEYS:
            known = (*DATA_KINDS, *OTHER_DATA_KEYS)
            yield Problem(
                file,
                _key_line(document, key),
                f"Rasa does not read a section called '{key}'{_suggestion(key, known)}; a training-data file "
                f"holds only {', '.join(k + ':' for k in known)}",
            )


def _syntax_problem(file: str, error: YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if isinstance(error, MarkedYAMLError) and mark is not None else None
    detail = getattr(error, "problem", None) or " ".join(str(error).split()) or type(error).__name__
    duplicate = DUPLICATE_KEY.match(detail)
    if duplicate:  # ruamel's message quotes both values in full, which can be pages long
        return Problem(
            file,
            line,
            f"'{duplicate[1]}:' appears twice at the same level; keep one and put everything under it "
            "(the second one starts on this line)",
        )
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


def _closest(name: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=SUGGESTION_CUTOFF)
    return close[0] if close else None


def _suggestion(name: Any, known: Iterable[str]) -> str:
    """' (did you mean X?)' for a likely typo, so staff need not hunt for the right spelling."""
    close = _closest(str(name), known)
    return f" (did you mean {close}?)" if close else ""


def _normalise(example: str) -> str:
    """Compare examples as the model sees them: case, spacing and entity mark-up make no difference."""
    plain = re.sub(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})", r"\1", example)
    return " ".join(plain.lower().split())
