"""`prevent-assistant handoff ...`: call handlers look up and close conversations handed to them."""

from __future__ import annotations

from pathlib import Path

import click

from prevent_assistant.cli.common import EXIT_NOT_FOUND, Reference, database_url, fail
from prevent_assistant.db import handoffs as store
from prevent_assistant.db.models import STATUSES, Handoff


def describe(handoff: Handoff) -> str:
    created = handoff.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"{handoff.reference}  {handoff.status:<9}  {created}  {', '.join(handoff.topics) or '-'}"


@click.group()
def handoff() -> None:
    """Look up and close conversations handed to the ACT Early Support Line."""


@handoff.command("show")
@click.argument("reference", type=Reference())
@click.pass_obj
def handoff_show(project: Path, reference: str) -> None:
    """Print a handoff and its redacted transcript, as the call handler needs it."""
    try:
        record = store.get_handoff(reference, url=database_url(project))
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
@click.pass_obj
def handoff_list(project: Path, status: str | None) -> None:
    """List handoffs, newest first."""
    records = store.list_handoffs(status, url=database_url(project))
    if not records:
        click.echo("No handoffs" + (f" with status {status}." if status else "."))
    for record in records:
        click.echo(describe(record))


def _set_status(project: Path, reference: str, status: str) -> None:
    try:
        record = store.set_status(reference, status, url=database_url(project))
    except store.UnknownReference:
        fail(f"no handoff with reference {reference}", EXIT_NOT_FOUND)
    click.echo(f"{record.reference} is now {record.status.replace('_', ' ')}.")


@handoff.command("pick-up")
@click.argument("reference", type=Reference())
@click.pass_obj
def handoff_pick_up(project: Path, reference: str) -> None:
    """Mark a handoff as picked up by a call handler."""
    _set_status(project, reference, "picked_up")


@handoff.command("close")
@click.argument("reference", type=Reference())
@click.pass_obj
def handoff_close(project: Path, reference: str) -> None:
    """Close a handoff; closed handoffs are deleted once past the retention period."""
    _set_status(project, reference, "closed")
