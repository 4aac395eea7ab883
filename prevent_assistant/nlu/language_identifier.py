"""Rasa glue for prevent_assistant.language: a message in another language gets the intent
`other_language` and a `language` entity, whatever the English classifiers made of it."""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from prevent_assistant.language import ENGLISH, guess, identify
from prevent_assistant.names import LANGUAGE_ENTITY, OTHER_LANGUAGE_INTENT
from prevent_assistant.nlu import StatelessComponent


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageIdentifier(StatelessComponent, IntentClassifier):
    """Runs last in the pipeline, after FallbackClassifier, so its decision is final.

    The English model was trained on English (plus some foreign examples, which is how it learns to say
    `other_language` for short messages the identifier cannot judge alone); a Welsh or Urdu message
    would otherwise get whichever English answer its letters happen to resemble. A message is answered
    as another language only when a language other than English can be named for it.
    """

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            code = identify(text)
            predicted = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if code == ENGLISH and predicted == OTHER_LANGUAGE_INTENT:
                # The classifier saw a foreign message too short for the identifier to judge alone; if CLD2
                # cannot name its language either, it may be gibberish: ask, rather than say "English only".
                code = guess(text)
                if code == ENGLISH:
                    message.set(INTENT, {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                                         PREDICTED_CONFIDENCE_KEY: 1.0}, True)  # fmt: skip
                    continue
            elif code == ENGLISH:
                continue
            message.set(INTENT, {INTENT_NAME_KEY: OTHER_LANGUAGE_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}, True)
            message.set(ENTITIES, [*message.get(ENTITIES, []), _language_entity(code, text)], True)
        return messages


def _language_entity(code: str, text: str) -> dict[str, Any]:
    return {
        ENTITY_ATTRIBUTE_TYPE: LANGUAGE_ENTITY,
        ENTITY_ATTRIBUTE_VALUE: code,
        ENTITY_ATTRIBUTE_START: 0,
        ENTITY_ATTRIBUTE_END: len(text),
        EXTRACTOR: LanguageIdentifier.__name__,
    }
