"""Checks run by `prevent-assistant validate` before training, for the staff who edit the assistant's words.

Rasa's own `rasa data validate` misses the house rules (every myth has an answer, a clip and a story;
answers are short, sourced and easy to read; every question has its answer) and its messages rarely say
where the problem is. Each check here names the file and line and says what to do, so that someone who is
not a software engineer can fix it alone. Rasa's validation is run as well (in-process), so one command
covers everything that would break training.

The training data may be laid out in any folders under data/ (data/nlu/faq/<topic>.yml, or one file): each
file is classified by its top-level keys, and every check reads every file of the kinds it needs.

Use it as `from prevent_assistant.staff.validation import Problem, validate`. This module holds the check
registry; the checks live beside it: `project` reads the files (check 1: YAML syntax and layout) and
`accessors` gives the others the domain, examples, responses, stories and rules from every file that holds
them; `content_rules` the house rules for
answers (checks 2-3); `intent_rules` the rules joining intents, examples, answers, stories and rules
(checks 4-6); `layout_rules` the layout slips Rasa would reject; `rasa_checks` Rasa's own validation
(check 7); `problem` the `Problem` every check reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from prevent_assistant.staff.validation.contact_rules import check_phone_numbers
from prevent_assistant.staff.validation.content_rules import (
    check_myth_answers,
    check_myth_clips,
    check_myth_stories,
    check_reading_ease,
    check_sources,
    check_word_limits,
)
from prevent_assistant.staff.validation.intent_rules import (
    check_duplicate_examples,
    check_intents_have_examples,
    check_references,
    check_retrieval_answers,
)
from prevent_assistant.staff.validation.layout_rules import (
    check_block_layout,
    check_example_layout,
    check_response_layout,
)
from prevent_assistant.staff.validation.problem import Problem
from prevent_assistant.staff.validation.project import (
    DATA_DIR,
    DATA_KINDS,
    DOMAIN,
    NLU,
    REQUIRED_KINDS,
    RESPONSES,
    RULES,
    STORIES,
    Project,
    is_data_file,
    load_project,
)
from prevent_assistant.staff.validation.rasa_checks import rasa_problems


@dataclass(frozen=True)
class Check:
    """A check and what it reads: domain.yml and/or kinds of training data (nlu, responses, stories,
    rules). It is skipped when the domain is missing or broken, when a file that may hold a kind it reads is
    not valid YAML, or when a kind every project needs (examples, rules) is in no file at all."""

    about: str
    needs: tuple[str, ...]
    run: Callable[[Project], Iterable[Problem]]


def validate(project_root: Path, rasa: bool = True) -> list[Problem]:
    """Every problem found in the project's data (an empty list means it is ready to train)."""
    project, problems = load_project(Path(project_root))
    for check in CHECKS:
        if all(project.can_read(need) for need in check.needs):
            problems.extend(_guarded(check, project))
    if rasa and rasa_can_read(project):
        problems.extend(_guarded(RASA_CHECK, project))
    return sorted(problems, key=lambda p: (p.file, p.line if p.line is not None else 0))


def rasa_can_read(project: Project) -> bool:
    """Whether Rasa can read the files; if not, it would only repeat our error, less clearly."""
    present = DOMAIN in project.files and all(project.data_files(kind) for kind in REQUIRED_KINDS)
    broken = any(file == DOMAIN or is_data_file(file) for file in project.unusable)
    return present and not broken


def _guarded(check: Check, project: Project) -> list[Problem]:
    """Run one check; an unexpected layout must become a report line, never a traceback for staff."""
    try:
        return list(check.run(project))
    except Exception as error:  # validation must never crash on bad data
        message = (
            f"could not finish checking {check.about} ({type(error).__name__}: {error}); "
            "the file may have an unusual layout: compare it with the examples already there"
        )
        where = f"{DATA_DIR}/" if check.needs and check.needs[-1] in DATA_KINDS else DOMAIN
        return [Problem(where if check.needs else "", None, message)]


CHECKS = (
    Check("the myth answers", (DOMAIN, RESPONSES), check_myth_answers),
    Check("the myth clips", (DOMAIN, RESPONSES), check_myth_clips),
    Check("that every myth is in a story", (DOMAIN, STORIES), check_myth_stories),
    Check("response lengths", (DOMAIN, RESPONSES), check_word_limits),
    Check("phone numbers", (DOMAIN, RESPONSES), check_phone_numbers),
    Check("answer sources", (DOMAIN, RESPONSES, RULES), check_sources),
    Check("how easy the answers are to read", (DOMAIN, RESPONSES, RULES), check_reading_ease),
    Check("duplicate examples", (NLU,), check_duplicate_examples),
    Check("intents against examples", (DOMAIN, NLU), check_intents_have_examples),
    Check("questions against answers", (DOMAIN, NLU, RESPONSES), check_retrieval_answers),
    Check("the stories", (DOMAIN, RESPONSES, NLU, STORIES), check_references(STORIES)),
    Check("the rules", (DOMAIN, RESPONSES, NLU, RULES), check_references(RULES)),
    Check("the layout of the stories", (STORIES,), check_block_layout(STORIES)),
    Check("the layout of the rules", (RULES,), check_block_layout(RULES)),
    Check("the layout of the responses", (DOMAIN, RESPONSES), check_response_layout),
    Check("the layout of the examples", (NLU,), check_example_layout),
)


# Run after the checks above, and only when Rasa can read every file (see rasa_can_read).
RASA_CHECK = Check("the project with Rasa's own validation", (), rasa_problems)
