"""The rules for intents and the names that join the files together (checks 4-6): no example is under two
intents; intents have examples and are listed in the domain; every question (retrieval intent faq/<key>)
has its answer utter_faq/<key> and every such answer has its examples; stories and rules use only known
intents and actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prevent_assistant.staff.validation.accessors import (
    Example,
    Step,
    all_responses,
    domain_actions,
    domain_intents,
    nlu_examples,
    nlu_intents,
    retrieval_parts,
    steps,
    where_to_add,
)
from prevent_assistant.staff.validation.problem import Problem
from prevent_assistant.staff.validation.project import (
    BUILT_IN_INTENTS,
    DATA_DIR,
    DOMAIN,
    INTENTS_WITHOUT_EXAMPLES,
    NLU,
    RESPONSE_PREFIX,
    Project,
    _normalise,
    _suggestion,
    is_data_file,
)


# --- Check 4: no example under two intents, in one file or across files -----------------------------------
def check_duplicate_examples(project: Project) -> Iterator[Problem]:
    first_seen: dict[str, Example] = {}
    for example in nlu_examples(project):
        earlier = first_seen.setdefault(_normalise(example.text), example)
        if earlier.intent != example.intent:
            yield Problem(
                example.file,
                example.line,
                f"the example '{example.text}' is listed under both {earlier.intent}"
                f"{_place(earlier, example)} and {example.intent}; keep it under one intent",
            )


def _place(earlier: Example, example: Example) -> str:
    """Where the first copy is: " (line 12)" in the same file, " (data/nlu/x.yml, line 12)" in another."""
    if earlier.file != example.file:
        return f" ({earlier.file}, line {earlier.line})" if earlier.line else f" ({earlier.file})"
    return f" (line {earlier.line})" if earlier.line else ""


# --- Check 5: domain intents and NLU intents match -----------------------------------------------------
def check_intents_have_examples(project: Project) -> Iterator[Problem]:
    examples = list(nlu_examples(project))
    # A retrieval intent (faq) has examples when any of its questions (faq/<key>) has.
    with_examples = {retrieval_parts(example.intent)[0] for example in examples}
    with_examples |= {example.intent for example in examples}
    known = domain_intents(project)
    for intent, line in known.items():
        if intent not in with_examples and intent not in INTENTS_WITHOUT_EXAMPLES:
            yield Problem(
                DOMAIN,
                line,
                f"the intent {intent} has no examples; add some under '- intent: {intent}' "
                f"{where_to_add(project, NLU)} (or remove it here if it is no longer needed)",
            )
    for intent, (file, line) in nlu_intents(project).items():
        base, key = retrieval_parts(intent)
        if key is not None and base not in known:
            yield Problem(
                file,
                line,
                f"the question {intent} belongs to the retrieval intent {base}, which is not listed "
                f"under intents in {DOMAIN}{_suggestion(base, known)}; add '- {base}' there or correct "
                "the spelling here",
            )
        elif key is None and intent not in known:
            yield Problem(
                file,
                line,
                f"the intent {intent} is not listed under intents in {DOMAIN}{_suggestion(intent, known)}; "
                "add it there or correct the spelling here",
            )


# --- Check 5b: every question (faq/<key>) has its answer (utter_faq/<key>), and every answer its examples ---
def check_retrieval_answers(project: Project) -> Iterator[Problem]:
    responses = all_responses(project)
    questions = nlu_intents(project)
    for intent, (file, line) in questions.items():
        answer = f"{RESPONSE_PREFIX}{intent}"
        if retrieval_parts(intent)[1] is not None and answer not in responses:
            yield Problem(
                file,
                line,
                f"the question {intent} has examples but no answer; add a response {answer} under "
                "responses: in this file",
            )
    for answer, (file, line) in responses.items():
        intent = answer.removeprefix(RESPONSE_PREFIX)
        is_question = answer.startswith(RESPONSE_PREFIX) and retrieval_parts(intent)[1] is not None
        if is_question and intent not in questions:
            here = "in this file" if is_data_file(file) else f"in a file in {DATA_DIR}/{NLU}/"
            yield Problem(
                file,
                line,
                f"the answer {answer} has no examples, so it can never be given; add examples under "
                f"'- intent: {intent}' (under nlu:) {here}{_suggestion(intent, questions)}, "
                "or remove the answer if the question was dropped",
            )


# --- Check 6: stories and rules use only known intents and actions -------------------------------------
def check_references(kind: str) -> Callable[[Project], Iterator[Problem]]:
    """The check for stories or rules (`kind`), so broken rules do not stop the stories being checked."""

    def run(project: Project) -> Iterator[Problem]:
        intents = set(domain_intents(project)) | BUILT_IN_INTENTS
        actions = domain_actions(project)
        for step in steps(project, kind):
            known = intents if step.kind == "intent" else actions
            if not isinstance(step.name, str) or not step.name.strip():
                yield Problem(
                    step.file, step.line, f"{step.block} has an {step.kind} step with no name; fill it in"
                )
            elif step.kind == "intent" and retrieval_parts(step.name)[1] is not None:
                base = retrieval_parts(step.name)[0]
                yield Problem(
                    step.file,
                    step.line,
                    f"{step.block} uses the question '{step.name}'; stories and rules name only the "
                    f"retrieval intent, '- intent: {base}' (the answer is picked by '- action: "
                    f"{RESPONSE_PREFIX}{base}')",
                )
            elif step.name not in known:
                yield Problem(step.file, step.line, _unknown_name_message(step, known))

    return run


def _unknown_name_message(step: Step, known: set[str]) -> str:
    if step.kind == "intent":
        what = f"the intent '{step.name}', which is not listed under intents in {DOMAIN}"
    elif str(step.name).startswith(RESPONSE_PREFIX):
        what = f"the response '{step.name}', which is not under responses in {DOMAIN} or in {DATA_DIR}/"
    else:
        what = f"the action '{step.name}', which is not a response or listed under actions in {DOMAIN}"
    return f"{step.block} uses {what}{_suggestion(step.name, known)}; correct the spelling or add it there"
