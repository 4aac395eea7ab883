"""Check 7: Rasa's own validation, run in-process with warnings kept, each message placed at the file and
line it is about (in domain.yml or in any training-data file under data/, in subfolders too)."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prevent_assistant.staff.validation.accessors import (
    all_responses,
    blocks,
    domain_intents,
    nlu_examples,
    nlu_intents,
    retrieval_bases,
    retrieval_parts,
    steps,
)
from prevent_assistant.staff.validation.problem import Problem
from prevent_assistant.staff.validation.project import (
    BLOCK_TITLES,
    CONFIG,
    DATA_DIR,
    DOMAIN,
    Project,
    _normalise,
)

# --- Rasa's own validation -------------------------------------------------------------------------------
RASA_PREFIX = "Rasa: "
# Rasa logs story conflicts on this logger (and its children) rather than raising warnings.
RASA_LOGGER = "rasa"
# Library deprecations say nothing about the data staff wrote.
IGNORED_WARNING_CATEGORIES = (DeprecationWarning, PendingDeprecationWarning)
# Rasa 3.6 warns this for every domain with slots, whatever their mappings: not a problem with the data.
IGNORED_RASA_MESSAGES = ("Slot auto-fill has been removed",)
# Rasa 3.6 adds each retrieval intent (faq) to the domain itself, then warns that domain.yml lists it too;
# but the domain must list it, so for retrieval intents this warning is not a problem with the data.
RETRIEVAL_ECHO = re.compile(
    r"The following duplicated intents have been found across multiple domain files: (?P<names>[\w, ]+)"
)
# How to find where a Rasa message points: its pattern, and which index the quoted name is looked up in.
RASA_SUBJECTS = (
    (re.compile(r"The intent '(?P<name>[^']+)' is listed in the domain file"), "domain"),
    (re.compile(r"The intent '(?P<name>[^']+)' is not used in any story"), "domain"),
    (re.compile(r"The utterance '(?P<name>[^']+)' is not used in any story"), "domain"),
    (re.compile(r"training data labeled with intent '(?P<name>[^']+)'"), "nlu"),
    (re.compile(r"The example '(?P<name>.+)' was found labeled with multiple"), "nlu"),
    (re.compile(r"The intent '(?P<name>[^']+)' is used in your stories"), "steps"),
    (re.compile(r"The action '(?P<name>[^']+)' is used in the"), "steps"),
    (re.compile(r"Action '(?P<name>[^']+)' is listed as a response action"), "steps"),
    (re.compile(r"predicted in '(?P<name>[^']+)'"), "blocks"),
)
# Rasa names files by path, sometimes with a line number ("data/stories/myths.yml:12").
RASA_FILE_MENTION = re.compile(
    rf"(?P<file>(?:domain|config)\.ya?ml|{DATA_DIR}/(?:[\w.-]+/)*[\w.-]+\.ya?ml)(?::(?P<line>\d+))?"
)


# --- Check 7: Rasa's own validation ---------------------------------------------------------------------
def rasa_problems(project: Project) -> list[Problem]:
    """What `rasa data validate --fail-on-warnings` reports, each placed at the file and line it is about."""
    places = RasaPlaces(project)
    messages = (" ".join(message.split()) for message in rasa_messages(project.root))
    retrieval = retrieval_bases(project)
    return [places.problem(message) for message in messages if not _retrieval_echo(message, retrieval)]


def _retrieval_echo(message: str, retrieval: set[str]) -> bool:
    """Rasa's warning that a retrieval intent is listed twice: by domain.yml and by Rasa itself."""
    echo = RETRIEVAL_ECHO.fullmatch(message)
    return echo is not None and {name.strip() for name in echo["names"].split(",")} <= retrieval


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
        """Intents (in domain.yml) and responses (wherever they are written)."""
        places = {name: (DOMAIN, line) for name, line in domain_intents(project).items()}
        places.update(all_responses(project))
        return places

    @staticmethod
    def _nlu(project: Project) -> dict[str, tuple[str, int | None]]:
        """Intents as Rasa names them (faq, not faq/<key>) and examples, at their first block or line."""
        places: dict[str, tuple[str, int | None]] = {}
        for intent, place in nlu_intents(project).items():
            places.setdefault(intent, place)
            places.setdefault(retrieval_parts(intent)[0], place)
        for example in nlu_examples(project):
            places.setdefault(_normalise(example.text), (example.file, example.line))
        return places

    @staticmethod
    def _steps(project: Project) -> dict[str, tuple[str, int | None]]:
        places: dict[str, tuple[str, int | None]] = {}
        for kind in BLOCK_TITLES:
            for step in steps(project, kind):
                places.setdefault(str(step.name), (step.file, step.line))
        return places

    @staticmethod
    def _blocks(project: Project) -> dict[str, tuple[str, int | None]]:
        places: dict[str, tuple[str, int | None]] = {}
        for kind, title in BLOCK_TITLES.items():
            for file, _, block, line in blocks(project, kind):
                places.setdefault(str(block.get(title)), (file, line))
        return places
