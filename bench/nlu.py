"""`python -m bench.nlu`: compare NLU pipelines on the same data, by k-fold cross-validation on the training
examples and on the two held-out files, with the TF-IDF + logistic regression baseline beside them.

Each pipeline is a Rasa config file (NLU part only is used). Every training runs in its own `rasa train
nlu` process, one at a time, into a temporary folder; the project's models/ is never touched. A config may
set `prevent_flat_retrieval: true` (removed before Rasa sees it) to train the questions in data/nlu/faq/ as
plain intents (faq_training) instead of a retrieval intent with a ResponseSelector; predictions are mapped
back (faq/training) so both layouts are scored on the same labels.

Scored per message, by full label (a question that gets another topic's answer is wrong):
  * end to end: what the person gets; a low-confidence nlu_fallback counts as a miss, not an answer;
  * wrong answers: messages answered confidently with another intent's reply (what must stay rare);
  * emergency recall: every immediate-danger message must be recognised.
The fallback thresholds in config.yml are tuned with `--tune`, on a validation split of the training data
(never on the held-out files): the model is trained on the rest with its fallback switched off, and every
threshold pair is tried on the same predictions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
import yaml
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split

from bench import spacy_pipeline
from bench.quality import baseline, baseline_model
from prevent_assistant.evaluation import load_examples
from prevent_assistant.names import EMERGENCY_INTENT, FALLBACK_INTENT, FAQ_INTENT
from prevent_assistant.paths import PROJECT, PROJECT_ROOT
from prevent_assistant.settings import rasa_environment

TRAINING = PROJECT.nlu_data_dir
HOLDOUTS = {
    "holdout": PROJECT.nlu_holdout,
    "public_wording": PROJECT_ROOT / "tests" / "nlu_public_wording.yml",
}
RESULTS = PROJECT_ROOT / "bench" / "results" / "nlu"
FLAT_KEY = "prevent_flat_retrieval"
EMERGENCY = EMERGENCY_INTENT
SEED = 2606
# Tuning: the share of training examples held back for validation and the values tried. The pair with the
# best end-to-end macro-F1 wins (it counts a wrong answer against both intents, a clarifying question
# against one); among pairs within TIE of the best, the highest threshold, as the safer one. A cost-weighted
# objective (wrong answer = 3 clarifying questions) was tried first: on this deliberately hard split it
# chose 0.4 and sent 43% of messages to the clarifying question.
VALIDATION_SHARE = 0.2
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 15)]
AMBIGUITY_THRESHOLDS = [0.0, 0.02, 0.05, 0.1]
# EmergencyFirst's min_confidence: the value with the highest emergency recall on the validation split,
# then the fewest false alarms, then the highest value.
EMERGENCY_MIN_CONFIDENCES = [1.0, 0.3, 0.2, 0.15, 0.1, 0.05]
TIE = 0.005
FALLBACK_COMPONENT = "FallbackClassifier"

Example = tuple[str, str]


@dataclass(frozen=True)
class Scores:
    """One model on one set of messages."""

    examples: int
    macro_f1: float  # end to end, by full label
    classifier_macro_f1: float  # the top real intent, ignoring the fallback
    wrong_answers: float  # share answered with another intent's reply
    fallbacks: float  # share that got the clarifying question
    emergency_recall: float

    @classmethod
    def of(cls, gold: Sequence[str], end_to_end: Sequence[str], classifier: Sequence[str]) -> Scores:
        labels = sorted(set(gold))
        pairs = list(zip(gold, end_to_end, strict=True))
        emergencies = [p for g, p in pairs if g == EMERGENCY]
        return cls(
            examples=len(gold),
            macro_f1=_f1(gold, end_to_end, labels),
            classifier_macro_f1=_f1(gold, classifier, labels),
            wrong_answers=round(sum(p not in (g, FALLBACK_INTENT) for g, p in pairs) / len(pairs), 4),
            fallbacks=round(sum(p == FALLBACK_INTENT for _, p in pairs) / len(pairs), 4),
            emergency_recall=round(sum(p == EMERGENCY for p in emergencies) / max(1, len(emergencies)), 4),
        )


def per_intent(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    labels = sorted(set(gold))
    scores = f1_score(gold, predicted, labels=labels, average=None, zero_division=0)
    return {label: round(float(score), 3) for label, score in zip(labels, scores, strict=True)}


def _f1(gold: Sequence[str], predicted: Sequence[str], labels: list[str]) -> float:
    return round(float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)), 4)


# --- Training data, written for one run --------------------------------------------------------------------
def responses() -> dict[str, Any]:
    """The answers kept beside their examples (utter_faq/...): the ResponseSelector needs them to train."""
    found: dict[str, Any] = {}
    for path in sorted(TRAINING.rglob("*.yml")):
        found.update((yaml.safe_load(path.read_text("utf-8")) or {}).get("responses", {}))
    return found


def flat(label: str) -> str:
    return label.replace("/", "_", 1) if "/" in label else label


def write_nlu(examples: Sequence[Example], path: Path, flat_retrieval: bool) -> None:
    """One Rasa NLU file holding `examples` (and the retrieval answers, unless trained flat)."""
    by_intent: dict[str, list[str]] = {}
    for text, label in examples:
        by_intent.setdefault(flat(label) if flat_retrieval else label, []).append(text)
    document: dict[str, Any] = {
        "version": "3.1",
        "nlu": [
            {"intent": intent, "examples": "".join(f"- {_one_line(text)}\n" for text in texts)}
            for intent, texts in by_intent.items()
        ],
    }
    if not flat_retrieval:
        document["responses"] = responses()
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- One training and evaluation, each in its own process ---------------------------------------------------
def train(config: Path, examples: Sequence[Example], workdir: Path) -> tuple[Path, float]:
    """Train an NLU model on `examples` with `config`; the model's path and the training seconds."""
    settings = yaml.safe_load(config.read_text("utf-8"))
    flat_retrieval = bool(settings.pop(FLAT_KEY, False))
    workdir.mkdir(parents=True, exist_ok=True)
    rasa_config = workdir / "config.yml"
    rasa_config.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    data = workdir / "nlu.yml"
    write_nlu(examples, data, flat_retrieval)
    command = [
        str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", str(rasa_config),
        "--nlu", str(data), "--out", str(workdir), "--fixed-model-name", "nlu",
    ]  # fmt: skip
    started = time.perf_counter()
    with (workdir / "train.log").open("wb") as log:
        code = subprocess.call(
            command, cwd=PROJECT_ROOT, env=rasa_environment(), stdout=log, stderr=subprocess.STDOUT
        )
    if code != 0:
        raise click.ClickException(f"training {config.name} failed; see {workdir / 'train.log'}")
    return workdir / "nlu.tar.gz", time.perf_counter() - started


