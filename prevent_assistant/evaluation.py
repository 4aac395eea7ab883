"""Measure intent classification on a held-out NLU file with a trained model.

Used by the test suite (the 0.95 macro-F1 bar) and from the command line for the figure in the README:
    python -m prevent_assistant.evaluation --model models/prevent.tar.gz --data tests/nlu_holdout.yml
Two figures are reported because they answer different questions: `classifier` is DIET's top intent
(how well the model understands), `end_to_end` counts a low-confidence `nlu_fallback` as a miss (what the
person experiences: a clarifying question instead of the answer).
Questions under the retrieval intent `faq` are scored by their full name (faq/training): a question that
gets the wrong topic's answer is a miss, even though its base intent `faq` was right.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import classification_report, f1_score

from prevent_assistant.names import FALLBACK_INTENT
from prevent_assistant.paths import PROJECT


@dataclass(frozen=True)
class Evaluation:
    """Gold and predicted intents for every held-out example."""

    texts: list[str]
    gold: list[str]
    classifier: list[str]
    end_to_end: list[str]

    def macro_f1(self, predictions: list[str]) -> float:
        return float(f1_score(self.gold, predictions, labels=sorted(set(self.gold)), average="macro"))

    def errors(self, predictions: list[str]) -> list[tuple[str, str, str]]:
        return [(t, g, p) for t, g, p in zip(self.texts, self.gold, predictions, strict=True) if g != p]


def load_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs from a file or a folder of NLU files, read with Rasa's own loader so the format
    is exactly Rasa's; retrieval intents by their full name (faq/training)."""
    from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(m.get(TEXT), m.get(INTENT_RESPONSE_KEY) or m.get(INTENT)) for m in data.intent_examples]


def full_intent(parsed: dict, intent: str) -> str:
    """`intent`, or for a retrieval intent the topic the ResponseSelector chose (faq -> faq/training)."""
    selected = (parsed.get("response_selector") or {}).get(intent)
    if not selected:
        return intent
    return selected.get("response", {}).get("intent_response_key") or intent


async def evaluate(agent, examples: list[tuple[str, str]]) -> Evaluation:
    """Parse every example with the model behind `agent` (a loaded rasa.core.agent.Agent)."""
    classifier, end_to_end = [], []
    for text, _ in examples:
        parsed = await agent.parse_message(text)
        end_to_end.append(full_intent(parsed, parsed["intent"]["name"]))
        ranking = [r["name"] for r in parsed.get("intent_ranking", []) if r["name"] != FALLBACK_INTENT]
        classifier.append(full_intent(parsed, ranking[0]) if ranking else FALLBACK_INTENT)
    return Evaluation([t for t, _ in examples], [i for _, i in examples], classifier, end_to_end)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Intent macro-F1 of a trained model on a held-out file.")
    parser.add_argument("--model", type=Path, default=PROJECT.model)
    parser.add_argument("--data", type=Path, default=PROJECT.nlu_holdout)
    parser.add_argument("--errors", action="store_true", help="list every misclassified example")
    args = parser.parse_args(argv)
    for path in (args.model, args.data):
        if not path.exists():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 1
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs each parsed message's text at debug level
    agent = Agent.load(str(args.model))
    result = asyncio.run(evaluate(agent, load_examples(args.data)))
    print(classification_report(result.gold, result.end_to_end, zero_division=0))
    print(f"examples: {len(result.gold)}")
    print(f"intent macro-F1, classifier: {result.macro_f1(result.classifier):.3f}")
    print(
        f"intent macro-F1, end to end (fallback counts as a miss): {result.macro_f1(result.end_to_end):.3f}"
    )
    if args.errors:
        for text, gold, predicted in result.errors(result.end_to_end):
            print(f"  {gold:>28} -> {predicted:<28} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
