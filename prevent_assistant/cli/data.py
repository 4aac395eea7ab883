"""Looking after the stored data: the retention purge and the database schema."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from prevent_assistant import settings
from prevent_assistant.cli.common import Duration, database_url


@click.command()
@click.option(
    "--older-than",
    type=Duration(),
    default=None,
    help="Delete what is older than this (30d, 12h, 2w). Default: `retention` in the project's settings.yml.",
)
@click.pass_obj
def purge(project: Path, older_than: timedelta | None) -> None:
    """Delete conversations and closed handoffs past the retention period, and console audit entries past
    theirs (console.audit_retention) and ended console sessions. Safe to run repeatedly."""
    from prevent_assistant.console import config as console_config
    from prevent_assistant.db.retention import purge as run_purge

    period = older_than or settings.retention(project)
    report = run_purge(period, url=database_url(project), console=console_config.retention(project))
    click.echo(
        f"Deleted {report.conversations} conversation(s) ({report.events} event(s)) and "
        f"{report.handoffs} closed handoff(s) from before {report.cutoff:%Y-%m-%d %H:%M} UTC, "
        f"{report.audit_entries} audit entr{'y' if report.audit_entries == 1 else 'ies'} past the audit "
        f"log's retention and {report.sessions} ended console session(s)."
    )


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(project: Path) -> None:
    """Apply all database migrations (make run does this on start)."""
    from prevent_assistant.db.migrate import upgrade

    url = database_url(project)
    upgrade(url)
    click.echo("Database is up to date.")
