"""What the assistant does when it is not confident about a message."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.topics import load_topics

HANDOFF_INTENT = "request_human"


def likely_topics(tracker: Tracker) -> list[tuple[str, str]]:
    """Up to `max_suggestions` (intent, label) pairs, most likely first, then always a person to talk to."""
    topics = load_topics()
    ranking = tracker.latest_message.get("intent_ranking") or []
    ranked = [r["name"] for r in ranking if r.get("name") in topics.labels]
    # With no usable ranking (empty or unreadable text), offer topics in the order staff listed them.
    candidates = ranked or list(topics.labels)
    chosen = [i for i in candidates if i != HANDOFF_INTENT][: topics.max_suggestions]
    if HANDOFF_INTENT in topics.labels:
        chosen.append(HANDOFF_INTENT)
    return [(intent, topics.labels[intent]) for intent in chosen]


class ActionClarify(Action):
    """Ask which of the likely topics the person meant, instead of answering a guess.

    Buttons follow the classifier's ranking so the right answer is usually one tap away; the last button is
    always a person, so nobody is left with nothing to do. A second unclear message in a row is handed to
    the phone line by a rule (data/rules.yml), which works even if this server is down.
    """

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        buttons = [{"title": label, "payload": f"/{intent}"} for intent, label in likely_topics(tracker)]
        dispatcher.utter_message(text=load_topics().prompt, buttons=buttons)
        return []
