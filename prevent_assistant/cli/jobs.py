"""`prevent-assistant jobs ...`: the training jobs staff start from the console's Models page.

`jobs run ID` is what the console starts, one process per job (see staff/jobs/__init__.py for why); an
operator can also run a job queued by a console that stopped before starting it. `jobs list` shows recent
jobs, for a look from the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from prevent_assistant.cli.common import EXIT_NOT_FOUND, database_url, fail
from prevent_assistant.db import training


@click.group()
def jobs() -> None:
    """Training jobs (validate, train, conversation tests, held-out gate) started from the console."""


@jobs.command("run")
@click.argument("job_id", type=int)
@click.pass_obj
def jobs_run(project: Path, job_id: int) -> None:
    """Do a queued job: its step and log go to the console's Models page as it runs."""
    from prevent_assistant.staff.jobs.runner import run_job

    url = database_url(project)
    job = training.get_job(job_id, url=url)
    if job is None:
        fail(f"there is no training job {job_id}", EXIT_NOT_FOUND)
    if job.status != "queued":
        fail(f"training job {job_id} is {job.status}, not queued; start a new one from the console", 2)
    passed = run_job(project, job_id, url)
    click.echo(f"Training job {job_id} {'passed' if passed else 'failed'}.")
    if not passed:
        sys.exit(1)


@jobs.command("list")
@click.pass_obj
def jobs_list(project: Path) -> None:
    """The last ten jobs: number, status, step reached and model."""
    found = training.recent_jobs(10, url=database_url(project))
    if not found:
        click.echo("No training jobs yet. Start one from the console's Models page.")
    for job in found:
        click.echo(
            f"{job.id:>5}  {job.created_at:%Y-%m-%d %H:%M} UTC  {job.status:<8} {job.step or '-':<20} "
            f"{job.model or '-'}"
        )
