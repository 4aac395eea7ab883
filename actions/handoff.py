"""Hand a conversation to the ACT Early Support Line with a reference the call handler can look up."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from prevent_assistant.db.handoffs import create_handoff
from prevent_assistant.redaction import redact
from prevent_assistant.settings import handoff_transcript_turns

logger = logging.getLogger(__name__)
WORDING_FILE = Path(__file__).resolve().parent.parent / "content" / "handoff.yml"


@lru_cache(maxsize=1)
def wording() -> dict[str, str]:
    return yaml.safe_load(WORDING_FILE.read_text(encoding="utf-8"))


def topics(tracker: Tracker) -> list[str]:
    """Intents of the person's messages in this conversation, each once, in the order they came up."""
    seen: dict[str, None] = {}
    for event in tracker.events:
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if intent:
                seen.setdefault(intent, None)
    return list(seen)


def transcript(tracker: Tracker, turns: int) -> list[dict[str, str]]:
    """The last `turns` messages; the person's are redacted (the bot's words hold no one's data)."""
    speakers = {"user": "person", "bot": "assistant"}
    recent = [e for e in tracker.events if e.get("event") in speakers and e.get("text")][-turns:]
    return [
        {
            "speaker": speakers[e["event"]],
            "text": redact(e["text"]) if e["event"] == "user" else e["text"],
        }
        for e in recent
    ]


class ActionHandoff(Action):
    """Record the handoff and give the person its reference.

    Runs after a reply that already gave the number, hours and 999, so a database failure costs only the
    reference: the person hears that they can call without one, and the failure goes to the log.
    """

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            handoff = create_handoff(
                conversation_id=tracker.sender_id,
                channel=tracker.get_latest_input_channel(),
                topics=topics(tracker),
                transcript=transcript(tracker, handoff_transcript_turns()),
            )
        except (SQLAlchemyError, RuntimeError):
            logger.exception("Could not store a handoff; the person was given the number without a reference")
            dispatcher.utter_message(text=wording()["without_reference"])
            return []
        logger.info("Handoff %s created", handoff.reference)
        dispatcher.utter_message(
            text=wording()["with_reference"].format(reference=handoff.reference),
            json_message={"handoff": {"reference": handoff.reference}},
        )
        return []
