"""The house rules for the assistant's words (checks 2-6): every myth has an answer, a clip and a story;
answers are short and sourced; no example is under two intents; intents have examples; stories and rules
use only known intents and actions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prevent_assistant.staff.validation.problem import Problem
from prevent_assistant.staff.validation.project import (
    BUILT_IN_INTENTS,
    DATA_DIR,
    DOMAIN,
    INTENTS_WITHOUT_EXAMPLES,
    NLU,
    RULES,
    STORIES,
    Example,
    Project,
    Step,
    _as_list,
    _as_map,
    _key_line,
    _normalise,
    _response_label,
    _suggestion,
    blocks,
    domain_actions,
    domain_intents,
    domain_responses,
    nlu_examples,
    nlu_intents,
    response_variations,
    steps,
)

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


# --- Factual answers: the replies that must cite their source -------------------------------------
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
