"""Replace personal data in a chat message with placeholders before the message is stored.

People who are worried about someone often type that person's name, their own phone number, an address or
a date of birth. Stored conversations must not keep them, so every stored message goes through
:func:`redact`. Detection is by rules, not a statistical model: no pretrained model can be downloaded where
this runs, and rules are predictable, fast and easy to audit. Structured data (emails, phone numbers,
postcodes, dates) is found with regular expressions; names and street addresses with a blank English spaCy
tokenizer and ``Matcher``, by context ("my son Tom", "Mr Smith", "a pupil called Adam") and from a lexicon
of common first names. Every word list is staff-editable data in ``nlp/redaction.yml``.

Rules run in a fixed order on a working copy of the message. Whatever a rule finds, and whatever must never
be redacted (the assistant's own phone numbers, "Channel", URLs, earlier placeholders), is blanked out of
that copy, so later, looser rules cannot match inside it and redacting twice changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from prevent_assistant.paths import PROJECT

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Token

DATA_PATH = PROJECT.nlp("redaction")
PLACEHOLDERS = ("name", "phone", "email", "postcode", "address", "date")
# Returned if redaction itself fails: storing nothing readable is safer than storing the message unredacted.
FAILED = "[redacted]"

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\[(?:" + "|".join(PLACEHOLDERS) + r")\]")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# A run of digits joined by single spaces, dots or hyphens, with an optional leading "+" and bracketed
# groups ("(0161)", "(0)"); whether it is a phone number is decided by counting its digits.
_DIGIT_RUN = re.compile(r"(?<![\w+])\+?(?:\(\s?\d{1,5}\s?\)|\d)(?:[ .\-]?(?:\(\s?\d{1,5}\s?\)|\d))*")
_MIN_PHONE_DIGITS = 10
# 03/05/2008, 3-5-08, 1.2.2010, 2008-05-03: checked for a real day and month before redacting.
_NUMERIC_DATE = re.compile(r"(?<![\d/.\-])(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})(?!\d|[/.\-]\d)")
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
# A two-digit year only with an apostrophe or at the end of a clause, so "3 May 15 people" is left alone.
_YEAR = r"(?:\d{4}|'\d{2}|\d{2}(?=\s*(?:[.,;:!?)]|$)))(?!\d)"
_WORD = re.compile(r"^[^\W\d_]+(?:['’][^\W\d_]+)*$")  # letters in any script, "O'Brien"
_HOUSE_NUMBER = r"^\d{1,4}[A-Za-z]?$"
# Punctuation allowed between a trigger and the name: "my name is: Tom", "my son, Tom", "Mr. Smith".
_SKIPPABLE = {
    "STRONG": {":", "-"},
    "CALLED": {":", "-"},
    "RELATION": {","},
    "TITLE": {"."},
    "TITLE_CAPITAL": {"."},
}


@dataclass(frozen=True)
class _Rules:
    """Everything built from the YAML once: compiled patterns, word sets and the spaCy objects."""

    nlp: Language
    matcher: Matcher
    protected: re.Pattern[str]
    reference_codes: tuple[re.Pattern[str], ...]
    allowed_numbers: frozenset[str]
    allowed_long_numbers: re.Pattern[str]
    full_dates: tuple[re.Pattern[str], ...]
    birth_dates: tuple[re.Pattern[str], ...]
    birth_words: re.Pattern[str]
    postcode: re.Pattern[str]
    first_names: frozenset[str]  # as written, capitalised: names without any context
    first_names_lower: frozenset[str]
    surnames: frozenset[str]  # lower case
    known_names: frozenset[str]  # lower case: first names and names that need context
    not_names: frozenset[str]  # lower case
    things_called: frozenset[str]
    not_street_words: frozenset[str]


def redact(text: str) -> str:
    """Return ``text`` with personal data replaced by ``[name]``, ``[phone]``, ``[email]``, ``[postcode]``,
    ``[address]`` or ``[date]``. Never raises: it runs on every stored message."""
    if not isinstance(text, str):
        return ""
    if not text.strip():
        return text
    try:
        return _redact(text, _rules())
    except Exception as error:  # a storage hook must not fail: withhold the message instead
        # Only the type: an exception's message could quote the personal data being redacted.
        logger.error("redaction failed (%s); message withheld", type(error).__name__)
        return FAILED


class _Draft:
    """The message being redacted: the spans found so far, and a working copy of the text (same length) in
    which found or protected text is blanked out with underscores."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.work = _HTML_TAG.sub(lambda m: " " * len(m.group()), text)
        self.spans: list[tuple[int, int, str]] = []

    def blank(self, start: int, end: int, label: str | None = None) -> None:
        self.work = self.work[:start] + "_" * (end - start) + self.work[end:]
        if label:
            self.spans.append((start, end, label))

    def render(self) -> str:
        parts, last = [], 0
        for start, end, label in sorted(self.spans):
            parts += [self.text[last:start], f"[{label}]"]
            last = end
        return "".join(parts) + self.text[last:]


