"""`prevent-assistant validate`: each house rule is broken in a small project the way a member of staff
might break it, and the report must name the right file and line and say what is wrong.

The projects here are synthetic (a few intents, one myth, one FAQ topic), so the tests do not depend on
the real content, which changes often; tests/test_content.py runs the validator on the real data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from prevent_assistant.readability import plain_text, reading_ease
from prevent_assistant.staff.validation import Problem, validate

# --- Synthetic projects -------------------------------------------------------------------------------
DOMAIN = """\
version: "3.1"

intents:
  - greet
  - myth_spying
  - what_is_prevent
  - faq

slots:
  myth:
    type: categorical
    values: [spying]
    influence_conversation: false
    mappings:
      - {type: from_intent, intent: myth_spying, value: spying}

actions:
  - action_handoff

responses:
  utter_greet:
    - text: Hello. What would you like to know about Prevent?

  utter_myth_spying:
    - text: >-
        Prevent is not spying. It is there to help people early, before they come to harm.
        Source: [actearly.uk](https://actearly.uk/contact/)

  utter_clip:
    - condition: [{type: slot, name: myth, value: spying}]
      text: "Watch the short clip: https://youtu.be/78eYdX7q5Fw"
      custom:
        clip:
          myth: spying
          title: Prevent is not spying
          url: https://youtu.be/78eYdX7q5Fw
          description: A short film about Prevent and spying.
          summary: Prevent is there to help people, not to spy on them.
    - text: "Watch the short clips: https://youtu.be/78eYdX7q5Fw"

  utter_what_is_prevent:
    - text: >-
        Prevent helps people who may be drawn into terrorism. It steps in early, before any crime.
        Source: [gov.uk](https://www.gov.uk/government/publications/prevent-duty-guidance)

session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: false
"""

CONFIG = """\
recipe: default.v1
assistant_id: validation-test
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: DIETClassifier
    epochs: 1
  - name: ResponseSelector
    epochs: 1
policies:
  - name: RulePolicy
"""

BASIC_EXAMPLES = """\
  - intent: greet
    examples: |
      - hello
      - hi there
  - intent: myth_spying
    examples: |
      - is prevent spying on us
      - are teachers spies for the police
  - intent: what_is_prevent
    examples: |
      - what is prevent
      - what does prevent do
"""

TRAINING_EXAMPLES = """\
  - intent: faq/training
    examples: |
      - where can i do prevent training
      - is there an online prevent course
"""

TRAINING_ANSWER = """\
  utter_faq/training:
    - text: >-
        You can take the free Prevent course online. It takes about an hour.
        Source: [gov.uk](https://www.gov.uk/guidance/prevent-duty-training)
"""

RULES = """\
  - rule: Greet
    steps:
      - intent: greet
      - action: utter_greet

  - rule: Spying myth
    steps:
      - intent: myth_spying
      - action: utter_myth_spying
      - action: utter_clip

  - rule: What is Prevent
    steps:
      - intent: what_is_prevent
      - action: utter_what_is_prevent

  - rule: Questions people ask
    steps:
      - intent: faq
      - action: utter_faq
"""

STORIES = """\
  - story: Greets, then asks about spying
    steps:
      - intent: greet
      - action: utter_greet
      - intent: myth_spying
      - action: utter_myth_spying
      - action: utter_clip
"""

VERSION = 'version: "3.1"\n\n'

# The layout the project uses: one folder per kind of data, one file per FAQ topic.
IN_FOLDERS = {
    "domain.yml": DOMAIN,
    "config.yml": CONFIG,
    "data/nlu/basics.yml": f"{VERSION}nlu:\n{BASIC_EXAMPLES}",
    "data/nlu/faq/training.yml": f"{VERSION}nlu:\n{TRAINING_EXAMPLES}\nresponses:\n{TRAINING_ANSWER}",
    "data/rules/main.yml": f"{VERSION}rules:\n{RULES}",
    "data/stories/main.yml": f"{VERSION}stories:\n{STORIES}",
}
# The same data in one file, as Rasa also allows.
IN_ONE_FILE = {
    "domain.yml": DOMAIN,
    "config.yml": CONFIG,
    "data/all.yml": (
        f"{VERSION}nlu:\n{BASIC_EXAMPLES}{TRAINING_EXAMPLES}\nresponses:\n{TRAINING_ANSWER}\n"
        f"rules:\n{RULES}\nstories:\n{STORIES}"
    ),
}


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small, valid project laid out in folders, safe to break."""
    return write_project(tmp_path, IN_FOLDERS)


def replace(path: Path, old: str, new: str) -> None:
    """Edit a file as staff would; `old` must occur exactly once so the test breaks what it means to."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"expected {old!r} once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, text: str, occurrence: int = 1) -> int:
    """1-based line of the `occurrence`-th line containing `text`."""
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line]
    assert len(lines) >= occurrence, f"{text!r} not found {occurrence} time(s) in {path.name}"
    return lines[occurrence - 1]


def messages_at(problems: list[Problem], file: str, line: int | None) -> list[str]:
    return [p.message for p in problems if p.file == file and p.line == line]


# --- Layouts ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("files", [IN_FOLDERS, IN_ONE_FILE], ids=["in folders", "in one file"])
def test_a_valid_project_has_no_problems_whatever_its_layout(tmp_path, files):
    """Rasa's own validation included: the domain lists faq, and the rule for faq runs utter_faq."""
    assert validate(write_project(tmp_path, files), rasa=True) == []


def test_problems_print_as_one_line_with_file_and_line():
    assert str(Problem("data/nlu/faq/training.yml", 57, "fix it")) == "data/nlu/faq/training.yml:57: fix it"
    assert str(Problem("domain.yml", None, "fix it")) == "domain.yml: fix it"
    assert str(Problem("", None, "Rasa: fix it")) == "Rasa: fix it"


def test_missing_examples_or_rules_are_named_plainly(project):
    (project / "data" / "rules" / "main.yml").unlink()
    (project / "domain.yml").unlink()

    problems = validate(project, rasa=True)

    assert [str(p) for p in problems] == [
        "data/: no file in data/ holds rules (a file starting with 'rules:'); the assistant cannot be "
        "trained without them: restore the files in data/rules/ from the last good version",
        "domain.yml: this file is missing; restore it from the last good version",
    ]


def test_a_data_file_with_no_training_data_or_a_misspelt_section_is_reported(project):
    (project / "data" / "nlu" / "notes.yml").write_text("# to do\n", encoding="utf-8")
    stories = project / "data" / "stories" / "main.yml"
    replace(stories, "stories:\n", "storys:\n")

    problems = validate(project, rasa=False)

    assert [(p.file, p.line) for p in problems] == [("data/nlu/notes.yml", 1), ("data/stories/main.yml", 3)]
    assert "this file holds no training data, so Rasa ignores it" in problems[0].message
    assert "Rasa does not read a section called 'storys' (did you mean stories?)" in problems[1].message


# --- 1. YAML syntax ---------------------------------------------------------------------------------------
def test_bad_indentation_is_reported_at_its_line_and_skips_checks_that_need_the_file(project):
    topic = project / "data" / "nlu" / "faq" / "training.yml"
    replace(topic, "    examples: |\n", "     examples: |\n")

    problems = validate(project, rasa=True)

    # Only the syntax error: the checks that need examples or answers (and Rasa) did not run on a broken
    # file, so nothing it holds is reported as missing.
    assert [(p.file, p.line) for p in problems] == [
        ("data/nlu/faq/training.yml", line_of(topic, "     examples: |"))
    ]
    assert "fix the YAML" in problems[0].message
    assert "indentation" in problems[0].message


def test_a_section_written_twice_is_reported_at_the_second(tmp_path):
    files = dict(IN_ONE_FILE)
    files["data/all.yml"] += f"\nnlu:\n{TRAINING_EXAMPLES}"
    data = write_project(tmp_path, files) / "data" / "all.yml"

    problems = validate(tmp_path, rasa=True)

    assert [str(p) for p in problems] == [
        f"data/all.yml:{line_of(data, 'nlu:', 2)}: 'nlu:' appears twice at the same level; keep one and put "
        "everything under it (the second one starts on this line)"
    ]


# --- 2. Myths: answer, clip, story -----------------------------------------------------------------------
def test_a_deleted_myth_answer_is_reported_at_the_myth_intent(project):
    domain = project / "domain.yml"
    replace(domain, DOMAIN[DOMAIN.index("  utter_myth_spying:") : DOMAIN.index("  utter_clip:")], "")

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "domain.yml", line_of(domain, "- myth_spying"))
    assert "myth_spying has no answer" in message
    assert "add a response utter_myth_spying" in message


def test_a_clip_link_without_https_is_reported_at_the_link(project):
    domain = project / "domain.yml"
    replace(domain, "          url: https://youtu.be/78eYdX7q5Fw\n", "          url: youtu.be/abc\n")

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "domain.yml", line_of(domain, "url: youtu.be/abc"))
    assert "the clip link for the myth 'spying' is 'youtu.be/abc'" in message
    assert "must start with https://" in message
    # The text still carries the old link, so the mismatch is reported on the text line as well.
    text_line = line_of(domain, 'text: "Watch the short clip:')
    assert any(
        "does not contain its link youtu.be/abc" in m for m in messages_at(problems, "domain.yml", text_line)
    )


def test_a_myth_missing_from_every_story_is_reported_at_the_myth(project):
    replace(project / "data" / "stories" / "main.yml", "intent: myth_spying", "intent: what_is_prevent")
    replace(
        project / "data" / "stories" / "main.yml",
        "action: utter_myth_spying",
        "action: utter_what_is_prevent",
    )
    replace(project / "data" / "stories" / "main.yml", "      - action: utter_clip\n", "")

    problems = validate(project, rasa=False)

    assert messages_at(problems, "domain.yml", line_of(project / "domain.yml", "- myth_spying")) == [
        "no story uses the myth intent myth_spying; add a story in which someone asks about it (in the "
        "'stories:' section of data/stories/main.yml), so the assistant learns to answer it in the middle "
        "of a conversation"
    ]


# --- 3. Short, sourced, readable answers -------------------------------------------------------------------
def test_a_70_word_answer_is_reported_at_its_text(project):
    domain = project / "domain.yml"
    long_answer = " ".join(["Channel offers early support to people at risk."] * 8)  # 8 x 8 words
    replace(
        domain,
        "Prevent helps people who may be drawn into terrorism. It steps in early, before any crime.",
        f"{long_answer} Help is always free.",  # + 4 words + the Source line's 2
    )

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "domain.yml", line_of(domain, "utter_what_is_prevent:") + 1)
    assert "the response utter_what_is_prevent is 70 words long" in message
    assert "at most 60 words" in message


