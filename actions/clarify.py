"""What the assistant does when it is not confident about a message."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.topics import load_topics
from prevent_assistant.names import HANDOFF_INTENT, RETRIEVAL_DELIMITER


def ranked_candidates(message: dict[str, Any]) -> list[str]:
    """The classifier's intents, most likely first, with a retrieval intent (faq) replaced by its topics in
    the order the classifier ranked them (faq/training, faq/signs, ...)."""
    selectors = message.get("response_selector") or {}
    candidates: list[str] = []
    for entry in message.get("intent_ranking") or []:
        name = entry.get("name")
        topics = (selectors.get(name) or {}).get("ranking") or []
        candidates += [t["intent_response_key"] for t in topics if t.get("intent_response_key")] or [name]
    return candidates


def likely_topics(tracker: Tracker) -> list[tuple[str, str]]:
    """Up to `max_suggestions` (intent, label) pairs, most likely first, then always a person to talk to."""
    topics = load_topics()
    ranked = [name for name in ranked_candidates(tracker.latest_message) if name in topics.labels]
    # With no usable ranking (empty or unreadable text), offer topics in the order staff listed them.
    candidates = ranked or list(topics.labels)
    chosen = [i for i in candidates if i != HANDOFF_INTENT][: topics.max_suggestions]
    if HANDOFF_INTENT in topics.labels:
        chosen.append(HANDOFF_INTENT)
    return [(intent, topics.labels[intent]) for intent in chosen]


def payload(intent: str, label: str) -> str:
    """`/intent` for a plain intent. A question topic cannot be chosen that way (Rasa reads "/faq/training"
    as text, and its answer needs the topic picked from words), so its button sends its label, a question
    written to be read the same way."""
    return label if RETRIEVAL_DELIMITER in intent else f"/{intent}"


class ActionClarify(Action):
    """Ask which of the likely topics the person meant, instead of answering a guess.

    Buttons follow the classifier's ranking so the right answer is usually one tap away; the last button is
    always a person, so nobody is left with nothing to do. A second unclear message in a row gets the
    support line from a rule (data/rules/safety.yml), which works even if this server is down.
    """

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        buttons = [
            {"title": label, "payload": payload(intent, label)} for intent, label in likely_topics(tracker)
        ]
        dispatcher.utter_message(text=load_topics().prompt, buttons=buttons)
        return []
