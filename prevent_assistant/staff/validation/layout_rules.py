"""Layout inside the files: stories, rules, responses and examples written in a shape Rasa would skip or
reject (a missing name or '- ', a misspelt step key)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prevent_assistant.staff.validation.accessors import (
    blocks,
    nlu_blocks,
    raw_steps,
    responses_in,
)
from prevent_assistant.staff.validation.problem import Problem
from prevent_assistant.staff.validation.project import (
    BLOCK_TITLES,
    STEP_KEYS,
    YAML_ADVICE,
    Project,
    _as_list,
    _as_map,
    _item_line,
    _key_line,
)


# --- Layout inside the files: the slips that make Rasa skip or reject an entry ---------------------------
def check_block_layout(kind: str) -> Callable[[Project], Iterator[Problem]]:
    """Stories or rules (`kind`) without a name or steps, and steps of no known kind, in every file."""

    def run(project: Project) -> Iterator[Problem]:
        yield from _malformed_blocks(project, kind)
        yield from _unknown_steps(project, kind)

    return run


def _malformed_blocks(project: Project, kind: str) -> Iterator[Problem]:
    title = BLOCK_TITLES[kind]
    for file in project.data_files(kind):
        items = _as_list(project.doc(file).get(kind))
        for index, block in enumerate(items):
            line = _item_line(items, index)
            if not isinstance(block, Mapping) or not block.get(title):
                yield Problem(
                    file,
                    line,
                    f"this entry under {kind}: has no name; start it with '- {title}: <what happens>' "
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
    for file in project.response_files():
        responses = responses_in(project, file)
        for name, variations in responses.items():
            if not _as_list(variations) or not all(isinstance(v, Mapping) for v in variations):
                yield Problem(
                    file,
                    _key_line(responses, name),
                    f"the response {name} should be a list of variations, each starting with '- text:'; "
                    f"{YAML_ADVICE}",
                )


def check_example_layout(project: Project) -> Iterator[Problem]:
    """Examples must be one `examples: |` block (or Rasa's list of `- text:` entries)."""
    for file, block, line in nlu_blocks(project):
        examples = block.get("examples")
        as_list = _as_list(examples)
        well_formed = isinstance(examples, str) or (
            bool(as_list) and all(isinstance(_as_map(item).get("text"), str) for item in as_list)
        )
        if "intent" in block and not well_formed:
            yield Problem(
                file,
                line,
                f"the examples for {block['intent']} should come after 'examples: |', "
                "one '- example' per line",
            )


def _unknown_steps(project: Project, kind: str) -> Iterator[Problem]:
    """Steps that are none of Rasa's step kinds: usually a misspelt key such as `acton:`."""
    for file, label, block, block_line in blocks(project, kind):
        for step, line in raw_steps(block, block_line):
            if not isinstance(step, Mapping) or not any(key in step for key in STEP_KEYS):
                yield Problem(
                    file,
                    line,
                    f"{label} has a step Rasa does not understand; each step starts with one of "
                    f"{', '.join(key + ':' for key in STEP_KEYS)} (check the spelling)",
                )
