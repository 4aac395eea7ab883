"""Rasa glue for one safety rule: a message that may well be about immediate danger is treated as an
emergency, however unsure the classifier is and whatever else it might be, so 999 always comes first.

FallbackClassifier turns an unsure message into a clarifying question, and the classifier may rank
another topic first; for most topics that is the honest outcome, but asking "did you mean...?" of someone
describing an attack, or answering another question, wastes the minute that matters. A false alarm costs
little: "if anyone is in immediate danger, call 999", then the support line. So `emergency` wins when it
is the classifier's first choice at any confidence, or when its confidence reaches `min_confidence`
(tuned on a validation split of the training data: `python -m bench.nlu --tune`, docs/nlu-quality.md).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from prevent_assistant.names import EMERGENCY_INTENT
from prevent_assistant.nlu import StatelessComponent


def emergency_wins(ranking: list[dict[str, Any]], min_confidence: float) -> dict[str, Any] | None:
    """The ranking's emergency entry if the rule above makes it the answer, else None."""
    real = [entry for entry in ranking if entry[INTENT_NAME_KEY] != DEFAULT_NLU_FALLBACK_INTENT_NAME]
    emergency = next((entry for entry in real if entry[INTENT_NAME_KEY] == EMERGENCY_INTENT), None)
    if emergency is None:
        return None
    first = real[0] is emergency
    return emergency if first or emergency[PREDICTED_CONFIDENCE_KEY] >= min_confidence else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EmergencyFirst(StatelessComponent, IntentClassifier):
    """Runs straight after FallbackClassifier, which keeps the classifier's ranking under nlu_fallback."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_confidence": 1.0}  # by default only the classifier's first choice

    def process(self, messages: list[Message]) -> list[Message]:
        min_confidence = float(self.config["min_confidence"])
        for message in messages:
            emergency = emergency_wins(message.get(INTENT_RANKING_KEY) or [], min_confidence)
            if emergency is not None:
                message.set(INTENT, emergency, add_to_output=True)
        return messages
