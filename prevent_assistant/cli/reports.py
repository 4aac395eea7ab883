"""The staff reports: the review inbox and the usage statistics, from the project's stored conversations.

"Unsure" means below the threshold in the project's config.yml, and the myths are those in its
domain.yml, so the reports describe the assistant that project trains; files they write go under it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from prevent_assistant.cli.common import Duration, database_url, paths


@click.command()
@click.option("--since", type=Duration(), default="7d", show_default=True, help="How far back to look.")
@click.option(
    "--export",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write an NLU YAML block (a relative path is in the project folder).",
)
@click.pass_obj
def review(project: Path, since: timedelta, export: Path | None) -> None:
    """Messages the assistant was unsure about, and those that ended in a handoff, by guessed intent."""
    from prevent_assistant.staff.review import export_nlu, fallback_threshold, render_text
    from prevent_assistant.staff.review import review as build_review

    files = paths(project)
    try:
        threshold = fallback_threshold(files.config)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot read the fallback threshold: {error}") from None
    found = build_review(since, url=database_url(project), threshold=threshold)
    click.echo(render_text(found))
    if export:
        target = files.resolve(export)
        target.write_text(export_nlu(found), encoding="utf-8")
        click.echo(
            f"Wrote {target}: label each example, then paste it into the file under data/nlu/ for that topic."
        )


@click.command()
@click.option("--since", type=Duration(), default="30d", show_default=True, help="How far back to look.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("results/stats.png"),
    show_default=True,
    help="Where the PNG chart goes (a relative path is in the project folder).",
)
@click.pass_obj
def stats(project: Path, since: timedelta, chart: Path) -> None:
    """Conversations per day, questions per myth, fallback and handoff rates; also a PNG chart."""
    from prevent_assistant.staff.stats import render_table, write_chart
    from prevent_assistant.staff.stats import stats as build_stats

    files = paths(project)
    found = build_stats(since, url=database_url(project), domain=files.domain)
    click.echo(render_table(found))
    click.echo(f"Chart: {write_chart(found, files.resolve(chart))}")
