"""`python -m bench.reading`: the reading ease and length of every factual answer, as a Markdown table.

The same answers and the same measure as `prevent-assistant validate` (which refuses anything under 60
on the Flesch scale or over 60 words): this prints the figures for the README and for staff rewriting an
answer, lowest first.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import click

from prevent_assistant.paths import PROJECT_ROOT
from prevent_assistant.readability import plain_text, reading_ease
from prevent_assistant.staff.validation.content_rules import factual_variations
from prevent_assistant.staff.validation.project import load_project


@click.command()
@click.option(
    "--project", type=click.Path(exists=True, file_okay=False, path_type=Path), default=PROJECT_ROOT
)
def main(project: Path) -> None:
    loaded, _ = load_project(project)
    rows = sorted(
        (reading_ease(plain_text(text)), len(text.split()), label)
        for _, label, text, _ in factual_variations(loaded)
    )
    click.echo("| answer | words | reading ease |\n| --- | --- | --- |")
    for score, words, label in rows:
        click.echo(f"| `{label}` | {words} | {score:.1f} |")
    scores = [score for score, _, _ in rows]
    lowest, median = min(scores), statistics.median(scores)
    longest = max(words for _, words, _ in rows)
    summary = f"reading ease lowest {lowest:.1f}, median {median:.1f}; longest {longest} words"
    click.echo(f"\n{len(rows)} answers; {summary}.")


if __name__ == "__main__":
    main()