def _redact(text: str, rules: _Rules) -> str:
    draft = _Draft(text)
    for match in _EMAIL.finditer(draft.work):
        draft.blank(*match.span(), "email")
    for pattern in (_URL, _PLACEHOLDER, rules.protected, rules.allowed_long_numbers, *rules.reference_codes):
        for match in pattern.finditer(draft.work):
            draft.blank(*match.span())
    _find_dates(draft, rules)
    for match in _DIGIT_RUN.finditer(draft.work):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= _MIN_PHONE_DIGITS and _national(digits) not in rules.allowed_numbers:
            draft.blank(*match.span(), "phone")
    for match in rules.postcode.finditer(draft.work):
        draft.blank(*match.span(), "postcode")
    _find_addresses_and_names(draft, rules)
    return draft.render()


def _national(digits: str) -> str:
    """'+44 800 011 3764' and '0800 011 3764' are the same number: compare in the national form."""
    for prefix in ("0044", "44"):
        if digits.startswith(prefix) and len(digits) >= len(prefix) + 9:
            rest = digits[len(prefix) :]
            return rest if rest.startswith("0") else "0" + rest
    return digits


def _find_dates(draft: _Draft, rules: _Rules) -> None:
    """Full dates anywhere; a day and month without a year only just after a word like "born" or "DOB"."""
    for pattern in rules.full_dates:
        for match in pattern.finditer(draft.work):
            draft.blank(*match.span(), "date")
    for match in _NUMERIC_DATE.finditer(draft.work):
        if _is_numeric_date(match.group(1), match.group(3), match.group(4)):
            draft.blank(*match.span(), "date")
    for pattern in rules.birth_dates:
        for match in pattern.finditer(draft.work):
            if rules.birth_words.search(draft.work[max(0, match.start() - 30) : match.start()]):
                draft.blank(*match.span(), "date")


def _is_numeric_date(first: str, second: str, third: str) -> bool:
    """03/05/2008 (day or month first), 2008-05-03; not "3/4/5" or "31/31/2020"."""
    a, b, c = int(first), int(second), int(third)
    if len(first) == 4:  # year first
        return len(third) <= 2 and 1 <= b <= 12 and 1 <= c <= 31
    if len(first) > 2 or len(third) not in (2, 4):
        return False
    return 1 <= a <= 31 and 1 <= b <= 31 and min(a, b) <= 12


def _find_addresses_and_names(draft: _Draft, rules: _Rules) -> None:
    """Street addresses first, then names by context, then capitalised names from the lexicon."""
    doc = rules.nlp.make_doc(draft.work)
    taken = [False] * len(doc)

    def take(start: int, end: int, label: str) -> None:
        if end > start and not any(taken[start:end]):
            taken[start:end] = [True] * (end - start)
            draft.blank(doc[start].idx, doc[end - 1].idx + len(doc[end - 1]), label)

    matches = [(doc.vocab.strings[key], start, end) for key, start, end in rules.matcher(doc)]
    addresses = [(s, e) for label, s, e in matches if label == "ADDRESS"]
    for start, end in sorted(addresses, key=lambda span: (span[0] - span[1], span[0])):  # longest first
        if end < len(doc) and doc[end].lower_ in rules.not_street_words:  # "a flat 5 minutes away"
            continue
        take(start, end, "address")
    for label, trigger, end in sorted((m for m in matches if m[0] != "ADDRESS"), key=lambda m: m[1]):
        if label == "CALLED" and _names_a_thing(doc, trigger, rules):
            continue
        if label == "RELATION" and doc[trigger].text.istitle():  # "Child Protection", "Student Services"
            continue
        start = _skip(doc, end, _SKIPPABLE[label])
        take(start, _name_end(doc, start, label, rules), "name")
    for token in doc:
        if token.text in rules.first_names:
            take(token.i, _name_end(doc, token.i, "LEXICON", rules), "name")


