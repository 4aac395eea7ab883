"""The console's commands: `users ...` (staff accounts), `audit` (the audit log) and `console` (serve it).

Like every command, they work on the `--project` folder: its settings.yml `console:` section and, unless
DATABASE_URL is set, its database. A rejected name or password is one plain line and exit 2 (common.Cli).
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import click

from prevent_assistant.cli.common import EXIT_BAD_INPUT, Duration, database_url, fail, paths
from prevent_assistant.console import config, credentials
from prevent_assistant.db import accounts
from prevent_assistant.db import audit as audit_log
from prevent_assistant.db.models import ROLES, utc_now
from prevent_assistant.settings import DATABASE_URL_VARIABLE

# The command line has no address; the audit log says where a change came from.
CLI_ADDRESS = "cli"


def read_password(name: str, from_stdin: bool) -> str:
    """One line from standard input, or a hidden prompt typed twice; checked against the rules."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True, err=True)
    credentials.check_password(password, name)
    return password


@click.group()
def users() -> None:
    """Console accounts: add, list, disable, reset a password."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def users_add(project: Path, name: str, role: str, password_stdin: bool) -> None:
    """Add a console account. Its owner sets up two-step sign-in at their first sign-in."""
    url = database_url(project)
    name = accounts.check_name(name)
    if accounts.find_account(name, url=url) is not None:
        fail(f"there is already an account called {name}", EXIT_BAD_INPUT)
    password = read_password(name, password_stdin)
    account = accounts.create_account(name, role, credentials.hash_password(password), url=url)
    audit_log.record("account_created", subject=f"{account.name} ({role})", address=CLI_ADDRESS, url=url)
    click.echo(f"Added {account.name} ({role}). They sign in at the console and set up two-step sign-in.")


@users.command("list")
@click.pass_obj
def users_list(project: Path) -> None:
    """List console accounts."""
    found = accounts.list_accounts(url=database_url(project))
    if not found:
        click.echo("No accounts yet. Add one: prevent-assistant users add NAME --role admin")
    for account in found:
        state = "disabled" if account.disabled else "active"
        two_step = "two-step set up" if account.totp_secret else "two-step not set up"
        click.echo(f"{account.name:<24} {account.role:<8} {state:<9} {two_step}")


@users.command("disable")
@click.argument("name")
@click.pass_obj
def users_disable(project: Path, name: str) -> None:
    """Disable an account; it is signed out everywhere at once."""
    url = database_url(project)
    account = accounts.disable_account(name, url=url)
    audit_log.record("account_disabled", subject=account.name, address=CLI_ADDRESS, url=url)
    click.echo(f"Disabled {account.name}; its sessions have ended.")


@users.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@click.pass_obj
def users_reset_password(project: Path, name: str, password_stdin: bool) -> None:
    """Set a temporary password. The person must replace it at their next sign-in, and sets up two-step
    sign-in again (the path back in after a lost phone); their sessions end."""
    url = database_url(project)
    account = accounts.require_account(name, url=url)
    password = read_password(account.name, password_stdin)
    accounts.reset_credentials(account.name, credentials.hash_password(password), url=url)
    audit_log.record("account_password_reset", subject=account.name, address=CLI_ADDRESS, url=url)
    click.echo(
        f"Reset {account.name}: at their next sign-in they set up two-step sign-in again "
        "and choose their own password."
    )


@click.command()
@click.option(
    "--since", type=Duration(), default="7d", show_default=True, help="How far back (30m, 24h, 7d)."
)
@click.option("--account", help="Only entries for this account name.")
@click.option("--action", type=click.Choice(audit_log.ACTIONS), help="Only this action.")
@click.pass_obj
def audit(project: Path, since: timedelta, account: str | None, action: str | None) -> None:
    """Print the console's audit log, oldest first (sign-ins, account changes, views of handoffs)."""
    url = database_url(project)
    query = audit_log.AuditQuery(
        since=utc_now() - since, account=accounts.normalise_name(account) if account else None, action=action
    )
    found = list(reversed(audit_log.entries(query, url=url)))
    if not found:
        click.echo("No audit entries in that period.")
    for entry in found:
        outcome = "ok" if entry.succeeded else "FAILED"
        click.echo(
            f"{entry.at:%Y-%m-%d %H:%M:%S} UTC  {entry.action:<24} {entry.account_name or '-':<20} "
            f"{entry.subject or '-':<24} {entry.address or '-':<16} {outcome}"
        )


@click.command()
@click.option("--host", help="Interface to listen on (default: console.host in settings.yml, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: console.port in settings.yml, 5006).")
@click.pass_obj
def console(project: Path, host: str | None, port: int | None) -> None:
    """Serve the call handlers' console (a separate, internal web app; never put it on the public proxy)."""
    from prevent_assistant.console.app import create_app

    settings = config.console_settings(project)
    host, port = host or str(settings["host"]), port or int(settings["port"])
    url = database_url(project)
    accounts.list_accounts(url=url)  # fails here, in one line, if the database or its tables are missing
    # The app reads its settings and database as the other console processes do, from the environment:
    # point both at this project unless they are set already.
    os.environ.setdefault(DATABASE_URL_VARIABLE, url)
    os.environ.setdefault(config.CONSOLE_SETTINGS_VARIABLE, str(paths(project).settings))
    click.echo(f"The console is at http://{host}:{port}/ (Ctrl+C stops it).")
    create_app(project=project).run(host=host, port=port, access_log=False, motd=False)
