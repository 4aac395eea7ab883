"""The house rules for the assistant's answers (checks 2-3): every myth has an answer, a clip and a story;
answers are short, and factual answers are sourced and easy to read. Responses count wherever they are
written: in domain.yml or under `responses:` in any training-data file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from rasa.shared.core.constants import USER_INTENT_OUT_OF_SCOPE

from prevent_assistant.names import FALLBACK_INTENT, MYTH_PREFIX, MYTH_SLOT
from prevent_assistant.readability import plain_text, reading_ease
from prevent_assistant.staff.validation.accessors import (
    _response_label,
    all_responses,
    blocks,
    domain_intents,
    response_variations,
    responses_in,
    steps,
    where_to_add,
)
from prevent_assistant.staff.validation.problem import Problem
from prevent_assistant.staff.validation.project import (
    DOMAIN,
    RESPONSE_PREFIX,
    RETRIEVAL,
    RULES,
    STORIES,
    Project,
    _as_list,
    _as_map,
    _key_line,
)

# --- House rules --------------------------------------------------------------------------------------
# Replies must be readable on a phone at a glance; longer answers should point to the source instead.
MAX_WORDS = 60
# Factual answers must be plain English for a worried member of the public: Flesch reading ease 60 or more
# (see prevent_assistant.readability for how it is measured).
MIN_READING_EASE = 60
# Every factual answer ends with its source, as a Markdown link, so people can check it for themselves.
SOURCE_LINE = re.compile(r"Source: \[[^\]]+\]\(https?://[^)\s]+\)\s*$")
SOURCE_EXAMPLE = "Source: [actearly.uk](https://actearly.uk/contact/)"
WEB_ADDRESS = re.compile(r"https?://\S+")
# A myth is declared by an intent myth_<name> (names.MYTH_PREFIX); its answer is utter_myth_<name>.
MYTH_ANSWER_PREFIX = f"{RESPONSE_PREFIX}{MYTH_PREFIX}"
# The clip catalogue: one variation of this response per myth, picked by the `myth` slot.
CLIP_RESPONSE = "utter_clip"
CLIP_SLOT = MYTH_SLOT
CLIP_FIELDS = ("title", "url", "description", "summary")
# Intents whose reply states no facts about Prevent (chit-chat, menus, Rasa's low-confidence intent, and
# not_covered, whose reply says there is no checked answer and where to ask), so the reply a rule gives
# them needs no source.
SMALL_TALK = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "bot_challenge",
        USER_INTENT_OUT_OF_SCOPE,
        "not_covered",
        "list_myths",
        FALLBACK_INTENT,
    }
)
# Replies that must stand alone and so carry no source: 999 comes first, in its own message; the source is
# on the reply that follows it, which is checked instead.
STANDALONE_REPLIES = frozenset({"utter_emergency"})


# --- Factual answers: the replies that must cite their source -------------------------------------
def factual_answers(project: Project) -> set[str]:
    """Responses that state facts: every myth answer, and what rules say first to a non-small-talk intent.
    When that is a retrieval action (the rule for faq runs utter_faq), every answer it picks from
    (utter_faq/<key>) is factual."""
    names = set(all_responses(project))
    answers = {name for name in names if name.startswith(MYTH_ANSWER_PREFIX)}
    for _, _, block, _ in blocks(project, RULES):
        sequence = [step for step in _as_list(block.get("steps")) if isinstance(step, Mapping)]
        for index, step in enumerate(sequence):
            if any(intent not in SMALL_TALK for intent in _user_intents(step)):
                reply = _first_reply(sequence[index + 1 :])
                if reply:
                    answers.add(reply)
                    answers |= {name for name in names if name.startswith(f"{reply}{RETRIEVAL}")}
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


def factual_variations(project: Project) -> Iterator[tuple[str, str, str, int | None]]:
    """(file, label such as "utter_faq/training", text, line) for every variation of every factual answer."""
    answers = factual_answers(project)
    for file in project.response_files():
        responses = responses_in(project, file)
        for name, number, variation, line in response_variations(responses):
            if name in answers:
                label = _response_label(name, number, responses)
                yield file, label, str(variation.get("text") or ""), line


# --- Check 2: every myth has an answer, a clip and a story ---------------------------------------------
def myth_names(project: Project) -> dict[str, int | None]:
    """Myth name (e.g. "spying") -> line of its intent in domain.yml."""
    intents = domain_intents(project).items()
    return {
        intent.removeprefix(MYTH_PREFIX): line for intent, line in intents if intent.startswith(MYTH_PREFIX)
    }


def check_myth_answers(project: Project) -> Iterator[Problem]:
    responses = all_responses(project)
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
    clip_file, clip_line = all_responses(project).get(CLIP_RESPONSE, (DOMAIN, None))
    clips = clip_variations(responses_in(project, clip_file).get(CLIP_RESPONSE))
    for myth, intent_line in myth_names(project).items():
        if myth not in clips:
            yield Problem(
                clip_file if clip_line else DOMAIN,
                clip_line or intent_line,
                f"{CLIP_RESPONSE} has no clip for the myth '{myth}'; add a variation with "
                f"condition: [{{type: slot, name: {CLIP_SLOT}, value: {myth}}}] and a custom.clip entry",
            )
        else:
            yield from clip_problems(clip_file, myth, clips[myth])


def clip_variations(variations: Any) -> dict[str, Mapping]:
    """Myth -> its variation of utter_clip, found by the condition on the `myth` slot."""
    found: dict[str, Mapping] = {}
    for variation in _as_list(variations):
        for condition in _as_list(_as_map(variation).get("condition")):
            condition = _as_map(condition)
            if condition.get("name") == CLIP_SLOT and isinstance(condition.get("value"), str):
                found.setdefault(condition["value"], variation)
    return found


def clip_problems(file: str, myth: str, variation: Mapping) -> Iterator[Problem]:
    """What is wrong with one myth's clip (its variation of utter_clip): an empty field, a link that is not
    a web address, text without the link."""
    custom = _as_map(variation.get("custom"))
    clip = _as_map(custom.get("clip"))
    clip_line = (
        _key_line(custom, "clip") or _key_line(variation, "custom") or _key_line(variation, "condition")
    )
    for field in CLIP_FIELDS:
        if not str(clip.get(field) or "").strip():
            yield Problem(
                file,
                _key_line(clip, field) or clip_line,
                f"the clip for the myth '{myth}' has no {field}; fill in custom.clip.{field}",
            )
    url = str(clip.get("url") or "").strip()
    if url and not WEB_ADDRESS.fullmatch(url):
        yield Problem(
            file,
            _key_line(clip, "url"),
            f"the clip link for the myth '{myth}' is '{url}', which is not a full web address; "
            "it must start with https:// (or http://), e.g. https://youtu.be/78eYdX7q5Fw",
        )
    if url and url not in str(variation.get("text") or ""):
        yield Problem(
            file,
            _key_line(variation, "text") or clip_line,
            f"the clip text for the myth '{myth}' does not contain its link {url}; "
            "use the same link in text and in custom.clip.url",
        )


def check_myth_stories(project: Project) -> Iterator[Problem]:
    used = {step.name for step in steps(project, STORIES) if step.kind == "intent"}
    for myth, line in myth_names(project).items():
        intent = f"{MYTH_PREFIX}{myth}"
        if intent not in used:
            yield Problem(
                DOMAIN,
                line,
                f"no story uses the myth intent {intent}; add a story in which someone asks about it "
                f"({where_to_add(project, STORIES)}), so the assistant learns to answer it in the middle "
                "of a conversation",
            )


# --- Check 3: short answers; factual answers cite their source and are easy to read -----------------------
# Each rule is also a function of one answer's text (`label` names it in the message), so the console can
# check an answer as it is typed with the same code and the same words as `validate`.
def word_count(text: str) -> int:
    return len(text.split())


def word_limit_message(label: str, text: str) -> str | None:
    words = word_count(text)
    if words <= MAX_WORDS:
        return None
    return (
        f"the response {label} is {words} words long; "
        f"shorten it to at most {MAX_WORDS} words (the Source line counts)"
    )


def has_source(text: str) -> bool:
    return bool(SOURCE_LINE.search(text))


def source_message(label: str, text: str) -> str | None:
    if has_source(text):
        return None
    return (
        f"the answer {label} does not end with its source; "
        f"add a last line in exactly this form: {SOURCE_EXAMPLE}"
    )


def answer_reading_ease(text: str) -> float | None:
    """The reading ease of the words a person reads in `text`; None when there are none (only a source)."""
    words = plain_text(text)
    return reading_ease(words) if words else None


def reading_ease_message(label: str, text: str) -> str | None:
    score = answer_reading_ease(text)
    if score is None or score >= MIN_READING_EASE:
        return None  # an answer with nothing but a source is reported by the other checks, if at all
    return (
        f"the answer {label} reads at {math.floor(score)} on the Flesch reading-ease scale; "
        f"aim for {MIN_READING_EASE} or more (shorter sentences, everyday words)"
    )


def check_word_limits(project: Project) -> Iterator[Problem]:
    for file in project.response_files():
        responses = responses_in(project, file)
        for name, number, variation, line in response_variations(responses):
            label = _response_label(name, number, responses)
            message = word_limit_message(label, str(variation.get("text") or ""))
            if message:
                yield Problem(file, line, message)


def check_sources(project: Project) -> Iterator[Problem]:
    for file, label, text, line in factual_variations(project):
        message = source_message(label, text)
        if message:
            yield Problem(file, line, message)


def check_reading_ease(project: Project) -> Iterator[Problem]:
    for file, label, text, line in factual_variations(project):
        message = reading_ease_message(label, text)
        if message:
            yield Problem(file, line, message)
