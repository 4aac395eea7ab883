"""Tables the project owns. Schema changes go through an Alembic migration in db/migrations/versions."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()

STATUSES = ("new", "picked_up", "closed")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Handoff(Base):
    """A conversation handed to the ACT Early Support Line, looked up by the reference the person quotes."""

    __tablename__ = "handoffs"
    __table_args__ = (CheckConstraint(f"status IN {STATUSES}", name="ck_handoffs_status"),)

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, onupdate=utc_now)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    # Intents the conversation touched, in order of first appearance.
    topics = Column(JSON, nullable=False, default=list)
    status = Column(String(16), nullable=False, default="new", index=True)
    # Last turns, already redacted: [{"speaker": "person" | "assistant", "text": str}]
    transcript = Column(JSON, nullable=False, default=list)