def test_a_long_answer_in_a_data_file_is_reported_there(project):
    topic = project / "data" / "nlu" / "faq" / "training.yml"
    replace(topic, "It takes about an hour.", " ".join(["It takes about an hour."] * 12))

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "data/nlu/faq/training.yml", line_of(topic, "- text: >-"))
    assert message.startswith("the response utter_faq/training is 70 words long")


def test_an_answer_without_its_source_line_is_reported(project):
    domain = project / "domain.yml"
    replace(
        domain,
        "\n        Source: [gov.uk](https://www.gov.uk/government/publications/prevent-duty-guidance)",
        "",
    )

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "domain.yml", line_of(domain, "utter_what_is_prevent:") + 1)
    assert "the answer utter_what_is_prevent does not end with its source" in message
    assert "Source: [actearly.uk](https://actearly.uk/contact/)" in message


def test_a_retrieval_answer_is_a_factual_answer_and_needs_its_source(project):
    topic = project / "data" / "nlu" / "faq" / "training.yml"
    replace(topic, "\n        Source: [gov.uk](https://www.gov.uk/guidance/prevent-duty-training)", "")

    problems = validate(project, rasa=False)

    assert messages_at(problems, "data/nlu/faq/training.yml", line_of(topic, "- text: >-")) == [
        "the answer utter_faq/training does not end with its source; add a last line in exactly this form: "
        "Source: [actearly.uk](https://actearly.uk/contact/)"
    ]


