"""Apply the Alembic migrations programmatically (used by `prevent-assistant db upgrade` and `make run`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from prevent_assistant.paths import PROJECT
from prevent_assistant.settings import database_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT.alembic_ini))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url or database_url()
    return config


def upgrade(url: str | None = None) -> None:
    command.upgrade(alembic_config(url), "head")
