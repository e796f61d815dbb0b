"""Processed journalist API v2 events and their results, so a repeated event id has effect once

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_events",
        sa.Column("journalist_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["journalist_id"],
            ["journalists.id"],
            name=op.f("fk_api_events_journalist_id_journalists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("journalist_id", "event_id", name=op.f("pk_api_events")),
    )
    with op.batch_alter_table("api_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_events_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_events_day"))
    op.drop_table("api_events")
