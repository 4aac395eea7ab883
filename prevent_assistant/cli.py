"""`prevent-assistant`: the command staff and call handlers use to work with the assistant's data."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from prevent_assistant import settings
from prevent_assistant.db import handoffs as store
from prevent_assistant.db.models import STATUSES, Handoff

EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2
EXIT_DATABASE = 3


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return settings.parse_duration(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class Reference(click.ParamType):
    name = "reference"

    def convert(self, value, param, ctx) -> str:
        try:
            return store.normalise_reference(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


def fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def describe(handoff: Handoff) -> str:
    created = handoff.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"{handoff.reference}  {handoff.status:<9}  {created}  {', '.join(handoff.topics) or '-'}"


class Cli(click.Group):
    """Turns database failures into one plain line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as error:
            fail(f"cannot use the database ({type(error).__name__}); check DATABASE_URL", EXIT_DATABASE)


@click.group(cls=Cli)
@click.option(
    "--project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The project folder whose data validate, train and test work on.",
)
@click.pass_context
def main(ctx: click.Context, project: Path) -> None:
    """Keep the Prevent assistant's content current and work with its stored data.

    The database is DATABASE_URL (default var/prevent.db).
    """
    ctx.obj = project.resolve()


def rasa_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "rasa"), *args]


def problems_found(project: Path) -> bool:
    """Print every content problem, one line each; True when there was at least one."""
    from prevent_assistant.staff.validation import validate as find_problems

    problems = find_problems(project)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found. Fix them, then run this again.", err=True)
    return bool(problems)


@main.command()
@click.pass_obj
def validate(project: Path) -> None:
    """Check the training data and answers: Rasa's validation plus the project's content rules."""
    if problems_found(project):
        sys.exit(1)
    click.echo("No problems found.")


@main.command()
@click.pass_obj
def train(project: Path) -> None:
    """Validate, then train a new model into models/prevent.tar.gz (refuses if validation fails)."""
    if problems_found(project):
        click.echo("Not training: the data has problems (listed above).", err=True)
        sys.exit(1)
    click.echo("Data is valid. Training (about a minute)...")
    command = rasa_command("train", "--fixed-model-name", "prevent", "--out", "models")
    code = subprocess.call(command, cwd=project, env=settings.rasa_environment())
    if code != 0:
        fail("training failed; the messages above say why", code)
    click.echo(f"Model ready: {project / 'models' / 'prevent.tar.gz'}")


