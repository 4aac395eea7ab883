"""House rules for the assistant's words: every myth is answered, linked to its clip and tested in a story;
answers are short and sourced; links are web links. These read the data files staff edit. The rules that
`prevent-assistant validate` enforces are checked by running it on the real data; the tests below cover the
rest."""

from __future__ import annotations

import re

import pytest

from conftest import MYTHS, ROOT, data_blocks, load_yaml
from prevent_assistant.evaluation import load_examples
from prevent_assistant.settings import organisation
from prevent_assistant.staff.validation import validate
from prevent_assistant.staff.validation.content_rules import myth_names
from prevent_assistant.staff.validation.project import load_project

SUPPORT_LINE = "0800 011 3764"
TRAINING = ROOT / "data" / "nlu"
HOLDOUTS = [ROOT / "tests" / "nlu_holdout.yml", ROOT / "tests" / "nlu_public_wording.yml"]
FAQ_PREFIX = "faq/"


def all_texts(responses: dict) -> list[tuple[str, str]]:
    return [(name, v["text"]) for name, variations in responses.items() for v in variations if "text" in v]


def rules_by_intent() -> dict[str, list[str]]:
    """Intent -> the actions its rule runs (rules that start with a user intent)."""
    found = {}
    for rule in data_blocks("rules"):
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


@pytest.mark.parametrize("holdout", HOLDOUTS, ids=lambda path: path.name)
def test_held_out_data_is_not_in_training_data(holdout):
    train = {" ".join(text.lower().split()) for text, _ in load_examples(TRAINING)}
    # Small talk ("thank you so much", "bye for now") has too few wordings to keep apart; see the file header.
    small_talk = {"greet", "goodbye", "thank", "affirm", "deny"}
    held_out = load_examples(holdout)
    leaked = [text for text, intent in held_out if " ".join(text.lower().split()) in train]
    assert [text for text in leaked if dict(held_out)[text] not in small_talk] == []


def test_training_data_meets_the_minimum_counts():
    counts: dict[str, int] = {}
    for _, intent in load_examples(TRAINING):
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


# --- Questions beyond the myths, honest unknowns, other languages ------------------------------------------
def faq_topics() -> set[str]:
    return {intent for _, intent in load_examples(TRAINING) if intent.startswith(FAQ_PREFIX)}


def test_every_question_topic_has_an_answer_a_conversation_test_and_held_out_examples(responses):
    tested = {
        step.get("intent")
        for story in load_yaml("tests/test_stories.yml")["stories"]
        for step in story["steps"]
    }
    held_out = {intent for _, intent in load_examples(HOLDOUTS[0])}
    topics = faq_topics()
    assert len(topics) >= 15
    for topic in sorted(topics):
        assert f"utter_{topic}" in responses, f"{topic} has no answer"
        assert topic in tested, f"{topic} has no conversation test in tests/test_stories.yml"
        assert topic in held_out, f"{topic} has no held-out examples in tests/nlu_holdout.yml"


def test_a_handoff_reference_is_made_only_for_a_worried_person_or_someone_asking_for_one():
    """In every rule, story and conversation test, the offer to share (action_offer_handoff) follows one of
    these intents, and action_handoff, which stores the handoff, comes only straight after the offer and a
    yes (affirm)."""
    allowed = {"how_to_refer", "request_human"}
    blocks = data_blocks("rules") + data_blocks("stories") + load_yaml("tests/test_stories.yml")["stories"]
    offers = handoffs = 0
    for block in blocks:
        name = block.get("rule") or block.get("story")
        steps = block["steps"]
        last_intent = None
        for index, step in enumerate(steps):
            last_intent = step.get("intent", last_intent)
            if step.get("action") == "action_offer_handoff" and last_intent is not None:
                offers += 1
                assert last_intent in allowed, f"{name}: offered after {last_intent}"
            if step.get("action") == "action_handoff":
                handoffs += 1
                consent = [s.get("action") or s.get("intent") for s in steps[max(index - 2, 0) : index]]
                assert consent == ["action_offer_handoff", "affirm"], f"{name}: stored without a yes"
    assert offers >= 3 and handoffs >= 3


def test_the_not_covered_reply_says_so_and_where_to_find_out(responses):
    text = responses["utter_not_covered"][0]["text"]
    assert text.startswith("I don't have a checked answer to that")
    assert SUPPORT_LINE in text and "gov.uk" in text


def test_other_languages_say_english_only_give_the_numbers_and_await_review():
    content = load_yaml("content/languages.yml")
    required = {"cy", "ur", "pa", "bn", "pl", "ar", "so"}
    assert required <= set(content["languages"])
    for code, entry in content["languages"].items():
        assert SUPPORT_LINE in entry["text"] and "999" in entry["text"], code
        assert entry["review"].startswith(("awaiting", "checked by")), code
    assert SUPPORT_LINE in content["english"] and "999" in content["english"]


def test_the_about_wording_takes_its_facts_from_settings():
    """Who runs it and how long things are kept must come from settings.yml, never be written in."""
    about = " ".join(load_yaml("content/assistant.yml")["about"])
    assert "{organisation}" in about and "{retention}" in about
    assert organisation() not in about
    assert not re.search(r"\b\d+\s*(?:days?|weeks?|hours?)\b", about)
