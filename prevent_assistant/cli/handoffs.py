"""`prevent-assistant handoff ...`: call handlers look up and close conversations handed to them.

The console's handoff pages are the call handlers' way in; these commands are for whoever runs the server.
Their status changes go into the handoff's history like the console's, shown as made on the command line.
"""

from __future__ import annotations

from pathlib import Path

import click

from prevent_assistant.cli.common import EXIT_BAD_INPUT, EXIT_NOT_FOUND, Reference, database_url, fail
from prevent_assistant.db import handoffs as store
from prevent_assistant.db.handoff_history import history
from prevent_assistant.db.models import STATUSES, Handoff

# Who did a step with no staff account: the person (sharing it, in the chat), else the command line.
_NO_ACCOUNT = {"shared": "the person"}


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
    click.echo("History (UTC):")
    for step in history(record.id, url=database_url(project)):
        who = step.account_name or _NO_ACCOUNT.get(step.kind, "command line")
        detail = f": {step.detail}" if step.detail else ""
        click.echo(f"  {step.at:%Y-%m-%d %H:%M}  {step.kind.replace('_', ' ')}{detail} ({who})")


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


def _set_status(project: Path, reference: str, status: str, outcome: str | None = None) -> None:
    try:
        record = store.set_status(reference, status, url=database_url(project), outcome=outcome)
    except store.UnknownReference:
        fail(f"no handoff with reference {reference}", EXIT_NOT_FOUND)
    except store.HandoffStateError as refused:
        if refused.reason == "already_closed":
            fail(f"{reference} is already closed", EXIT_BAD_INPUT)
        choices = ", ".join(store.outcome_labels())
        fail(f"'{outcome}' is not an outcome; use one of {choices} (content/outcomes.yml)", EXIT_BAD_INPUT)
    click.echo(f"{record.reference} is now {record.status.replace('_', ' ')}.")


@handoff.command("pick-up")
@click.argument("reference", type=Reference())
@click.pass_obj
def handoff_pick_up(project: Path, reference: str) -> None:
    """Mark a handoff as picked up by a call handler."""
    _set_status(project, reference, "picked_up")


@handoff.command("close")
@click.argument("reference", type=Reference())
@click.option("--outcome", metavar="KEY", help="How it ended: a key of content/outcomes.yml.")
@click.pass_obj
def handoff_close(project: Path, reference: str, outcome: str | None) -> None:
    """Close a handoff; closed handoffs are deleted once past the retention period."""
    _set_status(project, reference, "closed", outcome)