HARD = "Prevent is about safeguarding people who are at risk of being drawn into terrorism."  # 47.6


def test_a_factual_answer_that_is_hard_to_read_is_reported(project):
    topic = project / "data" / "nlu" / "faq" / "training.yml"
    replace(topic, "You can take the free Prevent course online. It takes about an hour.", HARD)
    # Not a factual answer (greet is small talk), so its reading ease is not checked.
    replace(project / "domain.yml", "Hello. What would you like to know about Prevent?", HARD)

    problems = validate(project, rasa=False)

    assert [str(p) for p in problems] == [
        f"data/nlu/faq/training.yml:{line_of(topic, '- text: >-')}: the answer utter_faq/training reads "
        "at 47 on the Flesch reading-ease scale; aim for 60 or more (shorter sentences, everyday words)"
    ]


def test_answers_that_read_at_60_or_more_pass():
    """The synthetic answers pass the check in test_a_valid_project_has_no_problems_whatever_its_layout."""
    answer = "You can take the free Prevent course online. It takes about an hour.\nSource: [gov.uk](https://gov.uk)"
    assert reading_ease(plain_text(answer)) >= 60


# --- prevent_assistant.readability -----------------------------------------------------------------------
def test_plain_text_keeps_only_the_words_a_person_reads():
    answer = (
        "Call [0800 011 3764](tel:+448000113764) or see https://actearly.uk for help. Source: cited below.\n"
        "Source: [actearly.uk](https://actearly.uk/contact/)"
    )
    assert plain_text(answer) == "Call 0800 011 3764 or see for help. Source: cited below."
    # Folded (`>-`) answers put the Source line on the same line as the text.
    assert plain_text("It is free. Source: [gov.uk](https://www.gov.uk/)") == "It is free."


