"""Journalist accounts, API tokens, seen marks, the audit trail, record versions for API v2

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("previous_digest", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("digest", name=op.f("uq_audit_events_digest")),
        sa.UniqueConstraint("previous_digest", name=op.f("uq_audit_events_previous_digest")),
    )
    op.create_table(
        "journalists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("passphrase_hash", sa.Text(), nullable=False),
        sa.Column("otp_kind", sa.String(length=8), nullable=False),
        sa.Column("otp_secret", sa.String(length=64), nullable=False),
        sa.Column("hotp_counter", sa.Integer(), nullable=False),
        sa.Column("last_totp_step", sa.BigInteger(), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("last_login", sa.Date(), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "otp_kind IN ('totp', 'hotp')", name=op.f("ck_journalists_otp_kind_known")
        ),
        sa.CheckConstraint("hotp_counter >= 0", name=op.f("ck_journalists_hotp_counter_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journalists")),
        sa.UniqueConstraint("username", name=op.f("uq_journalists_username")),
        sa.UniqueConstraint("uuid", name=op.f("uq_journalists_uuid")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("journalist_id", sa.Integer(), nullable=False),
        sa.Column("expires", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["journalist_id"],
            ["journalists.id"],
            name=op.f("fk_api_tokens_journalist_id_journalists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_api_tokens")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_expires"), ["expires"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_api_tokens_journalist_id"), ["journalist_id"], unique=False
        )

    op.create_table(
        "seen_replies",
        sa.Column("reply_id", sa.Integer(), nullable=False),
        sa.Column("journalist_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["journalist_id"],
            ["journalists.id"],
            name=op.f("fk_seen_replies_journalist_id_journalists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reply_id"],
            ["replies.id"],
            name=op.f("fk_seen_replies_reply_id_replies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reply_id", "journalist_id", name=op.f("pk_seen_replies")),
    )
    op.create_table(
        "seen_submissions",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("journalist_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["journalist_id"],
            ["journalists.id"],
            name=op.f("fk_seen_submissions_journalist_id_journalists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_seen_submissions_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", "journalist_id", name=op.f("pk_seen_submissions")),
    )
    with op.batch_alter_table("instance_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_logo", sa.LargeBinary(), nullable=True))
        # The one settings row exists already: it needs a value for the new column.
        batch_op.add_column(
            sa.Column("min_message_length", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("max_upload_bytes", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("min_free_bytes", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("journalist_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_replies_journalist_id"), ["journalist_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_replies_journalist_id_journalists"),
            "journalists",
            ["journalist_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.String(length=64), nullable=True))

    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_replies_journalist_id_journalists"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_replies_journalist_id"))
        batch_op.drop_column("version")
        batch_op.drop_column("journalist_id")

    with op.batch_alter_table("instance_settings", schema=None) as batch_op:
        batch_op.drop_column("min_free_bytes")
        batch_op.drop_column("max_upload_bytes")
        batch_op.drop_column("min_message_length")
        batch_op.drop_column("organization_logo")

    op.drop_table("seen_submissions")
    op.drop_table("seen_replies")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_journalist_id"))
        batch_op.drop_index(batch_op.f("ix_api_tokens_expires"))

    op.drop_table("api_tokens")
    op.drop_table("journalists")
    op.drop_table("audit_events")
