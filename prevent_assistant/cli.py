"""`prevent-assistant`: the command staff and call handlers use to work with the assistant's data."""

from __future__ import annotations

import sys
from datetime import timedelta

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
def main() -> None:
    """Work with the Prevent assistant's stored data (database: DATABASE_URL, default var/prevent.db)."""


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
