"""The trained model, loaded in-process with Rasa's Agent: what a person gets back for what they type."""

from __future__ import annotations

import pytest

from conftest import MYTHS, ROOT
from prevent_assistant.evaluation import evaluate, load_examples
from prevent_assistant.settings import holdout_macro_f1_threshold

HOLDOUT = ROOT / "tests" / "nlu_holdout.yml"
MACRO_F1_BAR = holdout_macro_f1_threshold()  # settings.yml, shared with `prevent-assistant test`


def texts(messages: list[dict]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def holdout_messages(intent: str) -> list[str]:
    return [text for text, gold in load_examples(HOLDOUT) if gold == intent]


@pytest.fixture(scope="module")
def holdout_evaluation(agent, event_loop_runner):
    return event_loop_runner.run_until_complete(evaluate(agent, load_examples(HOLDOUT)))


@pytest.mark.parametrize("myth", MYTHS)
def test_myth_questions_get_the_answer_and_the_clip(myth, chat, responses):
    """Every held-out message for a myth that the model classifies as that myth gets both parts of the reply;
    the classification bar itself is the macro-F1 test below."""
    answer = responses[f"utter_myth_{myth}"][0]["text"]
    clip = next(
        v["custom"]["clip"]
        for v in responses["utter_clip"]
        if v.get("condition", [{}])[0].get("value") == myth
    )
    answered = 0
    for i, message in enumerate(holdout_messages(f"myth_{myth}")):
        replies = chat(message, sender=f"myth-{myth}-{i}")
        if answer not in texts(replies):
            continue
        answered += 1
        assert any(clip["url"] in t for t in texts(replies)), f"no clip link after the {myth} answer"
        assert any(m.get("custom", {}).get("clip") == clip for m in replies), "no clip card payload"
    assert answered >= 0.8 * len(holdout_messages(f"myth_{myth}")), f"too few {myth} messages answered"


@pytest.mark.parametrize(
    "message",
    [
        "my brother has a knife and says he is going to stab people at the mosque today",
        "someone in my class says hes bringing a gun to school tomorrow to shoot people",
        "there's a man outside the station with what looks like a bomb",
    ],
)
def test_immediate_danger_gets_999_first(message, chat):
    replies = texts(chat(message, sender=f"emergency-{hash(message)}"))
    assert replies, "no reply at all"
    assert "999" in replies[0]
    assert any("0800 011 3764" in t for t in replies[1:])


def test_emergency_interrupts_another_topic(chat):
    sender = "emergency-mid-conversation"
    chat("what is prevent", sender=sender)
    replies = texts(chat("my mate has a gun and says he's going to use it on people tonight", sender=sender))
    assert "999" in replies[0]


def test_asking_for_a_person_gives_the_support_line(chat):
    replies = texts(chat("can i talk to an actual person please", sender="human"))
    assert any("0800 011 3764" in t and "9am to 5pm" in t for t in replies)


def test_worried_about_someone_gives_the_support_line_then_offers_next_step(chat):
    """In-process there is no action server, so the offer to share with the call handler (and the handoff
    after a yes) cannot run: the rules still give the support line, then offer what happens next."""
    replies = texts(
        chat("my son has been watching far right videos and saying awful things", sender="worried")
    )
    assert "0800 011 3764" in replies[0]
    offer = texts(chat("/deny", sender="worried"))  # "Don't share"
    assert offer[-1] == "Would you like to know what happens after a referral?"
    assert "nothing from this chat has been kept" in offer[0]
    follow_up = texts(chat("yes", sender="worried"))
    assert follow_up and follow_up[0].startswith("Police Prevent officers look at each referral first")


def test_held_out_macro_f1_is_at_least_the_bar(holdout_evaluation):
    end_to_end = holdout_evaluation.macro_f1(holdout_evaluation.end_to_end)
    classifier = holdout_evaluation.macro_f1(holdout_evaluation.classifier)
    errors = holdout_evaluation.errors(holdout_evaluation.end_to_end)
    assert end_to_end >= MACRO_F1_BAR, f"end-to-end macro-F1 {end_to_end:.3f}; misses: {errors}"
    assert classifier >= MACRO_F1_BAR, f"classifier macro-F1 {classifier:.3f}"