def test_reading_ease_is_the_flesch_score():
    # 6 words, 1 sentence, 6 syllables: 206.835 - 1.015 x 6 - 84.6 x 1.
    assert reading_ease("The cat sat on the mat.") == pytest.approx(116.145)
    # 14 words, 1 sentence, 24 syllables (safe-guard-ing, ter-ror-ism): 206.835 - 1.015 x 14 - 84.6 x 24/14.
    assert reading_ease(HARD) == pytest.approx(47.596, abs=0.001)


# --- 4. Duplicate examples ----------------------------------------------------------------------------------
def test_an_example_under_two_intents_is_reported_at_the_second(project):
    basics = project / "data" / "nlu" / "basics.yml"
    first = line_of(basics, "- is prevent spying on us")
    # Same words, different case and spacing: still the same example to the model.
    replace(
        basics,
        "      - what does prevent do\n",
        "      - what does prevent do\n      - IS  Prevent spying on us\n",
    )

    problems = validate(project, rasa=False)

    assert messages_at(problems, "data/nlu/basics.yml", line_of(basics, "IS  Prevent")) == [
        f"the example 'IS  Prevent spying on us' is listed under both myth_spying (line {first}) and "
        "what_is_prevent; keep it under one intent"
    ]


def test_an_example_under_two_intents_in_different_files_names_both_places(project):
    basics, topic = project / "data" / "nlu" / "basics.yml", project / "data" / "nlu" / "faq" / "training.yml"
    replace(
        topic,
        "      - is there an online prevent course\n",
        "      - is there an online prevent course\n      - what is prevent\n",
    )

    problems = validate(project, rasa=False)

    assert messages_at(problems, "data/nlu/faq/training.yml", line_of(topic, "- what is prevent")) == [
        "the example 'what is prevent' is listed under both what_is_prevent (data/nlu/basics.yml, line "
        f"{line_of(basics, '- what is prevent')}) and faq/training; keep it under one intent"
    ]


