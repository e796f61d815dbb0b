"""Journalist devices on the journalist onion: the public half of each client-auth key

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journalist_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("journalist_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=52), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "length(public_key) = 52", name=op.f("ck_journalist_devices_public_key_base32")
        ),
        sa.ForeignKeyConstraint(
            ["journalist_id"],
            ["journalists.id"],
            name=op.f("fk_journalist_devices_journalist_id_journalists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journalist_devices")),
        sa.UniqueConstraint("public_key", name=op.f("uq_journalist_devices_public_key")),
        sa.UniqueConstraint("uuid", name=op.f("uq_journalist_devices_uuid")),
    )
    with op.batch_alter_table("journalist_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journalist_devices_journalist_id"), ["journalist_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("journalist_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journalist_devices_journalist_id"))
    op.drop_table("journalist_devices")
