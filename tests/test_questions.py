"""The trained model on the questions people ask beyond the myths, in-process: the right topic, an honest
"no checked answer" for what no answer covers, other languages recognised, and no English message taken
for a foreign one. The figures for the whole held-out files are in tests/test_model.py."""

from __future__ import annotations

import pytest

from conftest import ROOT
from prevent_assistant.evaluation import full_intent, load_examples
from prevent_assistant.names import LANGUAGE_ENTITY, OTHER_LANGUAGE_INTENT

HOLDOUT = ROOT / "tests" / "nlu_holdout.yml"
PUBLIC_WORDING = ROOT / "tests" / "nlu_public_wording.yml"
# The issue's own examples of questions that used to get an answer to a different question.
ISSUE_EXAMPLES = [
    ("how do I find out if I was ever referred", "faq/find_out_if_referred"),
    ("is my data safe with you", "about_assistant"),
    ("what's the Prevent duty", "faq/prevent_duty"),
    ("where is the Prevent training", "faq/training"),
    ("can I get my file deleted", "faq/records"),
    ("how do I complain about a referral", "faq/complaints"),
    ("what are the signs of radicalisation", "faq/signs"),
]
OTHER_LANGUAGES = [
    ("Mae gen i gwestiwn am Prevent, ydych chi'n siarad Cymraeg?", "cy"),
    ("مجھے اپنے بیٹے کے بارے میں فکر ہے، میں کس سے بات کروں؟", "ur"),
    ("Martwię się o mojego syna, z kim mogę porozmawiać?", "pl"),
    ("ਮੈਨੂੰ ਆਪਣੇ ਪੁੱਤਰ ਦੀ ਚਿੰਤਾ ਹੈ, ਮੈਂ ਕਿਸ ਨਾਲ ਗੱਲ ਕਰਾਂ?", "pa"),
    ("আমি আমার ছেলের জন্য চিন্তিত, কার সাথে কথা বলব?", "bn"),
    ("أنا قلق على ابني، مع من يمكنني التحدث؟", "ar"),
    ("Waxaan ka walwalsanahay wiilkayga, yaan la hadli karaa?", "so"),
]


@pytest.fixture(scope="module")
def parse(agent, event_loop_runner):
    def parsed(text: str) -> dict:
        return event_loop_runner.run_until_complete(agent.parse_message(text))

    return parsed


@pytest.mark.parametrize(("message", "topic"), ISSUE_EXAMPLES)
def test_the_issues_examples_get_their_own_topic(message, topic, parse):
    result = parse(message)
    assert full_intent(result, result["intent"]["name"]) == topic


@pytest.mark.parametrize(("message", "language"), OTHER_LANGUAGES)
def test_other_languages_are_recognised_with_their_language(message, language, parse):
    result = parse(message)
    assert result["intent"]["name"] == OTHER_LANGUAGE_INTENT
    assert [e["value"] for e in result["entities"] if e["entity"] == LANGUAGE_ENTITY] == [language]


def test_no_english_held_out_message_is_taken_for_another_language(parse):
    english = [
        text
        for path in (HOLDOUT, PUBLIC_WORDING)
        for text, intent in load_examples(path)
        if intent != OTHER_LANGUAGE_INTENT
    ]
    foreign = [text for text in english if parse(text)["intent"]["name"] == OTHER_LANGUAGE_INTENT]
    assert foreign == []


def test_held_out_questions_without_a_checked_answer_are_never_given_a_myth_answer(parse):
    """An unanswerable question about Prevent may get the clarifying question, never a myth's answer."""
    unanswerable = [text for text, intent in load_examples(HOLDOUT) if intent == "not_covered"]
    myths = [text for text in unanswerable if parse(text)["intent"]["name"].startswith("myth_")]
    assert myths == []


def test_every_topic_answers_most_of_its_held_out_questions(parse):
    """Per topic, not just on average: a topic the model cannot find is a topic nobody gets."""
    by_topic: dict[str, list[bool]] = {}
    for text, intent in load_examples(HOLDOUT):
        if intent.startswith("faq/"):
            result = parse(text)
            by_topic.setdefault(intent, []).append(full_intent(result, result["intent"]["name"]) == intent)
    weak = {
        topic: f"{sum(hits)}/{len(hits)}" for topic, hits in by_topic.items() if sum(hits) < 0.75 * len(hits)
    }
    assert len(by_topic) >= 15 and weak == {}


def test_each_topic_button_of_the_clarifying_question_is_read_as_its_own_topic(parse):
    """A question topic's button sends its label as text (actions/clarify.py), so the label must lead back."""
    from actions.topics import load_topics

    labels = {intent: label for intent, label in load_topics().labels.items() if intent.startswith("faq/")}
    misread = {}
    for topic, label in labels.items():
        result = parse(label)
        if full_intent(result, result["intent"]["name"]) != topic:
            misread[topic] = label
    assert len(labels) >= 15 and misread == {}
