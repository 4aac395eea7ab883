"""The custom NLU components' decisions, on hand-made parses (the trained pipeline is tested in
test_questions.py and the conversation tests)."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from prevent_assistant.nlu import stored_model
from prevent_assistant.nlu.emergency_first import EmergencyFirst, emergency_wins
from prevent_assistant.nlu.language_identifier import LanguageIdentifier


def ranking(*pairs: tuple[str, float]) -> list[dict]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_emergency_wins_when_it_is_the_classifiers_first_choice_however_unsure():
    unsure = ranking(("nlu_fallback", 1.0), ("emergency", 0.12), ("how_to_refer", 0.11))
    assert emergency_wins(unsure, min_confidence=1.0)["name"] == "emergency"


def test_from_second_place_emergency_wins_only_above_its_minimum():
    second = ranking(("myth_spying", 0.4), ("emergency", 0.3))
    assert emergency_wins(second, min_confidence=1.0) is None
    assert emergency_wins(second, min_confidence=0.25)["name"] == "emergency"
    assert emergency_wins(ranking(("greet", 0.9)), min_confidence=0.0) is None


def test_the_component_turns_a_clarifying_question_into_999_first():
    message = Message({TEXT: "he has a knife", INTENT: {"name": "nlu_fallback", "confidence": 1.0}})
    message.set(INTENT_RANKING_KEY, ranking(("nlu_fallback", 1.0), ("emergency", 0.15), ("greet", 0.1)))
    [processed] = EmergencyFirst({}).process([message])
    assert processed.get(INTENT)["name"] == "emergency"


def test_a_foreign_message_becomes_other_language_with_its_language_and_gibberish_a_question():
    welsh = Message({TEXT: "Hoffwn i siarad â rhywun am fy mhryderon am fy mrawd", INTENT: {"name": "greet"}})
    gibberish = Message({TEXT: "qwop zarg", INTENT: {"name": "other_language", "confidence": 0.6}})
    english = Message({TEXT: "is prevent spying on us", INTENT: {"name": "myth_spying", "confidence": 0.9}})
    welsh, gibberish, english = LanguageIdentifier({}).process([welsh, gibberish, english])
    assert welsh.get(INTENT)["name"] == "other_language"
    assert [(e["entity"], e["value"]) for e in welsh.get("entities")] == [("language", "cy")]
    assert gibberish.get(INTENT)["name"] == "nlu_fallback"
    assert english.get(INTENT)["name"] == "myth_spying"


def test_the_topic_classifier_comes_back_from_its_arrays_exactly_as_trained(tmp_path):
    texts = ["is prevent spying on us", "prevent is only about muslims", "my son is being radicalised",
             "who runs this chat", "spying on mosques again", "why target one faith"]  # fmt: skip
    labels = ["myth_spying", "myth_faith", "worried", "faq/about", "myth_spying", "myth_faith"]
    config = {"C": 10.0, "random_state": 2606}
    trained = stored_model.new(config).fit(texts, labels)
    stored_model.save(trained, tmp_path / "model.npz")
    loaded = stored_model.load(tmp_path / "model.npz", config)
    unseen = ["are you spying", "do you only target muslims", "", "who made you"]
    assert list(loaded.classes_) == list(trained.classes_)
    assert np.array_equal(loaded.predict_proba(unseen), trained.predict_proba(unseen))


def test_a_stored_classifier_that_holds_objects_is_refused_not_unpickled(tmp_path):
    np.savez(tmp_path / "model.npz", words_terms=np.array([{"not": "text"}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        stored_model.load(tmp_path / "model.npz", {"C": 10.0, "random_state": 2606})
