"""The project's own database layer (handoffs and retention). Rasa's tracker store shares the database.

Everything that talks to the database goes through this package; SQLAlchemy 1.4 with its 2.0-style API
(`future=True`, `select()`), so the move to SQLAlchemy 2 is a version bump when Rasa allows it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from prevent_assistant.settings import database_url

# What any database failure raises, for code outside this package to catch without importing SQLAlchemy
# (its messages quote SQL and parameters: report the error by its type name only).
DatabaseError = SQLAlchemyError


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One pooled engine per URL for the life of the process."""
    if url.startswith("sqlite"):
        # The Rasa server and the action server write to the same file: wait for the lock, don't fail.
        engine = create_engine(url, future=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_wal)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_wal(connection, _record) -> None:
    connection.execute("PRAGMA journal_mode=WAL")


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    factory = sessionmaker(bind=engine_for(url or database_url()), future=True, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
