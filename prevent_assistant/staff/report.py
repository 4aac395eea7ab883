"""The NLU report `prevent-assistant test` writes: per-intent scores, worst confusions, confusion matrix.

Staff read it to see what a change did to understanding, so it is short markdown plus one picture.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from sklearn.metrics import classification_report, confusion_matrix

from prevent_assistant.evaluation import Evaluation

WORST_CONFUSIONS = 10


def write_confusion_matrix(evaluation: Evaluation, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted(set(evaluation.gold) | set(evaluation.end_to_end))
    matrix = confusion_matrix(evaluation.gold, evaluation.end_to_end, labels=labels)
    figure, axes = plt.subplots(figsize=(11, 9))
    image = axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted intent")
    axes.set_ylabel("correct intent")
    axes.set_title("Held-out messages: correct vs predicted intent")
    for row, column in zip(*matrix.nonzero(), strict=True):
        colour = "white" if matrix[row, column] > matrix.max() / 2 else "black"
        axes.text(column, row, matrix[row, column], ha="center", va="center", fontsize=7, color=colour)
    figure.colorbar(image)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def markdown(evaluation: Evaluation, threshold: float, picture: Path) -> str:
    """Per-intent precision/recall/F1 and the most frequent confusions, with the pass/fail verdict first."""
    macro = evaluation.macro_f1(evaluation.end_to_end)
    scores = classification_report(
        evaluation.gold,
        evaluation.end_to_end,
        labels=sorted(set(evaluation.gold)),
        output_dict=True,
        zero_division=0,
    )
    verdict = "PASS" if macro >= threshold else "FAIL"
    lines = [
        "# NLU report on the held-out messages",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {len(evaluation.gold)} messages.",
        "",
        f"**{verdict}**: intent macro-F1 {macro:.3f} (threshold {threshold:.2f}; "
        f"classifier alone {evaluation.macro_f1(evaluation.classifier):.3f}).",
        "",
        "| intent | precision | recall | F1 | messages |",
        "| --- | --- | --- | --- | --- |",
    ]
    for intent in sorted(set(evaluation.gold)):
        row = scores[intent]
        lines.append(
            f"| {intent} | {row['precision']:.2f} | {row['recall']:.2f} | {row['f1-score']:.2f} "
            f"| {int(row['support'])} |"
        )
    confusions = Counter((g, p) for _, g, p in evaluation.errors(evaluation.end_to_end))
    lines += ["", "## Worst confusions", ""]
    if not confusions:
        lines.append("None: every held-out message got its intent.")
    for (gold, predicted), count in confusions.most_common(WORST_CONFUSIONS):
        examples = [t for t, g, p in evaluation.errors(evaluation.end_to_end) if (g, p) == (gold, predicted)]
        lines.append(f"- {count}× **{gold}** taken for **{predicted}**, e.g. “{examples[0]}”")
    lines += ["", f"![Confusion matrix]({picture.name})", ""]
    return "\n".join(lines)
