"""The review inbox: what people asked that the assistant was unsure about, or that ended in a handoff.

Staff improve the assistant by adding real questions to the training data. The most useful ones are those
the model hesitated over and those that sent the person to the ACT Early Support Line, so this module
reads them back from Rasa's tracker store (the `events` table, where people's text is already redacted)
and groups them by the intent the model guessed, ready to be checked and pasted into the file under
data/nlu/ for that topic (data/nlu/faq/<topic>.yml for a question with its own answer).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from prevent_assistant.db.conversations import read_since
from prevent_assistant.db.models import utc_now
from prevent_assistant.names import FALLBACK_INTENT
from prevent_assistant.paths import PROJECT

CONFIG_FILE = PROJECT.config
# Rasa's own FallbackClassifier default, used when config.yml lists the component without a threshold.
RASA_DEFAULT_THRESHOLD = 0.3
# Shown (and exported) for an nlu_fallback message whose ranking holds no other intent to guess from.
NO_GUESS = FALLBACK_INTENT
EXPORT_COMMENT = "guessed by the assistant: check each example, move it under the right intent"
NO_GUESS_COMMENT = "the assistant had no guess: move each example under the right intent"
_TEXT_COLUMN_CAP = 60  # wider texts are not padded, so one long message does not stretch the table
# Characters YAML does not allow in a document (C0/C1 controls except tab, DEL, surrogates, BOM, FFFE/FFFF).
_NOT_YAML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
# "[text](entity)", "[text]{...}" and "[text][...]" are Rasa entity annotations; a redacted "[name]"
# followed directly by a bracket would be read as one, so the two are separated by a space on export.
_ANNOTATION_LIKE = re.compile(r"\]([(\[{])")
_PLAIN_INTENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


# --- Reading the tracker store -----------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredMessage:
    """One message a person sent, as the tracker store keeps it (text already redacted on save)."""

    conversation_id: str
    timestamp: float  # Unix time, as Rasa stores it
    text: str
    intent: str | None  # what the pipeline decided, nlu_fallback included
    confidence: float | None  # of `intent`
    guess: str | None  # the model's best real intent: `intent`, or for nlu_fallback the top of the ranking
    guess_confidence: float | None


@dataclass(frozen=True)
class Window:
    """Everything the reports need from one period: people's messages and which conversations went to a
    person. Read once, so the review and the statistics agree about the same rows."""

    since: datetime
    messages: tuple[StoredMessage, ...]
    handed_off: frozenset[str]  # conversation ids


def read_window(since: datetime, url: str | None = None) -> Window:
    """People's messages stored since `since` and the conversations handed off in that time (read by
    prevent_assistant.db.conversations; a database the assistant never wrote to is an empty window)."""
    stored = read_since(since, url)
    messages = tuple(
        _message(row.sender_id, row.timestamp, row.intent_name, row.data) for row in stored.messages
    )
    return Window(since, messages, stored.handed_off)


def _message(sender_id: str, timestamp: float, intent_name: str | None, data: str | None) -> StoredMessage:
    event = _json(data)
    parse_data = event.get("parse_data") or {}
    top = parse_data.get("intent") or {}
    intent = top.get("name") or intent_name
    confidence = _number(top.get("confidence"))
    guess, guess_confidence = intent, confidence
    if intent == FALLBACK_INTENT:
        guess, guess_confidence = _best_real_intent(parse_data.get("intent_ranking") or [])
    return StoredMessage(
        conversation_id=sender_id,
        timestamp=float(timestamp or 0.0),
        text=str(event.get("text") or parse_data.get("text") or ""),
        intent=intent,
        confidence=confidence,
        guess=guess,
        guess_confidence=guess_confidence,
    )


def _json(data: str | None) -> dict[str, Any]:
    """A row Rasa wrote badly (or another tool edited) must not stop the whole report."""
    try:
        loaded = json.loads(data or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _best_real_intent(ranking: Iterable[Any]) -> tuple[str | None, float | None]:
    """The FallbackClassifier keeps the model's ranking: its best real intent is what the model thought."""
    candidates = [
        (_number(item.get("confidence")) or 0.0, item["name"])
        for item in ranking
        if isinstance(item, dict) and item.get("name") and item.get("name") != FALLBACK_INTENT
    ]
    if not candidates:
        return None, None
    confidence, name = max(candidates, key=lambda candidate: candidate[0])
    return name, confidence


