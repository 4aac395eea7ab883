"""Delete this conversation: its stored events and any handoff it made, when the person asks."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from prevent_assistant.content import load_content
from prevent_assistant.db import DatabaseError
from prevent_assistant.db.conversations import delete_conversation
from prevent_assistant.names import DELETE_CONVERSATION_ACTION
from prevent_assistant.settings import describe_duration, retention

logger = logging.getLogger(__name__)


class ActionDeleteConversation(Action):
    """Deletes the rows before saying so, so the person is only told "done" when it is done.

    Rasa saves the tracker after this turn, which would write the whole conversation back from memory;
    RedactingSQLTrackerStore sees this action in the tracker and deletes again instead of saving (see
    prevent_assistant/tracker_store.py). The reply carries `conversation_deleted` so the widget can clear
    its own copy in the browser too.
    """

    def name(self) -> str:
        return DELETE_CONVERSATION_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        wording = load_content("assistant")
        try:
            deleted = delete_conversation(tracker.sender_id)
        except DatabaseError as error:
            logger.error("Could not delete a conversation (%s)", type(error).__name__)
            text = wording["could_not_delete"].format(retention=describe_duration(retention()))
            dispatcher.utter_message(text=text)
            return []
        logger.info("Deleted a conversation: %d event(s), %d handoff(s)", deleted.events, deleted.handoffs)
        text = wording["deleted_with_handoff"] if deleted.handoffs else wording["deleted"]
        dispatcher.utter_message(text=text, json_message={"conversation_deleted": True})
        return []