# --- 5. Intents and examples match; every question has its answer ------------------------------------------
def test_intents_without_examples_or_missing_from_the_domain_are_reported(project):
    domain, basics = project / "domain.yml", project / "data" / "nlu" / "basics.yml"
    replace(domain, "  - faq\n", "  - faq\n  - ask_about_funding\n")
    replace(basics, "  - intent: greet\n", "  - intent: greeet\n")

    problems = validate(project, rasa=False)

    [unused] = messages_at(problems, "domain.yml", line_of(domain, "- ask_about_funding"))
    assert unused == (
        "the intent ask_about_funding has no examples; add some under '- intent: ask_about_funding' in the "
        "'nlu:' section of a file in data/nlu/ (or remove it here if it is no longer needed)"
    )
    [typo] = messages_at(problems, "data/nlu/basics.yml", line_of(basics, "- intent: greeet"))
    assert "the intent greeet is not listed under intents in domain.yml (did you mean greet?)" in typo


def test_faq_missing_from_the_domain_is_reported_at_the_question(project):
    topic = project / "data" / "nlu" / "faq" / "training.yml"
    replace(project / "domain.yml", "  - faq\n", "")

    problems = validate(project, rasa=False)

    assert messages_at(problems, "data/nlu/faq/training.yml", line_of(topic, "- intent: faq/training")) == [
        "the question faq/training belongs to the retrieval intent faq, which is not listed under intents in "
        "domain.yml; add '- faq' there or correct the spelling here"
    ]


NO_ANSWER = (
    "the question faq/training has examples but no answer; add a response utter_faq/training under "
    "responses: in this file"
)


def test_a_question_without_its_answer_is_reported(project):
    topic = project / "data" / "nlu" / "faq" / "training.yml"
    replace(topic, f"\nresponses:\n{TRAINING_ANSWER}", "")

    problems = validate(project, rasa=False)

    assert [str(p) for p in problems] == [
        f"data/nlu/faq/training.yml:{line_of(topic, '- intent:')}: {NO_ANSWER}"
    ]


def test_an_answer_without_examples_is_reported(project):
    topic = project / "data" / "nlu" / "faq" / "training.yml"
    replace(topic, "  utter_faq/training:\n", "  utter_faq/trainin:\n")

    problems = validate(project, rasa=False)

    assert [str(p) for p in problems] == [
        f"data/nlu/faq/training.yml:{line_of(topic, '- intent:')}: {NO_ANSWER}",
        f"data/nlu/faq/training.yml:{line_of(topic, 'utter_faq/trainin:')}: the answer utter_faq/trainin has "
        "no examples, so it can never be given; add examples under '- intent: faq/trainin' (under nlu:) in "
        "this file (did you mean faq/training?), or remove the answer if the question was dropped",
    ]


# --- 6. Stories and rules use known names ---------------------------------------------------------------
def test_a_story_with_a_misspelt_intent_is_reported(project):
    stories = project / "data" / "stories" / "main.yml"
    replace(stories, "      - intent: myth_spying\n", "      - intent: myth_spyng\n")

    problems = validate(project, rasa=False)

    [message] = messages_at(problems, "data/stories/main.yml", line_of(stories, "intent: myth_spyng"))
    assert message.startswith("the story 'Greets, then asks about spying' uses the intent 'myth_spyng'")
    assert "(did you mean myth_spying?)" in message