# --- The fallback threshold --------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def fallback_threshold(config: Path = CONFIG_FILE) -> float:
    """The FallbackClassifier threshold the model was trained with: "unsure" must mean what the bot means."""
    loaded = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    for component in loaded.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", RASA_DEFAULT_THRESHOLD))
    raise ValueError(f"{config} has no FallbackClassifier in its pipeline, so there is no threshold")


# --- The review --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextCount:
    """One distinct question (compared case- and punctuation-insensitively) and how often it was sent."""

    text: str  # its most frequent wording as stored (the earliest on a tie), on one line
    count: int
    lowest_confidence: float | None  # the model's confidence in its guess; None if it had no guess
    handed_off: bool  # at least once in a conversation that ended with a handoff


@dataclass(frozen=True)
class Group:
    """The messages the model took to be one intent, most frequent question first."""

    intent: str  # the model's guess; NO_GUESS when it had none
    messages: int
    texts: tuple[TextCount, ...]


@dataclass(frozen=True)
class Review:
    """The inbox for one period. Each message appears once: in `unsure` if the model was unsure about it
    (marked `handed_off` if its conversation went to a person), otherwise in `handed_off`."""

    since: datetime
    threshold: float
    unsure: tuple[Group, ...]
    handed_off: tuple[Group, ...]
    handoff_conversations: int  # conversations with messages in the period that were handed off


def review(since: timedelta, url: str | None = None, threshold: float | None = None) -> Review:
    """Messages from the last `since` the model was unsure about or that ended in a handoff, by intent."""
    threshold = fallback_threshold() if threshold is None else threshold
    window = read_window(utc_now() - since, url)
    messages = [message for message in window.messages if _reviewable(message)]
    unsure = [message for message in messages if is_unsure(message, threshold)]
    handed_off = [
        message
        for message in messages
        if message.conversation_id in window.handed_off and not is_unsure(message, threshold)
    ]
    conversations = {message.conversation_id for message in window.messages} & window.handed_off
    return Review(
        since=window.since,
        threshold=threshold,
        unsure=_groups(unsure, window.handed_off),
        handed_off=_groups(handed_off, window.handed_off),
        handoff_conversations=len(conversations),
    )


def is_unsure(message: StoredMessage, threshold: float) -> bool:
    """Below the threshold the bot asked a clarifying question instead of answering."""
    if message.intent == FALLBACK_INTENT:
        return True
    return message.confidence is not None and message.confidence < threshold


def _reviewable(message: StoredMessage) -> bool:
    """Button payloads ("/myth_faith") were chosen, not written: there is nothing in them to label."""
    text = message.text.strip()
    return bool(text) and not text.startswith("/")


def normalise(text: str) -> str:
    """The key two messages share when they ask the same thing in different case or punctuation."""
    line = " ".join(text.split())
    return line.casefold().strip(" .,;:!?\"'") or line


def one_line(text: str) -> str:
    return " ".join(text.split())


def _groups(messages: list[StoredMessage], handed_off: frozenset[str]) -> tuple[Group, ...]:
    by_intent: dict[str, list[StoredMessage]] = {}
    for message in messages:
        by_intent.setdefault(message.guess or NO_GUESS, []).append(message)
    groups = [
        Group(intent, len(members), _text_counts(members, handed_off))
        for intent, members in by_intent.items()
    ]
    return tuple(sorted(groups, key=lambda group: (-group.messages, group.intent)))


def _text_counts(messages: list[StoredMessage], handed_off: frozenset[str]) -> tuple[TextCount, ...]:
    by_text: dict[str, list[StoredMessage]] = {}
    for message in messages:
        by_text.setdefault(normalise(message.text), []).append(message)
    counts = [_text_count(same, handed_off) for same in by_text.values()]
    return tuple(sorted(counts, key=lambda item: (-item.count, normalise(item.text))))


def _text_count(same: list[StoredMessage], handed_off: frozenset[str]) -> TextCount:
    confidences = [message.guess_confidence for message in same if message.guess_confidence is not None]
    return TextCount(
        text=_usual_wording(same),
        count=len(same),
        lowest_confidence=min(confidences) if confidences else None,
        handed_off=any(message.conversation_id in handed_off for message in same),
    )


def _usual_wording(same: list[StoredMessage]) -> str:
    """The way most people wrote it is the best example to label; messages arrive oldest first."""
    wordings = Counter(one_line(message.text) for message in same)
    return wordings.most_common(1)[0][0]  # Counter keeps first-seen order among equal counts


