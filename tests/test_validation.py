"""`prevent-assistant validate`: each house rule is broken in a copy of the real data the way a member of
staff might break it, and the report must name the right file and line and say what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from prevent_assistant.staff.validation import Problem, validate

# Everything `validate` reads, Rasa's own validation included.
PROJECT_FILES = ["domain.yml", "config.yml"]
PROJECT_DIRS = ["data", "content"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the real project's data, safe to break."""
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def replace(path: Path, old: str, new: str) -> None:
    """Edit a file as staff would; `old` must occur exactly once so the test breaks what it means to."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"expected {old!r} once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, text: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line containing `text` (the data changes, so no fixed numbers)."""
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line]
    assert len(lines) >= occurrence, f"{text!r} not found {occurrence} time(s) in {path.name}"
    return lines[occurrence - 1]


def messages_at(problems: list[Problem], file: str, line: int | None) -> list[str]:
    return [p.message for p in problems if p.file == file and p.line == line]


def test_the_real_project_has_no_problems(project):
    assert validate(project, rasa=True) == []


def test_problems_print_as_one_line_with_file_and_line():
    assert str(Problem("data/nlu.yml", 57, "fix it")) == "data/nlu.yml:57: fix it"
    assert str(Problem("domain.yml", None, "fix it")) == "domain.yml: fix it"
    assert str(Problem("", None, "Rasa: fix it")) == "Rasa: fix it"


# --- 1. YAML syntax ---------------------------------------------------------------------------------------
def test_bad_indentation_is_reported_at_its_line_and_skips_checks_that_need_the_file(project):
    nlu = project / "data" / "nlu.yml"
    replace(nlu, "\n  - intent: myth_spying\n", "\n   - intent: myth_spying\n")

    problems = validate(project, rasa=True)

    # Only the syntax error: the intent checks that need data/nlu.yml (and Rasa) did not run on a broken file.
    assert [(p.file, p.line) for p in problems] == [("data/nlu.yml", line_of(nlu, "- intent: myth_spying"))]
    assert "fix the YAML" in problems[0].message
    assert "indentation" in problems[0].message


# --- 2. Myths: answer, clip, story -----------------------------------------------------------------------
def test_a_deleted_myth_answer_is_reported_at_the_myth_intent(project):
    domain = project / "domain.yml"
    text = domain.read_text(encoding="utf-8")
    start, end = text.index("  utter_myth_spying:"), text.index("  utter_myth_criminalisation:")
    domain.write_text(text[:start] + text[end:], encoding="utf-8")

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "domain.yml", line_of(domain, "- myth_spying"))
    assert "myth_spying has no answer" in message
    assert "add a response utter_myth_spying" in message


def test_a_clip_link_without_https_is_reported_at_the_link(project):
    domain = project / "domain.yml"
    replace(
        domain,
        "title: Prevent doesn't target one faith\n          url: https://youtu.be/78eYdX7q5Fw\n",
        "title: Prevent doesn't target one faith\n          url: youtu.be/abc\n",
    )

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "domain.yml", line_of(domain, "url: youtu.be/abc"))
    assert "the clip link for the myth 'faith' is 'youtu.be/abc'" in message
    assert "must start with https://" in message
    # The text still carries the old link, so the mismatch is reported on the text line as well.
    text_line = line_of(domain, 'Watch the short clip \\"Prevent doesn\'t target one faith\\"')
    assert any(
        "does not contain its link youtu.be/abc" in m for m in messages_at(problems, "domain.yml", text_line)
    )


def test_a_myth_missing_from_every_story_is_reported(project):
    stories = project / "data" / "stories.yml"
    text = stories.read_text(encoding="utf-8")
    stories.write_text(text.replace("intent: myth_ideology", "intent: myth_views"), encoding="utf-8")

    problems = validate(project, rasa=False)

    assert [m for m in messages_at(problems, "data/stories.yml", None) if "myth_ideology" in m] == [
        "no story uses the myth intent myth_ideology; add a story in which someone asks about it, "
        "so the assistant learns to answer it in the middle of a conversation"
    ]


# --- 3. Short, sourced answers ---------------------------------------------------------------------------
def test_a_70_word_answer_is_reported_at_its_text(project):
    domain = project / "domain.yml"
    old_text = domain.read_text(encoding="utf-8").split("  utter_what_is_channel:\n")[1].split("\n\n")[0]
    long_answer = " ".join(["Channel offers early support to people at risk."] * 8)  # 8 x 8 words
    source = "Source: [westminster.gov.uk](https://westminster.gov.uk/prevent/)"  # 2 words
    replace(domain, old_text, f"    - text: >-\n        {long_answer} Help is always free.\n        {source}")

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "domain.yml", line_of(domain, "utter_what_is_channel:") + 1)
    assert "the response utter_what_is_channel is 70 words long" in message
    assert "at most 60 words" in message


def test_an_answer_without_its_source_line_is_reported(project):
    domain = project / "domain.yml"
    replace(
        domain,
        "\n        Source: [westminster.gov.uk]"
        "(https://westminster.gov.uk/prevent/safeguarding-vulnerable-individuals/channel-referral-process)",
        "",
    )

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "domain.yml", line_of(domain, "utter_what_is_channel:") + 1)
    assert "the answer utter_what_is_channel does not end with its source" in message
    assert "Source: [actearly.uk](https://actearly.uk/contact/)" in message


