"""action_clarify with rasa-sdk Trackers: the buttons it offers and the words it uses."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clarify import ActionClarify
from actions.topics import load_topics


def tracker_for(ranking: list[tuple[str, float]], text: str = "something unclear") -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": "nlu_fallback", "confidence": 0.55},
        "intent_ranking": [{"name": name, "confidence": c} for name, c in ranking],
        "entities": [],
    }
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest},
    ]
    return Tracker("tester", {}, latest, events, False, None, {}, "action_listen")


def run_clarify(tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionClarify().run(dispatcher, tracker, domain={}))
    return events, dispatcher.messages


def payloads(message: dict) -> list[str]:
    return [b["payload"] for b in message["buttons"]]


def test_offers_the_likely_topics_in_ranking_order_then_a_person():
    tracker = tracker_for(
        [
            ("nlu_fallback", 0.55),
            ("myth_spying", 0.41),
            ("greet", 0.30),  # not a topic: never offered
            ("myth_faith", 0.12),
            ("what_is_channel", 0.08),
            ("what_is_prevent", 0.05),
        ]
    )
    events, messages = run_clarify(tracker)
    assert events == []
    assert len(messages) == 1
    assert messages[0]["text"] == load_topics().prompt
    assert payloads(messages[0]) == ["/myth_spying", "/myth_faith", "/what_is_channel", "/request_human"]
    labels = load_topics().labels
    assert [b["title"] for b in messages[0]["buttons"]][0] == labels["myth_spying"]


def test_a_person_is_offered_once_and_last_even_when_ranked_first():
    tracker = tracker_for([("request_human", 0.5), ("how_to_refer", 0.3), ("myth_views", 0.1)])
    _, messages = run_clarify(tracker)
    assert payloads(messages[0]) == ["/how_to_refer", "/myth_views", "/request_human"]


@pytest.mark.parametrize("ranking", [[], [("greet", 0.4), ("deny", 0.3)]])
def test_without_a_usable_ranking_offers_the_main_topics_in_file_order(ranking):
    _, messages = run_clarify(tracker_for(ranking, text=""))
    topics = load_topics()
    expected = [f"/{i}" for i in list(topics.labels)[: topics.max_suggestions]] + ["/request_human"]
    assert payloads(messages[0]) == expected


def test_a_question_topic_is_offered_by_its_own_question_in_the_classifiers_order():
    """`faq` in the ranking stands for its topics; their buttons send the label, a question the model reads
    as that topic (tests/test_questions.py checks each label does)."""
    tracker = tracker_for([("nlu_fallback", 0.5), ("faq", 0.2), ("myth_spying", 0.1)])
    tracker.latest_message["response_selector"] = {
        "faq": {"ranking": [{"intent_response_key": "faq/training"}, {"intent_response_key": "faq/signs"}]}
    }
    _, messages = run_clarify(tracker)
    labels = load_topics().labels
    assert payloads(messages[0]) == [
        labels["faq/training"],
        labels["faq/signs"],
        "/myth_spying",
        "/request_human",
    ]
