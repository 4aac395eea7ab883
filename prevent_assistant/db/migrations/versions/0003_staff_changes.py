"""Staff keep the assistant current from the console: proposed content changes awaiting a second pair of
eyes, training jobs, and the models put live.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("summary", sa.String(255), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("commit", sa.String(64), nullable=True),
        sa.Column("reverts_id", sa.Integer(), sa.ForeignKey("content_changes.id"), nullable=True),
        sa.CheckConstraint(
            "kind IN ('response', 'clip', 'examples', 'conversation_test', 'story')",
            name="ck_content_changes_kind",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'reverted')", name="ck_content_changes_status"
        ),
    )
    op.create_index("ix_content_changes_created_at", "content_changes", ["created_at"])
    op.create_index("ix_content_changes_status", "content_changes", ["status"])
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("step", sa.String(32), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(255), nullable=True),
        sa.Column("log", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'passed', 'failed')", name="ck_training_jobs_status"
        ),
    )
    op.create_index("ix_training_jobs_created_at", "training_jobs", ["created_at"])
    op.create_index("ix_training_jobs_status", "training_jobs", ["status"])
    # One unfinished job at a time, whichever console instance queued it (the check before the insert can
    # race; this index cannot).
    active = sa.text("status IN ('queued', 'running')")
    op.create_index(
        "uq_training_jobs_active",
        "training_jobs",
        ["status"],
        unique=True,
        postgresql_where=active,
        sqlite_where=active,
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("training_jobs.id"), nullable=True),
        sa.Column("rolled_back_from", sa.Integer(), sa.ForeignKey("deployments.id"), nullable=True),
    )
    op.create_index("ix_deployments_at", "deployments", ["at"])
    # The review inbox's decisions: a decided message leaves the inbox (no message text is kept here).
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(255), nullable=True),
        sa.Column("change_id", sa.Integer(), sa.ForeignKey("content_changes.id"), nullable=True),
        sa.CheckConstraint(
            "decision IN ('confirmed', 'chosen', 'dismissed')", name="ck_review_decisions_decision"
        ),
        sa.UniqueConstraint("event_id", "sender_id", name="uq_review_decisions_event"),
    )
    op.create_index("ix_review_decisions_decided_at", "review_decisions", ["decided_at"])


def downgrade() -> None:
    op.drop_table("review_decisions")
    op.drop_table("deployments")
    op.drop_table("training_jobs")
    op.drop_table("content_changes")