@main.command("test")
@click.option("--model", type=click.Path(path_type=Path), default=Path("models/prevent.tar.gz"))
@click.option(
    "--out", type=click.Path(path_type=Path), default=Path("results"), help="Where the report goes."
)
@click.pass_obj
def test_model(project: Path, model: Path, out: Path) -> None:
    """Conversation tests, then NLU on the held-out messages; writes results/report.md."""
    import asyncio
    import logging

    from prevent_assistant import evaluation
    from prevent_assistant.staff.report import markdown, write_confusion_matrix

    model, out = project / model, project / out
    if not model.exists():
        fail(f"no model at {model}; run `prevent-assistant train` first", EXIT_NOT_FOUND)
    stories = subprocess.call(
        rasa_command("test", "core", "--e2e", "--model", str(model), "--stories", "tests/test_stories.yml",
                     "--fail-on-prediction-errors", "--out", str(out / "stories")),
        cwd=project, env=settings.rasa_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    click.echo("Conversation tests: " + ("passed" if stories == 0 else f"FAILED (see {out / 'stories'})"))

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    examples = evaluation.load_examples(project / "tests" / "nlu_holdout.yml")
    result = asyncio.run(evaluation.evaluate(agent, examples))
    threshold = settings.holdout_macro_f1_threshold()
    picture = write_confusion_matrix(result, out / "confusion_matrix.png")
    report = out / "report.md"
    report.write_text(markdown(result, threshold, picture), encoding="utf-8")
    macro = result.macro_f1(result.end_to_end)
    click.echo(f"Held-out intent macro-F1: {macro:.3f} (threshold {threshold:.2f}). Report: {report}")
    if stories != 0 or macro < threshold:
        sys.exit(1)


@main.command()
@click.option(
    "--model", type=click.Path(dir_okay=False, path_type=Path), help="Default: the newest in models/."
)
@click.option("--server", default="http://127.0.0.1:5005", show_default=True, help="The running Rasa server.")
@click.pass_obj
def deploy(project: Path, model: Path | None, server: str) -> None:
    """Load a trained model into the running server, with no restart and no dropped messages."""
    from prevent_assistant.staff.deploy import DeployError, api_token, newest_model
    from prevent_assistant.staff.deploy import deploy as load_model

    try:
        chosen = project / model if model else newest_model(project / "models")
        if not chosen.exists():
            raise DeployError(f"no model at {chosen}")
        click.echo(f"Loading {chosen.name} into {server} (the assistant keeps answering meanwhile)...")
        model_id = load_model(chosen, server.rstrip("/"), api_token())
    except DeployError as error:
        fail(str(error), EXIT_BAD_INPUT)
    click.echo(f"Deployed: the assistant now runs model {model_id}.")


@main.command()
@click.option("--since", type=Duration(), default="7d", show_default=True, help="How far back to look.")
@click.option(
    "--export", type=click.Path(dir_okay=False, path_type=Path), help="Also write an NLU YAML block."
)
def review(since: timedelta, export: Path | None) -> None:
    """Messages the assistant was unsure about, and those that ended in a handoff, by guessed intent."""
    from prevent_assistant.staff.review import export_nlu, render_text
    from prevent_assistant.staff.review import review as build_review

    found = build_review(since)
    click.echo(render_text(found))
    if export:
        export.write_text(export_nlu(found), encoding="utf-8")
        click.echo(
            f"Wrote {export}: label each example, then paste it into the file under data/nlu/ for that topic."
        )


@main.command()
@click.option("--since", type=Duration(), default="30d", show_default=True, help="How far back to look.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), default=Path("results/stats.png"))
def stats(since: timedelta, chart: Path) -> None:
    """Conversations per day, questions per myth, fallback and handoff rates; also a PNG chart."""
    from prevent_assistant.staff.stats import render_table, write_chart
    from prevent_assistant.staff.stats import stats as build_stats

    found = build_stats(since)
    click.echo(render_table(found))
    chart.parent.mkdir(parents=True, exist_ok=True)
    click.echo(f"Chart: {write_chart(found, chart)}")


@main.group()
def handoff() -> None:
    """Look up and close conversations handed to the ACT Early Support Line."""


@handoff.command("show")
@click.argument("reference", type=Reference())
def handoff_show(reference: str) -> None:
    """Print a handoff and its redacted transcript, as the call handler needs it."""
    try:
        record = store.get_handoff(reference)
    except store.UnknownReference:
        fail(f"no handoff with reference {reference} (it may have been closed and purged)", EXIT_NOT_FOUND)
    click.echo(f"Reference:  {record.reference}")
    click.echo(f"Status:     {record.status}")
    click.echo(f"Created:    {record.created_at:%Y-%m-%d %H:%M} UTC")
    click.echo(f"Channel:    {record.channel or '-'}")
    click.echo(f"Topics:     {', '.join(record.topics) or '-'}")
    click.echo("Transcript (personal details removed):")
    for line in record.transcript:
        click.echo(f"  {'Person' if line['speaker'] == 'person' else 'Assistant'}: {line['text']}")


@handoff.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only handoffs with this status.")
def handoff_list(status: str | None) -> None:
    """List handoffs, newest first."""
    records = store.list_handoffs(status)
    if not records:
        click.echo("No handoffs" + (f" with status {status}." if status else "."))
    for record in records:
        click.echo(describe(record))


def _set_status(reference: str, status: str) -> None:
    try:
        record = store.set_status(reference, status)
    except store.UnknownReference:
        fail(f"no handoff with reference {reference}", EXIT_NOT_FOUND)
    click.echo(f"{record.reference} is now {record.status.replace('_', ' ')}.")


@handoff.command("pick-up")
@click.argument("reference", type=Reference())
def handoff_pick_up(reference: str) -> None:
    """Mark a handoff as picked up by a call handler."""
    _set_status(reference, "picked_up")


@handoff.command("close")
@click.argument("reference", type=Reference())
def handoff_close(reference: str) -> None:
    """Close a handoff; closed handoffs are deleted once past the retention period."""
    _set_status(reference, "closed")


@main.command()
@click.option(
    "--older-than",
    type=Duration(),
    default=None,
    help="Delete what is older than this (30d, 12h, 2w). Default: `retention` in settings.yml.",
)
def purge(older_than: timedelta | None) -> None:
    """Delete conversations and closed handoffs past the retention period. Safe to run repeatedly."""
    from prevent_assistant.db.retention import purge as run_purge

    report = run_purge(older_than or settings.retention())
    click.echo(
        f"Deleted {report.conversations} conversation(s) ({report.events} event(s)) and "
        f"{report.handoffs} closed handoff(s) from before {report.cutoff:%Y-%m-%d %H:%M} UTC."
    )


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations (make run does this on start)."""
    from prevent_assistant.db.migrate import upgrade

    upgrade()
    click.echo("Database is up to date.")


if __name__ == "__main__":
    main()
