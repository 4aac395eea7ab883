"""NLU quality on the held-out file, for the freshly trained model and a simple baseline trained in the run.

A macro-F1 alone says little: the baseline shows what a plain TF-IDF + logistic regression gets from the
same training examples on the same held-out messages, so the model's figure reads as a margin over it.
The baseline's settings were fixed before looking at the held-out file (word 1-2-grams and character
2-5-grams inside word boundaries, as the model's own featurizers use; C=10; no tuning), so it is not fitted
to the test. It has no fallback, so it is compared with the model's classifier-only figure, and the model's
end-to-end figure (a low-confidence fallback counts as a miss) is shown too.

The baseline's per-message prediction time is measured as well: it is the cheapest possible floor for
"understand one message" on this machine, beside the model's parse time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import Pipeline, make_pipeline, make_union

from bench.stats import summary_ms
from prevent_assistant.evaluation import evaluate, load_examples
from prevent_assistant.names import EMERGENCY_INTENT


def _scores(gold: list[str], predicted: list[str]) -> dict[str, float]:
    labels = sorted(set(gold))
    return {
        "macro_f1": round(float(f1_score(gold, predicted, labels=labels, average="macro")), 4),
        "accuracy": round(float(accuracy_score(gold, predicted)), 4),
    }


def _recall(gold: list[str], predicted: list[str], intent: str) -> float | None:
    """Share of `intent`'s held-out messages the model gave `intent` end to end (None if it has none)."""
    pairs = [(g, p) for g, p in zip(gold, predicted, strict=True) if g == intent]
    return round(sum(g == p for g, p in pairs) / len(pairs), 4) if pairs else None


def baseline_model() -> Pipeline:
    """The untuned baseline: word 1-2-grams and character 2-5-grams, TF-IDF, logistic regression, C=10."""
    return make_pipeline(
        make_union(
            TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LogisticRegression(C=10.0, max_iter=2000),
    )


def baseline(train: list[tuple[str, str]], test: list[tuple[str, str]]) -> dict[str, Any]:
    """TF-IDF + logistic regression: train on `train`, score on `test`, time training and prediction."""
    started = time.perf_counter()
    model = baseline_model()
    model.fit([text for text, _ in train], [intent for _, intent in train])
    training_seconds = time.perf_counter() - started
    predicted, times = [], []
    for text, _ in test:
        started = time.perf_counter()
        predicted.append(str(model.predict([text])[0]))
        times.append(time.perf_counter() - started)
    return {
        **_scores([intent for _, intent in test], predicted),
        "training_seconds": round(training_seconds, 2),
        "predict_ms": summary_ms(times),
    }


async def measure(agent: Any, training_file: Path, holdout_file: Path) -> dict[str, Any]:
    """Model (classifier and end to end) and baseline on `holdout_file`."""
    holdout = load_examples(holdout_file)
    train = load_examples(training_file)
    result = await evaluate(agent, holdout)
    return {
        "holdout_file": str(holdout_file),
        "holdout_examples": len(holdout),
        "intents": len(set(result.gold)),
        "training_examples": len(train),
        "model_classifier": _scores(result.gold, result.classifier),
        "model_end_to_end": _scores(result.gold, result.end_to_end),
        "emergency_recall": _recall(result.gold, result.end_to_end, EMERGENCY_INTENT),
        "baseline_tfidf_logreg": baseline(train, holdout),
    }
