"""Tables the project owns. Schema changes go through an Alembic migration in db/migrations/versions."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base

# Typed Any: SQLAlchemy 1.4's declarative base is built at run time, and its mypy plugin needs the
# sqlalchemy2-stubs package, which Rasa's pins leave out.
Base: Any = declarative_base()

STATUSES = ("new", "picked_up", "closed")
ROLES = ("handler", "editor", "admin")
# What can happen to a handoff, as its history shows it. "shared": the person chose to share it with the
# call handler (the consent step in the chat); "note": a call handler's note, redacted before it is stored.
EVENT_KINDS = ("shared", "picked_up", "note", "closed", "reopened")


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
    # The call handler who picked it up, and how it was closed (a key of content/outcomes.yml).
    assigned_to = Column(Integer, ForeignKey("accounts.id"), nullable=True)
    outcome = Column(String(64), nullable=True)


class HandoffEvent(Base):
    """One step in a handoff's history, oldest first. Deleted with its handoff (retention, or the person
    deleting the conversation): notes hold what a caller said and follow the handoff's retention."""

    __tablename__ = "handoff_events"
    __table_args__ = (CheckConstraint(f"kind IN {EVENT_KINDS}", name="ck_handoff_events_kind"),)

    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    kind = Column(String(16), nullable=False)
    # None: the person in the chat (kind "shared"); otherwise the staff account that did it.
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=True)
    # A note's text (redacted), or a closing outcome's key.
    detail = Column(Text, nullable=True)


class Account(Base):
    """A staff account for the console. The password is stored only as an Argon2 hash, the TOTP secret
    only once enrolled; recovery codes only as hashes, each usable once."""

    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="ck_accounts_role"),)

    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False, unique=True)
    role = Column(String(16), nullable=False)
    password_hash = Column(String(255), nullable=False)
    totp_secret = Column(String(64), nullable=True)
    # The time step of the last code accepted: a code is refused once used, so one seen over a shoulder or
    # caught by a phishing page cannot be replayed within its 30 seconds.
    totp_last_counter = Column(Integer, nullable=True)
    recovery_code_hashes = Column(JSON, nullable=False, default=list)
    disabled = Column(Boolean, nullable=False, default=False)
    # Set by a password reset: the temporary password opens only the page that replaces it.
    must_change_password = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)


