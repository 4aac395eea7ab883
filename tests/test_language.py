"""Language identification on its own (prevent_assistant/language.py): no model, no server."""

from __future__ import annotations

import pytest

from conftest import ROOT
from prevent_assistant.evaluation import load_examples
from prevent_assistant.language import ENGLISH, guess, identify
from prevent_assistant.names import OTHER_LANGUAGE_INTENT

FILES = [ROOT / "data" / "nlu", ROOT / "tests" / "nlu_holdout.yml", ROOT / "tests" / "nlu_public_wording.yml"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hoffwn i siarad â rhywun am fy mhryderon am fy mrawd", "cy"),
        ("میرا بیٹا انٹرنیٹ پر انتہا پسند ویڈیوز دیکھ رہا ہے", "ur"),
        ("ਮੇਰਾ ਭਰਾ ਬਹੁਤ ਬਦਲ ਗਿਆ ਹੈ ਅਤੇ ਮੈਨੂੰ ਡਰ ਲੱਗਦਾ ਹੈ", "pa"),
        ("আমার ভাই অনলাইনে চরমপন্থী ভিডিও দেখে", "bn"),
        ("Mój syn ogląda w internecie skrajne filmy i boję się o niego", "pl"),
        ("ابني يشاهد مقاطع متطرفة على الإنترنت وأنا خائف عليه", "ar"),
        ("Wiilkaygu wuxuu daawadaa muuqaallo xagjir ah oo internetka ah", "so"),
    ],
)
def test_the_languages_the_issue_names_are_identified(text, code):
    assert identify(text) == code


@pytest.mark.parametrize(
    "text",
    ["hi", "ok", "nope", "wat iz prevnt", "ta x", "nah im good", "% islamist referrals 24/25", "", "   "],
)
def test_short_or_odd_english_stays_english(text):
    assert identify(text) == ENGLISH


def test_no_english_training_or_held_out_message_is_taken_for_another_language():
    english = [
        text for path in FILES for text, intent in load_examples(path) if intent != OTHER_LANGUAGE_INTENT
    ]
    assert len(english) > 2500
    assert [text for text in english if identify(text) != ENGLISH] == []


def test_a_short_foreign_question_gets_a_best_guess_only_when_asked():
    """Too short to decide alone; the classifier's `other_language` then asks for CLD2's best guess."""
    assert identify("Beth yw Prevent?") == ENGLISH
    assert guess("Beth yw Prevent?") == "cy"
    assert guess("qwop zarg") == ENGLISH
