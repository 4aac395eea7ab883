"""Tell people who runs the assistant, what it keeps, for how long and who can see it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from prevent_assistant.content import load_content
from prevent_assistant.settings import describe_duration, handoff_transcript_turns, organisation, retention

DELETE_PAYLOAD = "/delete_conversation"


class ActionAboutAssistant(Action):
    """The wording is in content/assistant.yml; the facts in it (who, how long, how much a handoff keeps)
    come from settings.yml, so the answer cannot drift from what the system really does."""

    def name(self) -> str:
        return "action_about_assistant"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        wording = load_content("assistant")
        facts = {
            "organisation": organisation(),
            "retention": describe_duration(retention()),
            "turns": handoff_transcript_turns(),
        }
        *first, last = [paragraph.format(**facts) for paragraph in wording["about"]]
        for paragraph in first:
            dispatcher.utter_message(text=paragraph)
        button = {"title": wording["delete_button"], "payload": DELETE_PAYLOAD}
        dispatcher.utter_message(text=last, buttons=[button])
        return []
