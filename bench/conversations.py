"""The simulated conversations: realistic multi-turn scripts, each turn with a fragment its reply must hold.

Load is only realistic if it exercises what people do: myth questions and their follow-ups (answer + clip),
worries about someone that end in the offer to share a summary (action server + redaction) and a yes that
stores the handoff (action server + database write), yes/no after an offer (rules
that depend on the previous turn), small talk, an unclear message (action_clarify) and an emergency in the
middle of a topic. The wordings are the conversation tests' (tests/test_stories.yml, which `make test`
checks turn by turn) and a few more in the same style; none is copied from the held-out file.

Each turn carries a fragment of the reply it should get, so the benchmark also counts answers that came
back but were wrong (for example a handoff without its reference because the action server timed out).
`kind` groups turns by the work the server does for them, so latency can be broken down by path.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

ANSWER = "answer"  # NLU + policies + tracker store; replies come from domain.yml
OFFER = "offer"  # as above, plus action_offer_handoff: the action server redacts the summary, writes nothing
HANDOFF = "handoff"  # a yes to the offer: action_handoff, a call to the action server and a database insert
CLARIFY = "clarify"  # low confidence: action_clarify on the action server, no database write


@dataclass(frozen=True)
class Turn:
    text: str
    expect: str
    kind: str = ANSWER


@dataclass(frozen=True)
class Script:
    name: str
    turns: tuple[Turn, ...]


GREET = "I'm an automated assistant"
WELCOME = "You're welcome"
REFERENCE = "PRV-"
SHARE_OFFER = "Shall I share this with the call handler?"

SCRIPTS: tuple[Script, ...] = (
    Script(
        "greeting, faith myth, another myth, thanks",
        (
            Turn("hiya", GREET),
            Turn("why does prevent always go after muslim families and not anyone else", "any one faith"),
            Turn("what other myths are there", "often get wrong"),
            Turn(
                "if i argue in class that the government is wrong about the war will i get reported to "
                "prevent",
                "does not police what people think",
            ),
            Turn("thanks thats useful", WELCOME),
        ),
    ),
    Script(
        "worried about a friend, what happens next, asks for a person",
        (
            Turn(
                "my mate has started sharing really hateful stuff online and talks about joining some group, "
                "i'm worried",
                SHARE_OFFER,
                OFFER,
            ),
            Turn("/affirm", REFERENCE, HANDOFF),
            Turn("yeah", "look at each referral first"),
            Turn("can i just speak to someone on the phone", SHARE_OFFER, OFFER),
            Turn("yes go ahead and share it", REFERENCE, HANDOFF),
        ),
    ),
    Script(
        "what is Prevent, no to the myths, goodbye",
        (
            Turn("hello", GREET),
            Turn("what is this prevent thing everyone keeps talking about", "CONTEST"),
            Turn("no ta", "anything else"),
            Turn("ok bye", "Take care"),
        ),
    ),
    Script(
        "records myth, after a referral, Channel",
        (
            Turn(
                "my son got referred, does that mean he'll have a criminal record and fail a dbs check",
                "not an arrest",
            ),
            Turn("so what actually happens now that he has been referred", "look at each referral first"),
            Turn(
                "is the channel programme voluntary or can they force my daughter to do it",
                "Channel support is voluntary",
            ),
            Turn("thank you", WELCOME),
        ),
    ),
    Script(
        "spying myth, ideology myth, wants a person",
        (
            Turn(
                "so teachers are basically informants now, reporting our kids to the security services?",
                "Prevent is not spying",
            ),
            Turn(
                "does prevent even bother with the far right or is it just islamists",
                "not just about Islamists",
            ),
            Turn("can i talk to a real person please", SHARE_OFFER, OFFER),
            Turn("/affirm", REFERENCE, HANDOFF),
        ),
    ),
    Script(
        "what is Prevent, yes to the myths, picks one",
        (
            Turn("can you explain what prevent is", "CONTEST"),
            Turn("yes please", "often get wrong"),
            Turn("/myth_views", "does not police what people think"),
        ),
    ),
    Script(
        "worried about a pupil, no more information",
        (
            Turn("how do i make a prevent referral for a pupil i'm concerned about", SHARE_OFFER, OFFER),
            Turn("/deny", "nothing from this chat has been kept"),
            Turn("no", "anything else"),
        ),
    ),
    Script(
        "unclear message, then a button",
        (
            Turn("qwop zarg", "Did you mean", CLARIFY),
            Turn("/request_human", SHARE_OFFER, OFFER),
        ),
    ),
    Script(
        "spying myth interrupted by an emergency",
        (
            Turn("is prevent spying on mosques", "Prevent is not spying"),
            Turn(
                "my cousin has got a knife and says he's going to attack people at the shopping centre today",
                "call 999 now",
            ),
        ),
    ),
)


@dataclass
class Conversation:
    """One simulated person: a script, a fresh sender id, and how far they have got."""

    script: Script
    sender: str
    position: int = 0

    @property
    def finished(self) -> bool:
        return self.position >= len(self.script.turns)

    def next_turn(self) -> Turn:
        turn = self.script.turns[self.position]
        self.position += 1
        return turn


def conversations(seed: int) -> Iterator[Conversation]:
    """An endless stream of conversations, scripts in a shuffled order that repeats every len(SCRIPTS)."""
    rng = random.Random(seed)
    while True:
        order = list(SCRIPTS)
        rng.shuffle(order)
        for script in order:
            yield Conversation(script, f"bench-{uuid.UUID(int=rng.getrandbits(128)).hex}")


def all_texts() -> list[str]:
    """Every message the scripts send, once each, in script order (for the in-process parse floor)."""
    return [turn.text for script in SCRIPTS for turn in script.turns]
