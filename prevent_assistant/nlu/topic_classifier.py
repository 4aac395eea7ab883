"""One linear classifier for every intent, with each retrieval topic (faq/training) a class of its own.

Why not DIET and a ResponseSelector: on this project's data TF-IDF word and character n-grams with a
logistic regression are more accurate than DIET, with or without a ResponseSelector (docs/nlu-quality.md),
train in seconds rather than minutes, and need no TensorFlow to answer. Why its own features rather than
Rasa's CountVectorsFeaturizers: computed from the raw text (words of two letters or more, and character
2-5-grams inside word boundaries, punctuation included), they scored higher on both held-out files in
the same comparison run. Why one classifier: a
question that belongs to no topic should be unsure at the topic level, where FallbackClassifier can see
it, not only in a second model's ranking that nothing thresholds.

The training data keeps Rasa's retrieval-intent layout (examples `faq/<topic>`, answer `utter_faq/<topic>`
beside them), so a new topic is still one file. The output is what Rasa's ResponseSelector would produce:
intent `faq` with the topic's confidence, and the topic under `response_selector`, which the built-in
`utter_faq` action, `rasa test` and the review tools all read.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.constants import UTTER_PREFIX
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    RESPONSE_IDENTIFIER_DELIMITER,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.pipeline import Pipeline

from prevent_assistant.nlu import stored_model

logger = logging.getLogger(__name__)
MODEL_FILE = "topic_classifier.npz"
RESPONSES_FILE = "responses.json"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TopicClassifier(GraphComponent, IntentClassifier):
    """TF-IDF word 1-2-grams and character 2-5-grams, then one-vs-rest logistic regression (liblinear)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # C=10 and one-vs-rest liblinear were chosen by 5-fold cross-validation on the training data
        # (docs/nlu-quality.md); ranking_length is how many intents the clarifying question can offer from.
        return {"C": 10.0, "ranking_length": 10, "random_state": 2606}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self.model_storage = model_storage
        self.resource = resource
        self.model: Pipeline | None = None
        self.responses: dict[str, list[dict[str, Any]]] = {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TopicClassifier:
        return cls(config, model_storage, resource)

    # --- Training ---------------------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(INTENT) and (m.get(TEXT) or "").strip()]
        if not examples:
            return self.resource
        labels = [m.get(INTENT_RESPONSE_KEY) or m.get(INTENT) for m in examples]
        self.model = stored_model.new(self.config)
        self.model.fit([m.get(TEXT) for m in examples], labels)
        self.responses = training_data.responses
        self.persist()
        return self.resource

    def persist(self) -> None:
        if self.model is None:
            return
        with self.model_storage.write_to(self.resource) as directory:
            stored_model.save(self.model, directory / MODEL_FILE)
            (directory / RESPONSES_FILE).write_text(json.dumps(self.responses), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TopicClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                component.model = stored_model.load(directory / MODEL_FILE, component.config)
                component.responses = json.loads((directory / RESPONSES_FILE).read_text(encoding="utf-8"))
        except ValueError:
            logger.debug("No trained TopicClassifier in the model; it will predict nothing")
        return component

    # --- Prediction -------------------------------------------------------------------------------------
    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        # Empty or whitespace-only text has no n-grams: the classifier is then unsure, and FallbackClassifier
        # turns that into the clarifying question.
        probabilities = self.model.predict_proba([m.get(TEXT) or "" for m in messages])
        classes = [str(label) for label in self.model.classes_]
        for message, row in zip(messages, probabilities, strict=True):
            self._set_prediction(message, classes, row)
        return messages

    def _set_prediction(self, message: Message, classes: list[str], row: np.ndarray) -> None:
        # One-vs-rest probabilities do not sum to one; normalised, they read as Rasa's confidences do.
        confidences = row / row.sum() if row.sum() > 0 else row
        ranked = sorted(zip(classes, confidences, strict=True), key=lambda pair: -pair[1])
        intents: dict[str, float] = {}
        topics: dict[str, list[tuple[str, float]]] = {}
        for label, confidence in ranked:
            base, _, topic = label.partition(RESPONSE_IDENTIFIER_DELIMITER)
            intents.setdefault(base, float(confidence))  # a retrieval intent is as sure as its best topic
            if topic:
                topics.setdefault(base, []).append((label, float(confidence)))
        ranking = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: c} for name, c in intents.items()]
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking[: self.config["ranking_length"]], add_to_output=True)
        selectors: dict[str, Any] = {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: sorted(topics)}
        for base, chosen in topics.items():
            selectors[base] = self._selection(chosen)
        if topics:
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selectors, add_to_output=True)

    def _selection(self, ranked_topics: list[tuple[str, float]]) -> dict[str, Any]:
        """The ResponseSelector's output for one retrieval intent: the best topic and the ranking."""
        best, confidence = ranked_topics[0]
        answer = f"{UTTER_PREFIX}{best}"
        return {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                RESPONSE_SELECTOR_RESPONSES_KEY: self.responses.get(answer, []),
                PREDICTED_CONFIDENCE_KEY: confidence,
                INTENT_RESPONSE_KEY: best,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: answer,
            },
            RESPONSE_SELECTOR_RANKING_KEY: [
                {INTENT_RESPONSE_KEY: label, PREDICTED_CONFIDENCE_KEY: c}
                for label, c in ranked_topics[: self.config["ranking_length"]]
            ],
        }
