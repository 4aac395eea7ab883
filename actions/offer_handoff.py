"""Show the person what the call handler would see, and ask before anything is kept for them."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff_summary import (
    DONT_SHARE_PAYLOAD,
    OFFER_ACTION,
    SHARE_PAYLOAD,
    before_offer,
    summary_text,
    topics,
    transcript,
    wording,
)
from prevent_assistant.settings import handoff_transcript_turns


class ActionOfferHandoff(Action):
    """Runs after a reply that already gave the number, hours and 999, so the person has what they need
    whatever they choose. Nothing is stored here: the summary is worked out, shown and forgotten. A yes
    (the share button, or typed) lets action_handoff store that same summary; a no gets a plain reply
    (utter_handoff_not_shared); anything else is answered as usual and stores nothing
    (data/rules/support.yml).
    """

    def name(self) -> str:
        return OFFER_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = wording()
        events = before_offer(tracker)
        summary = summary_text(topics(events), transcript(events, handoff_transcript_turns()))
        dispatcher.utter_message(text=text["offer_intro"])
        dispatcher.utter_message(text=summary)
        buttons = [
            {"title": text["share_button"], "payload": SHARE_PAYLOAD},
            {"title": text["dont_share_button"], "payload": DONT_SHARE_PAYLOAD},
        ]
        dispatcher.utter_message(text=text["offer_question"], buttons=buttons)
        return []