# --- 4. Duplicate examples ----------------------------------------------------------------------------------
def test_an_example_under_two_intents_is_reported_at_the_second(project):
    nlu = project / "data" / "nlu.yml"
    first = line_of(nlu, "- intent: myth_spying") + 2
    original = nlu.read_text(encoding="utf-8").splitlines()[first - 1].strip().removeprefix("- ")
    # Same words, different case and spacing: still the same example to the model.
    copy = "  ".join(original.upper().split())
    replace(
        nlu,
        "  - intent: myth_views\n    examples: |\n",
        f"  - intent: myth_views\n    examples: |\n      - {copy}\n",
    )

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "data/nlu.yml", line_of(nlu, "- intent: myth_views") + 2)
    assert message == (
        f"the example '{copy}' is listed under both myth_spying (line {first}) and myth_views; "
        "keep it under one intent"
    )


# --- 5. Intents and examples match ---------------------------------------------------------------------
def test_intents_without_examples_or_missing_from_the_domain_are_reported(project):
    domain, nlu = project / "domain.yml", project / "data" / "nlu.yml"
    replace(domain, "  - emergency\n", "  - emergency\n  - ask_about_funding\n")
    replace(nlu, "  - intent: bot_challenge\n", "  - intent: bot_challange\n")

    problems = validate(project, rasa=False)

    [unused] = messages_at(problems, "domain.yml", line_of(domain, "- ask_about_funding"))
    assert "the intent ask_about_funding has no examples in data/nlu.yml" in unused
    [typo] = messages_at(problems, "data/nlu.yml", line_of(nlu, "- intent: bot_challange"))
    assert (
        "the intent bot_challange is not listed under intents in domain.yml (did you mean bot_challenge?)"
        in typo
    )


# --- 6. Stories and rules use known names ---------------------------------------------------------------
def test_a_story_with_a_misspelt_intent_is_reported(project):
    stories = project / "data" / "stories.yml"
    replace(stories, "      - intent: myth_spying\n", "      - intent: myth_spyng\n")

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "data/stories.yml", line_of(stories, "intent: myth_spyng"))
    assert message.startswith(
        "the story 'Student worried about spying, then records' uses the intent 'myth_spyng'"
    )
    assert "(did you mean myth_spying?)" in message


def test_a_rule_with_an_unknown_action_is_reported(project):
    rules = project / "data" / "rules.yml"
    replace(
        rules,
        "      - action: utter_support_line\n      - action: action_handoff\n",
        "      - action: utter_support_line\n      - action: action_hand_off\n",
    )

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "data/rules.yml", line_of(rules, "action: action_hand_off"))
    assert "the rule 'Wants a person' uses the action 'action_hand_off'" in message
    assert "(did you mean action_handoff?)" in message


def test_checkpoints_or_steps_and_slot_steps_are_understood(project):
    stories = project / "data" / "stories.yml"
    story = """
  - story: Asks about faith or views, using every kind of step
    steps:
      - checkpoint: start
      - slot_was_set:
          - myth: faith
      - active_loop: null
      - or:
          - intent: myth_faith
          - intent: myth_veiws
      - action: utter_clip
      - acton: utter_goodbye
"""
    stories.write_text(stories.read_text(encoding="utf-8") + story, encoding="utf-8")

    problems = validate(project, rasa=False)

    assert [(p.file, p.line) for p in problems] == [
        ("data/stories.yml", line_of(stories, "intent: myth_veiws")),
        ("data/stories.yml", line_of(stories, "acton: utter_goodbye")),
    ]
    assert "uses the intent 'myth_veiws'" in problems[0].message
    assert "has a step Rasa does not understand" in problems[1].message


# --- 7. Rasa's own validation --------------------------------------------------------------------------
def test_rasa_warnings_are_included_at_the_place_they_are_about(project):
    domain = project / "domain.yml"
    replace(
        domain,
        "  utter_offer_myths:\n",
        "  utter_funding:\n    - text: Prevent is funded by the Home Office.\n\n  utter_offer_myths:\n",
    )

    problems = validate(project, rasa=True)

    assert [str(p) for p in problems] == [
        f"domain.yml:{line_of(domain, 'utter_funding:')}: Rasa: The utterance 'utter_funding' is not used "
        "in any story or rule."
    ]


def test_odd_layouts_are_reported_once_not_raised(project):
    """Valid YAML in the wrong shape must not crash the checker, nor report every name in it as missing."""
    (project / "data" / "rules.yml").write_text('version: "3.1"\nrules:\n  - Greet\n  - rule: Bye\n', "utf-8")
    domain = project / "domain.yml"
    replace(domain, "intents:\n  - greet\n", "intents: greet\n  - greet\n")

    problems = validate(project, rasa=True)

    assert [(p.file, p.line) for p in problems] == [
        ("data/rules.yml", 3),
        ("data/rules.yml", 4),
        ("domain.yml", line_of(domain, "intents: greet")),
    ]
    assert "has no name; start it with '- rule: <what happens>'" in problems[0].message
    assert "the rule 'Bye' has no steps" in problems[1].message
    assert "'intents' should hold a list of '- ' lines" in problems[2].message
