"""Commands for the content staff edit: validate it, train a model on it, test the model, deploy it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from prevent_assistant import settings
from prevent_assistant.cli.common import EXIT_BAD_INPUT, EXIT_NOT_FOUND, fail, paths
from prevent_assistant.paths import MODEL_NAME


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


@click.command()
@click.pass_obj
def validate(project: Path) -> None:
    """Check the training data and answers: Rasa's validation plus the project's content rules."""
    if problems_found(project):
        sys.exit(1)
    click.echo("No problems found.")


@click.command()
@click.pass_obj
def train(project: Path) -> None:
    """Validate, then train a new model into models/prevent.tar.gz (refuses if validation fails)."""
    if problems_found(project):
        click.echo("Not training: the data has problems (listed above).", err=True)
        sys.exit(1)
    click.echo("Data is valid. Training (about a minute)...")
    files = paths(project)
    command = rasa_command("train", "--fixed-model-name", MODEL_NAME, "--out", str(files.models_dir))
    code = subprocess.call(command, cwd=project, env=settings.rasa_environment())
    if code != 0:
        fail("training failed; the messages above say why", code)
    click.echo(f"Model ready: {files.model}")


@click.command("test")
@click.option("--model", type=click.Path(path_type=Path), help="Default: models/prevent.tar.gz.")
@click.option("--out", type=click.Path(path_type=Path), help="Where the report goes. Default: results/.")
@click.pass_obj
def test_model(project: Path, model: Path | None, out: Path | None) -> None:
    """Conversation tests, then NLU on the held-out messages; writes results/report.md."""
    import asyncio
    import logging

    from prevent_assistant import evaluation
    from prevent_assistant.staff.report import markdown, write_confusion_matrix

    files = paths(project)
    model = files.resolve(model) if model else files.model
    out = files.resolve(out) if out else files.results_dir
    if not model.exists():
        fail(f"no model at {model}; run `prevent-assistant train` first", EXIT_NOT_FOUND)
    stories = subprocess.call(
        rasa_command("test", "core", "--e2e", "--model", str(model), "--stories", str(files.test_stories),
                     "--fail-on-prediction-errors", "--out", str(out / "stories")),
        cwd=project, env=settings.rasa_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    click.echo("Conversation tests: " + ("passed" if stories == 0 else f"FAILED (see {out / 'stories'})"))

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    examples = evaluation.load_examples(files.nlu_holdout)
    result = asyncio.run(evaluation.evaluate(agent, examples))
    threshold = settings.holdout_macro_f1_threshold(project)
    picture = write_confusion_matrix(result, out / "confusion_matrix.png")
    report = out / "report.md"
    report.write_text(markdown(result, threshold, picture), encoding="utf-8")
    macro = result.macro_f1(result.end_to_end)
    click.echo(f"Held-out intent macro-F1: {macro:.3f} (threshold {threshold:.2f}). Report: {report}")
    if stories != 0 or macro < threshold:
        sys.exit(1)


@click.command()
@click.option(
    "--model", type=click.Path(dir_okay=False, path_type=Path), help="Default: the newest in models/."
)
@click.option("--server", default="http://127.0.0.1:5005", show_default=True, help="The running Rasa server.")
@click.pass_obj
def deploy(project: Path, model: Path | None, server: str) -> None:
    """Load a trained model into the running server, with no restart and no dropped messages."""
    from prevent_assistant.staff.deploy import DeployError, api_token, newest_model
    from prevent_assistant.staff.deploy import deploy as load_model

    files = paths(project)
    try:
        chosen = files.resolve(model) if model else newest_model(files.models_dir)
        if not chosen.exists():
            raise DeployError(f"no model at {chosen}")
        click.echo(f"Loading {chosen.name} into {server} (the assistant keeps answering meanwhile)...")
        model_id = load_model(chosen, server.rstrip("/"), api_token(files.api_token_file))
    except DeployError as error:
        fail(str(error), EXIT_BAD_INPUT)
    click.echo(f"Deployed: the assistant now runs model {model_id}.")