# --- Rendering -------------------------------------------------------------------------------------------
def render_text(review: Review) -> str:
    """A plain table for the terminal: each guessed intent, then its questions, most frequent first."""
    lines = [
        f"Review inbox since {review.since:%Y-%m-%d %H:%M} UTC (unsure means below {review.threshold:g})"
    ]
    if not review.unsure and not review.handed_off and not review.handoff_conversations:
        return (
            "\n".join([*lines, "", "Nothing to review: the assistant was sure and handed nobody off."]) + "\n"
        )
    total = sum(group.messages for group in review.unsure)
    lines += ["", f"UNSURE — {_plural(total, 'message')} the assistant was unsure about"]
    lines += _render_groups(review.unsure, unsure=True) or ["  none"]
    lines += [
        "",
        f"HANDOFFS — {_plural(review.handoff_conversations, 'conversation')} handed to the ACT Early Support "
        "Line (their unsure messages are listed above)",
    ]
    lines += _render_groups(review.handed_off, unsure=False) or ["  none"]
    return "\n".join(lines) + "\n"


def _render_groups(groups: tuple[Group, ...], unsure: bool) -> list[str]:
    texts = [item for group in groups for item in group.texts]
    width = min(max((len(item.text) for item in texts), default=0), _TEXT_COLUMN_CAP)
    count_width = max((len(str(item.count)) for item in texts), default=1)
    lines: list[str] = []
    for group in groups:
        guessed = "no guess" if group.intent == NO_GUESS else "guessed"
        lines += ["", f"{group.intent} ({guessed}) — {_plural(group.messages, 'message')}"]
        lines += [
            f"  {item.count:>{count_width}}×  {item.text.ljust(width)}   [{_tag(item, unsure)}]"
            for item in group.texts
        ]
    return lines


def _tag(item: TextCount, unsure: bool) -> str:
    confidence = "" if item.lowest_confidence is None else f"{item.lowest_confidence:.2f}"
    if not unsure:
        return f"sure {confidence}".strip()
    tag = f"unsure {confidence}".strip()
    return f"{tag}, handed off" if item.handed_off else tag


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- Export ------------------------------------------------------------------------------------------------
def export_nlu(review: Review) -> str:
    """Rasa 3 NLU YAML of the inbox's questions under the guessed intents, for staff to correct and paste.

    Each question appears once (under the intent where it was sent most); examples use the literal block
    style, so no character needs quoting, and each is cleaned to one line Rasa reads back unchanged.
    """
    lines = ['version: "3.1"']
    blocks = list(_export_blocks(review))
    if not blocks:
        return "\n".join([*lines, "nlu: []"]) + "\n"
    lines.append("nlu:")
    for intent, examples in blocks:
        comment = NO_GUESS_COMMENT if intent == NO_GUESS else EXPORT_COMMENT
        lines += [f"- intent: {_yaml_intent(intent)}   # {comment}", "  examples: |"]
        lines += [f"    - {example}" for example in examples]
    return "\n".join(lines) + "\n"


def _export_blocks(review: Review) -> Iterator[tuple[str, list[str]]]:
    """(intent, examples) with each question under the intent it was most often guessed as."""
    counts: dict[str, Counter[str]] = {}  # question -> guessed intent -> times sent
    examples: dict[str, str] = {}
    for group in (*review.unsure, *review.handed_off):
        for item in group.texts:
            example = _example(item.text)
            key = normalise(example)
            examples.setdefault(key, example)
            counts.setdefault(key, Counter())[group.intent] += item.count
    by_intent: dict[str, list[tuple[int, str]]] = {}
    for key, per_intent in counts.items():
        intent = per_intent.most_common(1)[0][0]
        by_intent.setdefault(intent, []).append((sum(per_intent.values()), key))
    for intent, questions in sorted(by_intent.items(), key=lambda pair: (-_sent(pair[1]), pair[0])):
        yield intent, [examples[key] for _, key in sorted(questions, key=lambda pair: (-pair[0], pair[1]))]


def _sent(questions: list[tuple[int, str]]) -> int:
    return sum(count for count, _ in questions)


def _example(text: str) -> str:
    """One line YAML accepts and Rasa does not mistake for an entity annotation."""
    return _ANNOTATION_LIKE.sub(r"] \1", one_line(_NOT_YAML.sub("", text)))


def _yaml_intent(intent: str) -> str:
    return intent if _PLAIN_INTENT.match(intent) else json.dumps(intent)