def test_a_rule_with_an_unknown_action_or_a_full_question_name_is_reported(project):
    rules = project / "data" / "rules" / "main.yml"
    replace(rules, "      - action: utter_greet\n", "      - action: action_hand_off\n")
    replace(rules, "      - intent: faq\n", "      - intent: faq/training\n")

    problems = validate(project, rasa=False)

    [unknown] = messages_at(problems, "data/rules/main.yml", line_of(rules, "action: action_hand_off"))
    assert "the rule 'Greet' uses the action 'action_hand_off'" in unknown
    assert "(did you mean action_handoff?)" in unknown
    assert messages_at(problems, "data/rules/main.yml", line_of(rules, "intent: faq/training")) == [
        "the rule 'Questions people ask' uses the question 'faq/training'; stories and rules name only the "
        "retrieval intent, '- intent: faq' (the answer is picked by '- action: utter_faq')"
    ]


def test_checkpoints_or_steps_and_slot_steps_are_understood(project):
    stories = project / "data" / "stories" / "main.yml"
    story = """
  - story: Asks about spying or Prevent, using every kind of step
    steps:
      - checkpoint: start
      - slot_was_set:
          - myth: spying
      - active_loop: null
      - or:
          - intent: myth_spying
          - intent: what_is_prevnt
      - action: utter_clip
      - acton: utter_greet
"""
    stories.write_text(stories.read_text(encoding="utf-8") + story, encoding="utf-8")

    problems = validate(project, rasa=False)

    assert [(p.file, p.line) for p in problems] == [
        ("data/stories/main.yml", line_of(stories, "intent: what_is_prevnt")),
        ("data/stories/main.yml", line_of(stories, "acton: utter_greet")),
    ]
    assert "uses the intent 'what_is_prevnt'" in problems[0].message
    assert "has a step Rasa does not understand" in problems[1].message


# --- 7. Rasa's own validation --------------------------------------------------------------------------
def test_rasa_warnings_are_included_at_the_place_they_are_about(project):
    domain = project / "domain.yml"
    replace(
        domain,
        "  utter_greet:\n",
        "  utter_funding:\n    - text: Prevent is funded by the Home Office.\n\n  utter_greet:\n",
    )
    # Rasa names the file of a story with a full question name (our own check reports it too).
    stories = project / "data" / "stories" / "main.yml"
    replace(
        stories, "      - action: utter_clip\n", "      - action: utter_clip\n      - intent: faq/training\n"
    )

    problems = [p for p in validate(project, rasa=True) if p.message.startswith("Rasa: ")]

    assert [(p.file, p.line) for p in problems] == [
        ("data/stories/main.yml", None),
        ("domain.yml", line_of(domain, "utter_funding:")),
    ]
    assert "Issue found in 'data/stories/main.yml'" in problems[0].message
    assert problems[1].message == "Rasa: The utterance 'utter_funding' is not used in any story or rule."


def test_odd_layouts_are_reported_once_not_raised(project):
    """Valid YAML in the wrong shape must not crash the checker, nor report every name in it as missing."""
    (project / "data" / "rules" / "main.yml").write_text(
        'version: "3.1"\nrules:\n  - Greet\n  - rule: Bye\n', "utf-8"
    )
    domain = project / "domain.yml"
    replace(domain, "intents:\n  - greet\n", "intents: greet\n  - greet\n")
    (project / "data" / "nlu" / "faq" / "training.yml").write_text("nlu:\n  intent: faq/training\n", "utf-8")

    problems = validate(project, rasa=True)

    assert [(p.file, p.line) for p in problems] == [
        ("data/nlu/faq/training.yml", 1),
        ("data/rules/main.yml", 3),
        ("data/rules/main.yml", 4),
        ("domain.yml", line_of(domain, "intents: greet")),
    ]
    assert "'nlu' should hold a list of '- ' lines" in problems[0].message
    assert "has no name; start it with '- rule: <what happens>'" in problems[1].message
    assert "the rule 'Bye' has no steps" in problems[2].message
    assert "'intents' should hold a list of '- ' lines" in problems[3].message
