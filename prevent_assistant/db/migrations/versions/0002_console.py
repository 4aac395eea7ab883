"""The call handlers' console: staff accounts, server-side sessions, the audit log, and each handoff's
history (status changes, notes, the person's consent to share it) with its assignee and outcome.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("totp_last_counter", sa.Integer(), nullable=True),
        sa.Column("recovery_code_hashes", sa.JSON(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('handler', 'editor', 'admin')", name="ck_accounts_role"),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "account_id", sa.Integer(), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("two_factor_done", sa.Boolean(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("pending_totp_secret", sa.String(64), nullable=True),
    )
    op.create_index("ix_console_sessions_account_id", "console_sessions", ["account_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("account_name", sa.String(64), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    # Plain ADD COLUMN, no table copy on SQLite (so the status check stays as it is). SQLite cannot add a
    # foreign key to an existing table and enforces none by default; PostgreSQL gets the constraint.
    sqlite = op.get_bind().dialect.name == "sqlite"
    reference = [] if sqlite else [sa.ForeignKey("accounts.id", name="fk_handoffs_assigned_to")]
    op.add_column("handoffs", sa.Column("assigned_to", sa.Integer(), *reference, nullable=True))
    op.add_column("handoffs", sa.Column("outcome", sa.String(64), nullable=True))
    op.create_table(
        "handoff_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "handoff_id", sa.Integer(), sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('shared', 'picked_up', 'note', 'closed', 'reopened')", name="ck_handoff_events_kind"
        ),
    )
    op.create_index("ix_handoff_events_handoff_id", "handoff_events", ["handoff_id"])


def downgrade() -> None:
    op.drop_table("handoff_events")
    op.drop_column("handoffs", "outcome")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_handoffs_assigned_to", "handoffs", type_="foreignkey")
    op.drop_column("handoffs", "assigned_to")
    op.drop_table("audit_log")
    op.drop_table("console_sessions")
    op.drop_table("accounts")
