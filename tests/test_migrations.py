"""The migrations build exactly the tables `db/models.py` describes, on SQLite and on PostgreSQL, and undo
cleanly: a model changed without its migration (or the reverse) fails here, not in production."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, Table, inspect

from prevent_assistant.db import engine_for
from prevent_assistant.db.migrate import alembic_config, upgrade
from prevent_assistant.db.models import Base


def differences(url: str) -> list:
    """What autogenerate would write to bring the database in line with the models (empty: in step)."""
    with engine_for(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            difference
            for difference in compare_metadata(context, Base.metadata)
            # Foreign keys SQLite cannot add to an existing table (0002 explains) are not a drift.
            if not (url.startswith("sqlite") and difference[0] == "add_fk")
        ]


def test_the_migrated_schema_matches_the_models(database):
    upgrade(database)
    assert differences(database) == []


def test_every_migration_undoes_and_redoes(database):
    upgrade(database)
    command.downgrade(alembic_config(database), "base")
    assert set(inspect(engine_for(database)).get_table_names()) <= {"alembic_version"}
    upgrade(database)
    assert set(Base.metadata.tables) <= set(inspect(engine_for(database)).get_table_names())


def test_the_check_finds_a_model_the_migrations_lack(database):
    upgrade(database)
    extra = Table("not_migrated", Base.metadata, Column("id", Integer, primary_key=True))
    try:
        assert [difference[0] for difference in differences(database)] == ["add_table"]
    finally:
        Base.metadata.remove(extra)
