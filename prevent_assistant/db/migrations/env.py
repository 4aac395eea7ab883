"""Alembic environment: migrates the project's tables in the database DATABASE_URL points at."""

from __future__ import annotations

from alembic import context

from prevent_assistant.db import engine_for
from prevent_assistant.db.models import Base
from prevent_assistant.settings import database_url

config = context.config
url = config.attributes.get("url") or database_url()


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Rasa creates and owns its own tables (events); autogenerate must never touch them."""
    return not (type_ == "table" and reflected and name not in Base.metadata.tables)


if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    with engine_for(url).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