def _names_a_thing(doc: Doc, called: int, rules: _Rules) -> bool:
    """Is "called" about a thing ("it's called free speech", "a group called ...") rather than a person?"""
    i = called - 1
    while i >= 0 and doc[i].norm_ in {"is", "was", "'s", "be", "been", "are", "were"}:
        i -= 1
    return i >= 0 and doc[i].lower_ in rules.things_called


def _skip(doc: Doc, i: int, punctuation: set[str]) -> int:
    """Step over one punctuation mark between a trigger and a name ("my son, Tom", "Mr. Smith")."""
    return i + 1 if i < len(doc) and doc[i].text in punctuation else i


def _name_end(doc: Doc, i: int, context: str, rules: _Rules) -> int:
    """Where the name starting at token ``i`` ends (``i`` if there is none), given what came before it.

    After "my name is" any word is a name, and so is a second ("my name is sarah khan"). After "called"
    or a title, the first word may be lower case but a surname must be capitalised ("mr smith said"), or
    a listed surname after a lower-case first name ("mr john smith"). After a relation word the name must
    be capitalised or a known first name ("my son ahmed", but not "my son will"). A lexicon name on its
    own may be followed by a capitalised surname.
    """
    if i >= len(doc):
        return i
    first = doc[i]
    if context == "TITLE_CAPITAL" and not _capitalised(first):
        return i
    if context == "RELATION" and not _capitalised(first) and first.lower_ not in rules.first_names_lower:
        return i
    if context != "LEXICON" and not _is_name(first, rules, lower_ok=True):
        return i
    end = _hyphenated_end(doc, i + 1)
    if end < len(doc):
        second = doc[end]
        lower_first_name = not _capitalised(first) and first.lower_ in rules.first_names_lower
        if _is_name(second, rules, lower_ok=context == "STRONG", surname=True) or (
            lower_first_name and second.lower_ in rules.surnames
        ):
            end = _hyphenated_end(doc, end + 1)
    return end


def _hyphenated_end(doc: Doc, end: int) -> int:
    """Extend a name over "-Jane" in "Mary-Jane" (spaCy splits hyphenated words)."""
    joined = end + 1 < len(doc) and doc[end].text == "-" and not doc[end - 1].whitespace_
    if joined and not doc[end].whitespace_ and _WORD.match(doc[end + 1].text):
        return end + 2
    return end


def _capitalised(token: Token) -> bool:
    return token.text[:1].isupper()


def _is_name(token: Token, rules: _Rules, *, lower_ok: bool, surname: bool = False) -> bool:
    """Could this word be (part of) a name here? Stop words ("the", "is") are not, except capitalised first
    names that happen to be stop words ("my son Will")."""
    if not _WORD.match(token.text) or token.lower_ in rules.not_names:
        return False
    if _capitalised(token):
        return not token.is_stop or (not surname and token.lower_ in rules.known_names)
    return lower_ok and not token.is_stop


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    """Build everything once, on first use: importing spaCy is slow, and this module is imported early."""
    return _build(_load(DATA_PATH))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def _words(values: Iterable[Any]) -> list[str]:
    return [str(value).strip() for value in values if str(value).strip()]


def _alternation(phrases: Iterable[str]) -> str:
    """A regex alternative of whole phrases, longest first, any run of spaces matching a space."""
    escaped = [r"\s+".join(map(re.escape, p.split())) for p in sorted(set(phrases), key=len, reverse=True)]
    return "(?:" + "|".join(escaped) + ")"


