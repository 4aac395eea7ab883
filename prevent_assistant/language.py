"""Which language a message is written in, offline, so the assistant can say in that language that it
answers in English only for now (and give the support line and 999) instead of guessing at an answer.

Identification is Google's Compact Language Detector 2 (pycld2): its tables are compiled into the library,
so nothing is downloaded at run time, it knows 80+ languages including Welsh, Urdu, Punjabi, Bengali,
Polish, Arabic and Somali, and it takes microseconds and about 2 MB. Short chat messages are its weak spot,
so on its own it decides only when a message has enough letters and the result is reliable and clear-cut;
a message in doubt is treated as English, because the English pipeline has a polite answer for anything
it does not understand. For a short message the intent classifier has already judged foreign ("Beth yw
Prevent?"), `guess` asks CLD2 for its best effort instead, to pick the reply's language.
Measured on every training and held-out example: no English message is taken for another language.
"""

from __future__ import annotations

import re

import pycld2

ENGLISH = "en"
# CLD2 reads some English text-speak as Scots ("cn i get in prevent 4 sayin i h8 the govt"); "un" is unknown.
NOT_FOREIGN = frozenset({ENGLISH, "sco", "un"})
# Words any language uses for this subject in English (names of the programme and the support line); left
# in, they pull a short Welsh or Polish question towards English.
_ENGLISH_NAMES = re.compile(r"\b(?:prevent|channel|act early|support line|contest)\b", re.IGNORECASE)
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|[\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Below these, CLD2 alone takes English slang for Indonesian or Malay ("nah im good", "compulsory??"); other
# scripts settle it in a word or two.
MIN_LATIN_LETTERS = 12
MIN_LATIN_WORDS = 3  # "% islamist referrals 24/25" reads as Estonian to CLD2
MIN_OTHER_LETTERS = 4
# The share of the text CLD2 must give to the language (its `percent`) for the result to count.
MIN_PERCENT = 80


def identify(text: str) -> str:
    """The ISO 639-1 code of the message's language; ENGLISH when it is English or cannot be told."""
    cleaned = _cleaned(text)
    letters = _LETTER.findall(cleaned)
    latin = sum(1 for letter in letters if _LATIN.match(letter))
    other_script = len(letters) - latin >= MIN_OTHER_LETTERS
    words = sum(1 for word in cleaned.split() if _LETTER.search(word))
    if not other_script and (latin < MIN_LATIN_LETTERS or words < MIN_LATIN_WORDS):
        return ENGLISH
    reliable, code, percent = _detect(cleaned, best_effort=False)
    if not reliable or percent < MIN_PERCENT or code in NOT_FOREIGN:
        return ENGLISH
    return code


def guess(text: str) -> str:
    """CLD2's best guess for a message already known not to be English; ENGLISH if it has none."""
    _, code, _ = _detect(_cleaned(text), best_effort=True)
    return ENGLISH if code in NOT_FOREIGN else code


def _cleaned(text: str) -> str:
    return _NOISE.sub(" ", _ENGLISH_NAMES.sub(" ", text or ""))


def _detect(text: str, best_effort: bool) -> tuple[bool, str, int]:
    """(reliable, ISO 639-1 code, percent of the text) for CLD2's top language."""
    try:
        reliable, _, details = pycld2.detect(text, isPlainText=True, bestEffort=best_effort)
    except pycld2.error:  # text CLD2 cannot read as UTF-8: nothing to judge
        return False, "un", 0
    _, code, percent, _ = details[0]
    return reliable, code.split("-")[0], percent
