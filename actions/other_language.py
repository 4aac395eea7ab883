"""Reply to a message in another language: English only for now, the support line, and 999."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from prevent_assistant.content import load_content
from prevent_assistant.names import LANGUAGE_ENTITY


class ActionOtherLanguage(Action):
    """One fixed message per language from content/languages.yml, chosen by the `language` entity that the
    language identifier (prevent_assistant/nlu/language_identifier.py) adds; English when there is no
    translation, e.g. when the classifier rather than the identifier recognised a foreign message."""

    def name(self) -> str:
        return "action_other_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        content = load_content("languages")
        code = next(tracker.get_latest_entity_values(LANGUAGE_ENTITY), None)
        translation = content["languages"].get(code) if code else None
        if translation:
            dispatcher.utter_message(text=translation["text"], json_message={"language": code})
        else:
            dispatcher.utter_message(text=content["english"])
        return []