def _build(data: dict[str, Any]) -> _Rules:
    import spacy
    from spacy.matcher import Matcher

    allow, names, addresses, dates = data["allow_list"], data["names"], data["addresses"], data["dates"]
    nlp = spacy.blank("en")

    first_names = _words(names["first_names"])
    known_names = {n.lower() for n in first_names + _words(names["needs_context"])}
    titles = {t.lower() for t in _words(names["titles"])}
    relations = {r.lower() for r in _words(names["relations"])}
    # Titles and relation words are never names themselves ("my teacher Mr Smith"), unless also a first name.
    not_names = {w.lower() for w in _words(names["not_names"])} | titles | (relations - known_names)

    matcher = Matcher(nlp.vocab)
    for label, key in (("STRONG", "strong_triggers"), ("CALLED", "called_triggers")):
        patterns = [[{"NORM": t.norm_} for t in nlp.make_doc(p.lower())] for p in _words(names[key])]
        matcher.add(label, patterns)
    capital_only = {t.lower() for t in _words(names["titles_needing_capital"])}
    matcher.add("TITLE", [[{"LOWER": {"IN": sorted(titles - capital_only)}}]])
    matcher.add("TITLE_CAPITAL", [[{"LOWER": {"IN": sorted(capital_only)}}]])
    matcher.add("RELATION", [[{"LOWER": {"IN": sorted(relations)}}]])
    matcher.add("ADDRESS", _address_patterns(addresses), greedy="LONGEST")

    months = _alternation(_words(dates["months"]))
    day_month = rf"\b{_DAY}(?:\s+of)?[\s,]+{months}\b\.?"
    month_day = rf"\b{months}\b\.?\s+{_DAY}\b"
    areas = _alternation(_words(data["postcode_areas"]))
    numbers = [re.sub(r"\D", "", n) for n in _words(allow["numbers"])]
    # Long ones are blanked first so "call 0800 011 3764 07700 900123" keeps the first and redacts the
    # second. Short ones ("101") need no protection: alone they are too short for a phone number, and in
    # "0161 101 2345" they are part of one.
    long_numbers = "|".join(r"[ .\-]?".join(n) for n in numbers if len(n) >= _MIN_PHONE_DIGITS) or "(?!)"
    protected = _alternation(_words(allow["phrases"]))
    return _Rules(
        nlp=nlp,
        matcher=matcher,
        protected=re.compile(rf"(?<!\w){protected}(?!\w)", re.IGNORECASE),
        reference_codes=tuple(re.compile(rf"\b{code}\b") for code in _words(allow["reference_codes"])),
        allowed_numbers=frozenset(_national(n) for n in numbers),
        allowed_long_numbers=re.compile(rf"(?<![\d+])(?<!\d[.\-])(?:{long_numbers})(?!\d|[.\-]\d)"),
        full_dates=tuple(
            re.compile(p, re.IGNORECASE) for p in (rf"{day_month},?\s+{_YEAR}", rf"{month_day},?\s+{_YEAR}")
        ),
        birth_dates=tuple(re.compile(p, re.IGNORECASE) for p in (day_month, month_day)),
        birth_words=re.compile(rf"\b{_alternation(_words(dates['birth_words']))}\b", re.IGNORECASE),
        postcode=re.compile(rf"\b{areas}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{{2}}\b", re.IGNORECASE),
        first_names=frozenset(first_names),
        first_names_lower=frozenset(n.lower() for n in first_names),
        surnames=frozenset(n.lower() for n in _words(names["surnames"])),
        known_names=frozenset(known_names),
        not_names=frozenset(not_names),
        things_called=frozenset(w.lower() for w in _words(names["things_called"])),
        not_street_words=frozenset(w.lower() for w in _words(addresses["not_street_words"])),
    )


# One token's pattern for spaCy's Matcher.
TokenPattern = dict[str, Any]


def _address_patterns(addresses: dict[str, Any]) -> list[list[TokenPattern]]:
    """House number, one to three street-name words, street type ("12 acacia avenue", "45 High St.",
    "221B BAKER STREET"), all in one case; optionally after "flat 3,"; or "flat 3" alone."""
    lower_types = [t.lower() for t in _words(addresses["street_types"])]
    capital_types = lower_types + [t.lower() for t in _words(addresses["street_types_needing_capital"])]
    not_street = sorted(w.lower() for w in _words(addresses["not_street_words"]))
    word = {"IS_ALPHA": True, "IS_STOP": False, "LOWER": {"NOT_IN": not_street}}
    cases = [  # (street-name word, street type)
        ({**word, "IS_LOWER": True}, {"TEXT": {"IN": lower_types}}),
        (
            {**word, "TEXT": {"REGEX": r"^[A-Z].*[a-z]"}},
            {"TEXT": {"IN": [t.capitalize() for t in capital_types]}},
        ),
        ({**word, "IS_UPPER": True}, {"TEXT": {"IN": [t.upper() for t in capital_types]}}),
    ]
    number: TokenPattern = {"TEXT": {"REGEX": _HOUSE_NUMBER}}
    flat: list[TokenPattern] = [
        {"LOWER": {"IN": [w.lower() for w in _words(addresses["flat_words"])]}},
        number,
    ]
    possessive: TokenPattern = {"LOWER": {"IN": ["'s", "’s"]}, "OP": "?"}
    patterns: list[list[TokenPattern]] = [flat]
    for name_word, street_type in cases:
        for count in (1, 2, 3):
            street: list[TokenPattern] = [
                number,
                *[name_word, possessive] * count,
                street_type,
                {"ORTH": ".", "OP": "?"},
            ]
            patterns += [street, [*flat, {"ORTH": ",", "OP": "?"}, *street]]
    return patterns
