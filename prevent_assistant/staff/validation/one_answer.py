"""The house rules applied to one proposed answer or clip, before anything is written.

The console checks an answer as staff type it and refuses to save one that breaks a rule. It must use
the same rules and say the same words as `prevent-assistant validate`, so this module only calls the rule
functions in `content_rules` on the proposed text, with the project's own context: whether the answer is
factual (so it needs a source and plain English) and how `validate` would name it ("utter_x (variation 2)").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from prevent_assistant.staff.validation.accessors import _response_label, all_responses, responses_in
from prevent_assistant.staff.validation.contact_rules import phone_messages, verified_numbers
from prevent_assistant.staff.validation.content_rules import (
    MAX_WORDS,
    MIN_READING_EASE,
    answer_reading_ease,
    clip_problems,
    factual_answers,
    has_source,
    reading_ease_message,
    source_message,
    word_count,
    word_limit_message,
)
from prevent_assistant.staff.validation.project import Project


@dataclass(frozen=True)
class AnswerReport:
    """What the rules say about one answer's text: the figures the console shows live, and the messages
    (empty when the answer may be saved)."""

    words: int
    reading_ease: float | None  # None when there are no words to read (only a source line)
    factual: bool  # a factual answer must end with its source and read at MIN_READING_EASE or more
    has_source: bool
    messages: list[str] = field(default_factory=list)
    max_words: int = MAX_WORDS
    min_reading_ease: int = MIN_READING_EASE

    @property
    def ok(self) -> bool:
        return not self.messages


def answer_label(project: Project, name: str, number: int) -> str:
    """How `validate` names variation `number` (1-based) of the response `name`."""
    file, _ = all_responses(project).get(name, ("", None))
    return _response_label(name, number, responses_in(project, file)) if file else name


def check_answer(project: Project, name: str, text: str, number: int = 1) -> AnswerReport:
    """The rules for variation `number` of the response `name` if its text were `text`."""
    label = answer_label(project, name, number)
    factual = name in factual_answers(project)
    found = [word_limit_message(label, text), *phone_messages(label, text, verified_numbers(project.root))]
    if factual:
        found += [source_message(label, text), reading_ease_message(label, text)]
    return AnswerReport(
        words=word_count(text),
        reading_ease=answer_reading_ease(text),
        factual=factual,
        has_source=has_source(text),
        messages=[message for message in found if message],
    )


def check_clip(file: str, myth: str, variation: Mapping) -> list[str]:
    """The clip rules for `myth`'s variation of utter_clip as proposed (`file`: where it is written)."""
    return [problem.message for problem in clip_problems(file, myth, variation)]
