"""What every `prevent-assistant` command shares: exit codes, parameter types, plain-language failures,
and the project folder given with --project."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

import click

from prevent_assistant import settings
from prevent_assistant.console.credentials import PasswordRejected
from prevent_assistant.db import DatabaseError
from prevent_assistant.db.accounts import AccountError
from prevent_assistant.db.handoffs import normalise_reference
from prevent_assistant.paths import ProjectPaths

EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2
EXIT_DATABASE = 3


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return settings.parse_duration(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


class Reference(click.ParamType):
    name = "reference"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return normalise_reference(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class Cli(click.Group):
    """Turns database failures and refused account requests into one plain line and a non-zero exit, never
    a traceback (and never the SQL or the parameters SQLAlchemy's message would quote)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (AccountError, PasswordRejected) as error:
            fail(str(error), EXIT_BAD_INPUT)
        except DatabaseError as error:
            fail(
                f"cannot use the database ({type(error).__name__}); check DATABASE_URL, "
                "or run `prevent-assistant db upgrade` on a new database",
                EXIT_DATABASE,
            )


def paths(project: Path) -> ProjectPaths:
    """The files of the project a command was given (the `--project` folder, resolved)."""
    return ProjectPaths(project)


def database_url(project: Path) -> str:
    """DATABASE_URL if set, else the project's own var/prevent.db."""
    return settings.database_url(project)
