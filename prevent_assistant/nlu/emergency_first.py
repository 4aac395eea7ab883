"""Rasa glue for one safety rule: a message most likely about immediate danger is treated as an emergency,
however unsure the classifier is, so 999 always comes first.

FallbackClassifier turns an unsure message into a clarifying question; for most topics that is the honest
choice, but asking "did you mean...?" of someone describing an attack wastes the minute that matters. A
false alarm costs little: the reply is "if anyone is in immediate danger, call 999", then the support line.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from prevent_assistant.names import EMERGENCY_INTENT


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EmergencyFirst(GraphComponent, IntentClassifier):
    """Runs straight after FallbackClassifier, which keeps the classifier's ranking under nlu_fallback."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmergencyFirst:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME:
                continue
            ranking = message.get(INTENT_RANKING_KEY) or []
            likeliest = next(
                (r for r in ranking if r[INTENT_NAME_KEY] != DEFAULT_NLU_FALLBACK_INTENT_NAME), None
            )
            if likeliest and likeliest[INTENT_NAME_KEY] == EMERGENCY_INTENT:
                message.set(INTENT, likeliest, add_to_output=True)
        return messages
