"""Generalise the login throttle table, and remember logged-out source sessions

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The old rows are at most one throttle window old: dropping them is harmless.
    with op.batch_alter_table("failed_logins") as batch_op:
        batch_op.drop_index("ix_failed_logins_at")
        batch_op.drop_index("ix_failed_logins_key")
    op.drop_table("failed_logins")
    op.create_table(
        "throttle_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_events")),
    )
    with op.batch_alter_table("throttle_events") as batch_op:
        batch_op.create_index(batch_op.f("ix_throttle_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_throttle_events_key"), ["key"], unique=False)
    op.create_table(
        "revoked_sessions",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("expires", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_revoked_sessions")),
    )
    with op.batch_alter_table("revoked_sessions") as batch_op:
        batch_op.create_index(batch_op.f("ix_revoked_sessions_expires"), ["expires"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("revoked_sessions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_sessions_expires"))
    op.drop_table("revoked_sessions")
    with op.batch_alter_table("throttle_events") as batch_op:
        batch_op.drop_index(batch_op.f("ix_throttle_events_key"))
        batch_op.drop_index(batch_op.f("ix_throttle_events_at"))
    op.drop_table("throttle_events")
    op.create_table(
        "failed_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_logins")),
    )
    with op.batch_alter_table("failed_logins") as batch_op:
        batch_op.create_index(batch_op.f("ix_failed_logins_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_failed_logins_key"), ["key"], unique=False)
