"""`prevent-assistant`: the command staff and call handlers use to work with the assistant's data.

Every command works on the project folder given with --project (default: the current folder): its
settings.yml, its content and training data, its models/ and results/, and, when DATABASE_URL is not set,
its own database var/prevent.db. `main` is a plain click group: a new command group is one
`main.add_command(...)` below.
"""

from __future__ import annotations

from pathlib import Path

import click

from prevent_assistant.cli.common import Cli
from prevent_assistant.cli.console import audit, console, users
from prevent_assistant.cli.content import deploy, test_model, train, validate
from prevent_assistant.cli.data import db, purge
from prevent_assistant.cli.handoffs import handoff
from prevent_assistant.cli.jobs import jobs
from prevent_assistant.cli.reports import review, stats

__all__ = ["main"]


@click.group(cls=Cli)
@click.option(
    "--project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The project folder every command works on: its settings, data, models and (unless DATABASE_URL "
    "is set) its database var/prevent.db.",
)
@click.pass_context
def main(ctx: click.Context, project: Path) -> None:
    """Keep the Prevent assistant's content current and work with its stored data.

    The database is DATABASE_URL (default: var/prevent.db in the project folder).
    """
    ctx.obj = project.resolve()


for command in (
    validate,
    train,
    test_model,
    deploy,
    review,
    stats,
    handoff,
    purge,
    db,
    users,
    audit,
    console,
    jobs,
):
    main.add_command(command)
