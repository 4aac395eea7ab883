"""What a handoff keeps for the call handler, worked out once for both steps that need it.

The offer (action_offer_handoff) shows the person this summary and asks whether to share it; the handoff
(action_handoff) stores it after a yes. Both read the conversation as it stood when the offer was made, so
what is stored is exactly what the person saw: not the offer itself, and not their yes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.interfaces import ACTION_LISTEN_NAME

from actions.topics import load_topics
from prevent_assistant.content import load_content
from prevent_assistant.names import ACTION_EVENT, BOT_EVENT, OFFER_HANDOFF_ACTION, USER_EVENT
from prevent_assistant.redaction import redact

OFFER_ACTION = OFFER_HANDOFF_ACTION
# The intent of a yes: the offer's share button sends /affirm, and a typed "yes please" is read as affirm.
CONSENT_INTENT = "affirm"
SHARE_PAYLOAD = f"/{CONSENT_INTENT}"
DONT_SHARE_PAYLOAD = "/deny"
LISTEN_ACTION = ACTION_LISTEN_NAME
SPEAKERS = {USER_EVENT: "person", BOT_EVENT: "assistant"}
# Where the assistant's first sentence ends: a full stop, question or exclamation mark before a space.
# (A web address has no spaces, so one is never cut in half.)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s")
# A button's payload or the widget's opening "/greet", as Rasa receives it: "/intent" with optional
# entities in JSON. Not the person's words, so not part of the transcript; its intent is among the topics.
_PAYLOAD = re.compile(r"^/[A-Za-z_][\w/]*(\{.*\})?$", re.DOTALL)


def wording() -> dict[str, Any]:
    """content/handoff.yml: what the offer and the handoff say."""
    return load_content("handoff")


def before_offer(tracker: Tracker) -> list[dict[str, Any]]:
    """The events up to the latest offer (all of them if there was none): the conversation the person
    was shown a summary of."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == ACTION_EVENT and events[index].get("name") == OFFER_ACTION:
            return events[:index]
    return events


def consented(tracker: Tracker) -> bool:
    """True only when the person's latest message was a yes given straight after an offer they saw: a yes
    to anything else, a button pressed after the conversation moved on, or a yes after an offer that
    failed to reach them (Rasa records the offer's step even when the action server was down) is not
    consent to share."""
    events = list(tracker.events)
    users = [i for i, e in enumerate(events) if e.get("event") == USER_EVENT]
    if not users or _intent(events[users[-1]]) != CONSENT_INTENT:
        return False
    shown = False
    for event in reversed(events[: users[-1]]):
        if event.get("event") == USER_EVENT:
            return False
        if event.get("event") == BOT_EVENT:
            buttons = (event.get("data") or {}).get("buttons") or []
            shown = shown or any(button.get("payload") == SHARE_PAYLOAD for button in buttons)
        if event.get("event") == ACTION_EVENT and event.get("name") != LISTEN_ACTION:
            return event.get("name") == OFFER_ACTION and shown
    return False


def _intent(event: dict[str, Any]) -> str | None:
    """The intent of a user event; for a question topic its full name (faq/training), which says what
    was asked where the bare retrieval intent (faq) would not."""
    parse_data = event.get("parse_data") or {}
    name = (parse_data.get("intent") or {}).get("name")
    selected = ((parse_data.get("response_selector") or {}).get(name) or {}).get("response") or {}
    return selected.get("intent_response_key") or name


def topics(events: Sequence[dict[str, Any]]) -> list[str]:
    """Intents of the person's messages, each once, in the order they came up."""
    seen: dict[str, None] = {}
    for event in events:
        if event.get("event") == USER_EVENT:
            intent = _intent(event)
            if intent:
                seen.setdefault(intent, None)
    return list(seen)


def transcript(events: Sequence[dict[str, Any]], turns: int) -> list[dict[str, str]]:
    """The last `turns` messages; the person's are redacted (the bot's words hold no one's data), and
    button payloads are left out: what a button stood for is in the topics, and "/request_human" would
    only puzzle the person reading the summary and the call handler alike."""
    said = [e for e in events if e.get("event") in SPEAKERS and e.get("text")]
    recent = [e for e in said if not (e["event"] == USER_EVENT and _PAYLOAD.match(e["text"].strip()))][
        -turns:
    ]
    return [
        {
            "speaker": SPEAKERS[e["event"]],
            "text": redact(e["text"]) if e["event"] == USER_EVENT else e["text"],
        }
        for e in recent
    ]


def plain_topics(intents: Sequence[str]) -> list[str]:
    """The topics in the words the clarifying question uses (content/topics.yml); intents with no topic
    there (a greeting, a thank-you, a yes) say nothing about the person's concern and are left out."""
    labels = load_topics().labels
    return [labels[intent] for intent in intents if intent in labels]


def first_sentence(text: str) -> str:
    """The assistant's reply cut to its first sentence: the person wrote the rest of the summary, and
    knows what the assistant said."""
    head, *rest = _SENTENCE_END.split(text.strip(), maxsplit=1)
    return f"{head} {wording()['offer_shortened']}" if rest else head


def summary_text(intents: Sequence[str], lines: Sequence[dict[str, str]]) -> str:
    """One message: the topics in plain words, then the conversation as the call handler would read it,
    the person's words in full and redacted."""
    text = wording()
    speakers = text["offer_speakers"]
    turns = [
        f"{speakers[line['speaker']]}: "
        + (line["text"] if line["speaker"] == "person" else first_sentence(line["text"]))
        for line in lines
    ]
    named = plain_topics(intents)
    heading = [text["offer_topics"].format(topics="; ".join(named))] if named else []
    # Single line breaks only: Rasa sends each paragraph (split at a blank line) as a message of its own.
    return "\n".join(heading + turns)
