"""House rules for the assistant's words: every myth is answered, linked to its clip and tested in a story;
answers are short and sourced; links are web links. These read the data files staff edit. The rules that
`prevent-assistant validate` enforces are checked by running it on the real data; the tests below cover the
rest."""

from __future__ import annotations

import re

import pytest

from conftest import MYTHS, ROOT, load_yaml
from prevent_assistant.evaluation import load_examples
from prevent_assistant.staff.validation import validate
from prevent_assistant.staff.validation.content_rules import myth_names
from prevent_assistant.staff.validation.project import load_project

SUPPORT_LINE = "0800 011 3764"


def all_texts(responses: dict) -> list[tuple[str, str]]:
    return [(name, v["text"]) for name, variations in responses.items() for v in variations if "text" in v]


def rules_by_intent() -> dict[str, list[str]]:
    """Intent -> the actions its rule runs (rules that start with a user intent)."""
    found = {}
    for rule in load_yaml("data/rules.yml")["rules"]:
        steps = rule["steps"]
        if "intent" in steps[0]:
            found[steps[0]["intent"]] = [s["action"] for s in steps[1:] if "action" in s]
    return found


def clip_variations(responses: dict) -> dict[str, dict]:
    """Myth -> its variation of utter_clip (selected by the `myth` slot)."""
    found = {}
    for variation in responses["utter_clip"]:
        for condition in variation.get("condition", []):
            if condition["name"] == "myth":
                found[condition["value"]] = variation
    return found


def test_the_content_passes_the_validator():
    """Every myth has an answer, a complete clip entry whose http(s) link matches its text, and a story;
    responses are at most 60 words; factual answers end with a source link (see staff/validation)."""
    problems = validate(ROOT, rasa=False)
    assert problems == [], "prevent-assistant validate found:\n" + "\n".join(str(p) for p in problems)


@pytest.mark.parametrize("myth", MYTHS)
def test_every_myth_is_checked_by_the_validator_and_has_its_rule_and_clip(myth, responses):
    """The validator checks each myth it finds in domain.yml, but not its rule or its clip's `myth` label."""
    project, _ = load_project(ROOT)
    assert myth in myth_names(project), f"the validator does not see myth_{myth} in domain.yml"
    assert rules_by_intent()[f"myth_{myth}"] == [f"utter_myth_{myth}", "utter_clip"]
    assert clip_variations(responses)[myth]["custom"]["clip"]["myth"] == myth


def test_all_links_are_web_links(responses):
    for name, text in all_texts(responses):
        for match in re.findall(r"\b[a-z][a-z0-9+.-]*://\S+", text):
            assert match.startswith(("https://", "http://")), f"{name}: {match}"


def test_emergency_puts_999_first_then_the_support_line(responses):
    actions = rules_by_intent()["emergency"]
    first = responses[actions[0]]
    assert all(v["text"].lstrip().startswith("If anyone is in immediate danger") for v in first)
    assert all("999" in v["text"] for v in first)
    assert any(SUPPORT_LINE in v["text"] for v in responses[actions[1]])


@pytest.mark.parametrize("response", ["utter_support_line", "utter_how_to_refer"])
def test_support_line_replies_give_number_hours_and_anonymity(response, responses):
    text = responses[response][0]["text"]
    assert SUPPORT_LINE in text
    assert "9am to 5pm every day" in text
    assert "don't have to give your name" in text


def test_the_support_line_number_is_the_verified_one(responses):
    """Guard against a mistyped number anywhere: every 0800 number is one of the two verified lines."""
    for name, text in all_texts(responses):
        for number in re.findall(r"0800[\d ]{6,9}\d", text):
            assert number.strip() in {SUPPORT_LINE, "0800 789 321"}, f"{name}: unknown number {number}"


def test_held_out_data_is_not_in_training_data():
    train = {text.lower() for text, _ in load_examples(ROOT / "data" / "nlu.yml")}
    # Small talk ("thank you so much", "bye for now") has too few wordings to keep apart; see the file header.
    small_talk = {"greet", "goodbye", "thank", "affirm", "deny"}
    holdout = load_examples(ROOT / "tests" / "nlu_holdout.yml")
    leaked = [text for text, intent in holdout if text.lower() in train and intent not in small_talk]
    assert leaked == []


def test_training_data_meets_the_minimum_counts():
    counts: dict[str, int] = {}
    for _, intent in load_examples(ROOT / "data" / "nlu.yml"):
        counts[intent] = counts.get(intent, 0) + 1
    for intent, count in counts.items():
        minimum = 40 if intent.startswith("myth_") else 25
        assert count >= minimum, f"{intent} has {count} examples; at least {minimum} needed"


def test_tel_links_dial_the_number_they_show(responses):
    """A tel: link must dial exactly the number in its label (a mismatch would send people elsewhere)."""
    found = 0
    for name, text in all_texts(responses):
        for label, target in re.findall(r"\[([^\]]+)\]\((tel:[^)]+)\)", text):
            found += 1
            digits = re.sub(r"\D", "", label)
            assert target == "tel:+44" + digits.removeprefix("0"), f"{name}: {label} -> {target}"
    assert found >= 3, "the support line should be a tel: link wherever it is offered"