def predict(model: Path, texts: Sequence[str]) -> list[dict[str, Any]]:
    """Rasa's parse of every text, from a fresh process (TensorFlow state never leaks between models)."""
    source = (
        "import asyncio, json, logging, sys\n"
        "from rasa.core.agent import Agent\n"
        "from rasa.utils.log_utils import configure_structlog\n"
        "configure_structlog(logging.WARNING)\n"
        "agent = Agent.load(sys.argv[1])\n"
        "texts = json.load(sys.stdin)\n"
        "async def main():\n"
        "    return [await agent.parse_message(t) for t in texts]\n"
        "json.dump(asyncio.run(main()), sys.stdout)\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", source, str(model)],
        input=json.dumps(list(texts)), capture_output=True, text=True, env=rasa_environment(), check=False,
    )  # fmt: skip
    if finished.returncode != 0:
        raise click.ClickException(f"parsing with {model} failed:\n{finished.stderr[-2000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def labels_of(parsed: dict[str, Any], flat_retrieval: bool) -> tuple[str, str, float]:
    """(end-to-end label, classifier label, confidence) by full label, whichever layout was trained."""
    from prevent_assistant.evaluation import full_intent

    intent = parsed["intent"]["name"]
    ranking = [r["name"] for r in parsed.get("intent_ranking", []) if r["name"] != FALLBACK_INTENT]
    top = ranking[0] if ranking else FALLBACK_INTENT

    def full(name: str) -> str:
        if flat_retrieval:
            return name.replace("_", "/", 1) if name.startswith(f"{FAQ_INTENT}_") else name
        return full_intent(parsed, name)

    return full(intent), full(top), float(parsed["intent"].get("confidence") or 0.0)


def score(model: Path, examples: Sequence[Example], flat_retrieval: bool) -> tuple[Scores, list[dict]]:
    parsed = predict(model, [text for text, _ in examples])
    rows = []
    for (text, gold), result in zip(examples, parsed, strict=True):
        end_to_end, classifier, confidence = labels_of(result, flat_retrieval)
        rows.append({"text": text, "gold": gold, "end_to_end": end_to_end, "classifier": classifier,
                     "confidence": round(confidence, 4)})  # fmt: skip
    gold = [r["gold"] for r in rows]
    return Scores.of(gold, [r["end_to_end"] for r in rows], [r["classifier"] for r in rows]), rows


def with_fallback_off(config: Path, workdir: Path) -> Path:
    """A copy of `config` whose FallbackClassifier never fires, so every threshold can be replayed."""
    settings = yaml.safe_load(config.read_text("utf-8"))
    for component in settings["pipeline"]:
        if component["name"] == FALLBACK_COMPONENT:
            component.update(threshold=0.0, ambiguity_threshold=0.0)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{config.stem}-no-fallback.yml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return path


def replay(rows: list[dict], threshold: float, ambiguity: float, emergency_min: float = 1.0) -> list[str]:
    """What FallbackClassifier, then EmergencyFirst, would have decided for each validation message."""
    decided = []
    for row in rows:
        first, second = ([c for _, c in row["ranking"]] + [0.0, 0.0])[:2]
        emergency = dict(row["ranking"]).get(EMERGENCY, 0.0)
        if row["classifier"] == EMERGENCY or emergency >= emergency_min:
            decided.append(EMERGENCY)
        elif first < threshold or first - second < ambiguity:
            decided.append(FALLBACK_INTENT)
        else:
            decided.append(row["classifier"])
    return decided


def tune_emergency(rows: list[dict], threshold: float, ambiguity: float) -> list[dict[str, Any]]:
    """Emergency recall and false alarms on the validation split for each EmergencyFirst min_confidence."""
    table = []
    for emergency_min in EMERGENCY_MIN_CONFIDENCES:
        decided = replay(rows, threshold, ambiguity, emergency_min)
        pairs = list(zip((r["gold"] for r in rows), decided, strict=True))
        emergencies = [d for g, d in pairs if g == EMERGENCY]
        table.append({
            "min_confidence": emergency_min,
            "recall": round(sum(d == EMERGENCY for d in emergencies) / max(1, len(emergencies)), 4),
            "false_alarms": sum(d == EMERGENCY and g != EMERGENCY for g, d in pairs),
            "messages": len(pairs),
        })  # fmt: skip
    return table


def tune(config: Path, examples: list[Example], workdir: Path) -> dict[str, Any]:
    """Every (threshold, ambiguity threshold) pair on one stratified validation split of the training data."""
    train_set, validation = train_test_split(
        examples, test_size=VALIDATION_SHARE, stratify=[label for _, label in examples], random_state=SEED
    )
    model, _ = train(with_fallback_off(config, workdir), train_set, workdir / "tune")
    parsed = predict(model, [text for text, _ in validation])
    rows = []
    for (_, gold), result in zip(validation, parsed, strict=True):
        _, classifier, _ = labels_of(result, is_flat(config))
        ranking = [
            (r["name"], r["confidence"])
            for r in result.get("intent_ranking", [])
            if r["name"] != FALLBACK_INTENT
        ]
        rows.append({"gold": gold, "classifier": classifier, "ranking": ranking})
    gold = [r["gold"] for r in rows]
    table = []
    for threshold in THRESHOLDS:
        for ambiguity in AMBIGUITY_THRESHOLDS:
            scores = Scores.of(gold, replay(rows, threshold, ambiguity), [r["classifier"] for r in rows])
            table.append({"threshold": threshold, "ambiguity_threshold": ambiguity, **asdict(scores)})
    top = max(row["macro_f1"] for row in table)
    best = max(
        (row for row in table if row["macro_f1"] >= top - TIE),
        key=lambda row: (row["threshold"], row["ambiguity_threshold"]),
    )
    emergency = tune_emergency(rows, best["threshold"], best["ambiguity_threshold"])
    chosen = max(emergency, key=lambda row: (row["recall"], -row["false_alarms"], row["min_confidence"]))
    return {
        "validation_examples": len(validation),
        "best": best,
        "emergency_min_confidence": chosen,
        "emergency_table": emergency,
        "table": table,
    }


def is_flat(config: Path) -> bool:
    return bool(yaml.safe_load(config.read_text("utf-8")).get(FLAT_KEY))


# --- The comparison ---------------------------------------------------------------------------------------
def cross_validate(config: Path, examples: list[Example], folds: int, workdir: Path) -> dict[str, Any]:
    """Stratified k-fold: every training example is predicted once by a model that never saw it."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    labels = [label for _, label in examples]
    rows: list[dict] = []
    seconds = []
    for fold, (train_index, test_index) in enumerate(splitter.split(examples, labels)):
        model, took = train(config, [examples[i] for i in train_index], workdir / f"fold{fold}")
        seconds.append(took)
        rows += score(model, [examples[i] for i in test_index], is_flat(config))[1]
    gold = [r["gold"] for r in rows]
    return {
        "scores": asdict(Scores.of(gold, [r["end_to_end"] for r in rows], [r["classifier"] for r in rows])),
        "per_intent_f1": per_intent(gold, [r["end_to_end"] for r in rows]),
        "training_seconds": [round(s, 1) for s in seconds],
    }


def baseline_cross_validation(examples: list[Example], folds: int) -> dict[str, Any]:
    """The baseline on the very same folds as the pipelines (classifier only: it has no fallback)."""
    texts, labels = [text for text, _ in examples], [label for _, label in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    predicted = [str(p) for p in cross_val_predict(baseline_model(), texts, labels, cv=splitter)]
    return {
        "macro_f1": _f1(labels, predicted, sorted(set(labels))),
        "per_intent_f1": per_intent(labels, predicted),
    }


@click.command()
@click.argument("configs", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds; 0 for held-out only.")
@click.option("--out", type=click.Path(path_type=Path), default=RESULTS, show_default=True)
@click.option("--tune", "tune_only", is_flag=True, help="Only tune the fallback thresholds of CONFIGS.")
def main(configs: tuple[Path, ...], folds: int, out: Path, tune_only: bool) -> None:
    """Compare the NLU of CONFIGS (default: config.yml) by cross-validation and on the held-out files."""
    configs = configs or (PROJECT.config,)
    pipeline = str(spacy_pipeline.DEFAULT_OUTPUT.relative_to(PROJECT_ROOT))
    needs_spacy = any(pipeline in config.read_text("utf-8") for config in configs)
    if needs_spacy and spacy_pipeline.main([]) != 0:  # the DIET configurations' SpacyNLP loads it
        raise click.ClickException("could not build the spaCy pipeline the configurations load")
    examples = load_examples(TRAINING)
    results: dict[str, Any] = {"training_examples": len(examples), "configs": {}}
    with tempfile.TemporaryDirectory(prefix="prevent-nlu-") as tmp:
        for config in configs:
            entry: dict[str, Any] = {}
            if tune_only:
                entry["tuning"] = tune(config, examples, Path(tmp) / config.stem)
                results["configs"][config.stem] = entry
                click.echo(f"{config.stem}: best {json.dumps(entry['tuning']['best'])}")
                continue
            model, took = train(config, examples, Path(tmp) / config.stem / "full")
            entry["training_seconds"] = round(took, 1)
            for name, path in HOLDOUTS.items():
                scores, rows = score(model, load_examples(path), is_flat(config))
                entry[name] = asdict(scores)
                entry[f"{name}_errors"] = [r for r in rows if r["end_to_end"] != r["gold"]]
            if folds:
                entry["cross_validation"] = cross_validate(config, examples, folds, Path(tmp) / config.stem)
            results["configs"][config.stem] = entry
            click.echo(f"{config.stem}: {json.dumps({k: v for k, v in entry.items() if 'errors' not in k})}")
    if not tune_only:
        results["baseline_tfidf_logreg"] = {
            name: baseline(examples, load_examples(path)) for name, path in HOLDOUTS.items()
        }
        if folds:
            results["baseline_tfidf_logreg"]["cross_validation"] = baseline_cross_validation(examples, folds)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = out / f"{stamp}.json"
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    if "baseline_tfidf_logreg" in results:
        click.echo(f"baseline: {json.dumps(results['baseline_tfidf_logreg'])}")
    click.echo(f"Wrote {target}")


if __name__ == "__main__":
    main()