class ConsoleSession(Base):
    """A signed-in browser, kept server-side so several console instances share it and logout is real.
    The cookie holds a random token; only its SHA-256 is stored, so a copy of the table signs no one in."""

    __tablename__ = "console_sessions"

    token_hash = Column(String(64), primary_key=True)
    account_id = Column(Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    # False between the password and the second factor: such a session opens no page but the TOTP step.
    two_factor_done = Column(Boolean, nullable=False, default=False)
    csrf_token = Column(String(64), nullable=False)
    # During first-login enrolment: the TOTP secret shown to the person, kept here (not in a form field)
    # until they confirm it with a code; then it moves to the account.
    pending_totp_secret = Column(String(64), nullable=True)


class AuditEntry(Base):
    """Append-only: who did what, when and from where. Nothing updates a row; only the audit log's own
    retention setting deletes old ones. The account's name is copied so the entry outlives a rename."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=True)
    account_name = Column(String(64), nullable=True)  # as typed, for failed logins too
    action = Column(String(64), nullable=False, index=True)  # e.g. login_failed, handoff_viewed
    subject = Column(String(255), nullable=True)  # e.g. a handoff reference or an account name
    address = Column(String(64), nullable=True)
    succeeded = Column(Boolean, nullable=False, default=True)


CHANGE_KINDS = ("response", "clip", "examples", "conversation_test", "story")
CHANGE_STATUSES = ("pending", "approved", "rejected", "reverted")


class ContentChange(Base):
    """A change to the answers, clips or training examples proposed in the console. It takes effect (is
    written to the project's files, and committed when the project is a git repository) only once another
    editor or an admin approves it; `payload` holds the proposed content, `previous` what it replaces."""

    __tablename__ = "content_changes"
    __table_args__ = (
        CheckConstraint(f"kind IN {CHANGE_KINDS}", name="ck_content_changes_kind"),
        CheckConstraint(f"status IN {CHANGE_STATUSES}", name="ck_content_changes_status"),
    )

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    author_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    kind = Column(String(32), nullable=False)  # "conversation_test" is 17 characters
    target = Column(String(255), nullable=False)  # a response name, a clip's myth, an intent or topic
    summary = Column(String(255), nullable=False)
    payload = Column(JSON, nullable=False)
    previous = Column(JSON, nullable=True)
    status = Column(String(16), nullable=False, default="pending", index=True)
    reviewer_id = Column(Integer, ForeignKey("accounts.id"), nullable=True)
    reviewed_at = Column(DateTime(timezone=True), nullable=True)
    commit = Column(String(64), nullable=True)  # the git commit that applied it, when there is one
    # A revert is a change like any other (it needs approval too); this names the change it undoes.
    reverts_id = Column(Integer, ForeignKey("content_changes.id"), nullable=True)


JOB_STATUSES = ("queued", "running", "passed", "failed")


# The statuses of a job that is not finished: at most one job may hold each (one partial unique index), and
# the console refuses a new job while any job holds one, so jobs run one at a time across console instances.
ACTIVE_JOB_STATUSES = ("queued", "running")


class TrainingJob(Base):
    """One run of validate -> train -> conversation tests -> held-out gate, started from the console. One
    runs at a time; its log is kept with it so the page can show progress and why a gate failed."""

    __tablename__ = "training_jobs"
    __table_args__ = (
        CheckConstraint(f"status IN {JOB_STATUSES}", name="ck_training_jobs_status"),
        Index(
            "uq_training_jobs_active",
            "status",
            unique=True,
            postgresql_where=text(f"status IN {ACTIVE_JOB_STATUSES}"),
            sqlite_where=text(f"status IN {ACTIVE_JOB_STATUSES}"),
        ),
    )

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    status = Column(String(16), nullable=False, default="queued", index=True)
    step = Column(String(32), nullable=True)  # validate, train, conversation tests, held-out gate
    started_at = Column(DateTime(timezone=True), nullable=True)
    finished_at = Column(DateTime(timezone=True), nullable=True)
    # Moved on by the job's process every few seconds while it lives: a queued or running job whose
    # heartbeat stopped (its process was killed) is marked failed, so it cannot block every later job.
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    model = Column(String(255), nullable=True)  # the model file it made, relative to the project
    log = Column(Text, nullable=False, default="")


class Deployment(Base):
    """A model put live from the console (or rolled back to): who, when and which model."""

    __tablename__ = "deployments"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    model = Column(String(255), nullable=False)
    job_id = Column(Integer, ForeignKey("training_jobs.id"), nullable=True)
    rolled_back_from = Column(Integer, ForeignKey("deployments.id"), nullable=True)


DECISIONS = ("confirmed", "chosen", "dismissed")


class ReviewDecision(Base):
    """What an editor decided about one message in the review inbox: the model's guess was right, another
    topic was right, or it is not worth teaching (dismissed). A decided message leaves the inbox. Keyed by
    Rasa's stored event (its id and conversation, so an id SQLite hands out again after retention cannot
    hide a new message); it holds no message text, only who, when, what and the change it proposed."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        CheckConstraint(f"decision IN {DECISIONS}", name="ck_review_decisions_decision"),
        UniqueConstraint("event_id", "sender_id", name="uq_review_decisions_event"),
    )

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, nullable=False)  # Rasa's events.id: not a foreign key, the table is Rasa's
    sender_id = Column(String(255), nullable=False)
    sent_at = Column(Float, nullable=False)  # the message's Unix time, as Rasa stores it
    decided_at = Column(DateTime(timezone=True), nullable=False, default=utc_now, index=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    decision = Column(String(16), nullable=False)
    topic = Column(String(255), nullable=True)  # the intent or faq/<topic> it was proposed under
    change_id = Column(Integer, ForeignKey("content_changes.id"), nullable=True)
