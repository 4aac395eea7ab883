"""Hand a conversation to the ACT Early Support Line with a reference the call handler can look up."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff_summary import before_offer, consented, topics, transcript, wording
from prevent_assistant.db import DatabaseError
from prevent_assistant.db.handoffs import create_handoff
from prevent_assistant.names import HANDOFF_ACTION
from prevent_assistant.settings import handoff_transcript_turns

logger = logging.getLogger(__name__)

__all__ = ["ActionHandoff", "wording"]


class ActionHandoff(Action):
    """Record the handoff the person agreed to share, and give them its reference.

    Runs only after the offer (action_offer_handoff) and the person's yes, and stores the summary the offer
    showed them. It checks the yes itself rather than trusting the prediction: without one nothing is
    stored. The number, hours and 999 came before the offer, so a database failure costs only the
    reference: the person hears that they can call without one, and the failure goes to the log by its
    error class alone (SQLAlchemy's message would carry the SQL and the person's words).
    """

    def name(self) -> str:
        return HANDOFF_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not consented(tracker):
            logger.warning("action_handoff ran without a yes straight after the offer; nothing was stored")
            dispatcher.utter_message(text=wording()["without_reference"])
            return []
        events = before_offer(tracker)
        try:
            handoff = create_handoff(
                conversation_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel(),
                topics=topics(events),
                transcript=transcript(events, handoff_transcript_turns()),
            )
        except (DatabaseError, RuntimeError) as error:
            logger.error(
                "Could not store a handoff (%s); the person was given the number without a reference",
                type(error).__name__,
            )
            dispatcher.utter_message(text=wording()["without_reference"])
            return []
        logger.info("Handoff %s created", handoff.reference)
        dispatcher.utter_message(
            text=wording()["with_reference"].format(reference=handoff.reference),
            json_message={"handoff": {"reference": handoff.reference}},
        )
        return []
