"""Checks run by `prevent-assistant validate` before training, for the staff who edit the assistant's words.

Rasa's own `rasa data validate` misses the house rules (every myth has an answer, a clip and a story;
answers are short and sourced) and its messages rarely say where the problem is. Each check here names the
file and line and says what to do, so that someone who is not a software engineer can fix it alone.
Rasa's validation is run as well (in-process), so one command covers everything that would break training.

Use it as `from prevent_assistant.staff.validation import Problem, validate`. This module holds the check
registry; the checks live beside it: `project` reads the files (check 1: YAML syntax and layout) and
gives the others the domain, examples, stories and rules; `content_rules` holds the house rules
(checks 2-6); `layout_rules` the layout slips Rasa would reject; `rasa_checks` Rasa's own validation
(check 7); `problem` the `Problem` every check reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from prevent_assistant.staff.validation.content_rules import (
    check_duplicate_examples,
    check_intents_have_examples,
    check_myth_answers,
    check_myth_clips,
    check_myth_stories,
    check_references,
    check_sources,
    check_word_limits,
)
from prevent_assistant.staff.validation.layout_rules import (
    check_block_layout,
    check_example_layout,
    check_response_layout,
)
from prevent_assistant.staff.validation.problem import Problem
from prevent_assistant.staff.validation.project import (
    DATA_DIR,
    DOMAIN,
    NLU,
    REQUIRED_FILES,
    RULES,
    STORIES,
    Project,
    load_project,
)
from prevent_assistant.staff.validation.rasa_checks import rasa_problems


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


# Run after the checks above, and only when Rasa can read every file (see rasa_can_read).
RASA_CHECK = Check("the project with Rasa's own validation", (), rasa_problems)
