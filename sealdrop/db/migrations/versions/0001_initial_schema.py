"""initial schema

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failed_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failed_logins")),
    )
    with op.batch_alter_table("failed_logins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_failed_logins_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_failed_logins_key"), ["key"], unique=False)

    op.create_table(
        "instance_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_key_fingerprint", sa.String(length=40), nullable=True),
        sa.Column("allow_document_uploads", sa.Boolean(), nullable=False),
        sa.Column("organization_name", sa.Text(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_instance_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_settings")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("filesystem_id", sa.String(length=52), nullable=False),
        sa.Column("journalist_designation", sa.String(length=255), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=40), nullable=False),
        sa.Column("interaction_count", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("is_starred", sa.Boolean(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("last_updated", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "interaction_count >= 0", name=op.f("ck_sources_interaction_count_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("filesystem_id", name=op.f("uq_sources_filesystem_id")),
        sa.UniqueConstraint(
            "journalist_designation", name=op.f("uq_sources_journalist_designation")
        ),
        sa.UniqueConstraint("key_fingerprint", name=op.f("uq_sources_key_fingerprint")),
        sa.UniqueConstraint("uuid", name=op.f("uq_sources_uuid")),
    )
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("interaction_count", sa.Integer(), nullable=False),
        sa.Column("deleted_by_source", sa.Boolean(), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_replies_size_positive")),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_replies_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replies")),
        sa.UniqueConstraint("filename", name=op.f("uq_replies_filename")),
        sa.UniqueConstraint("uuid", name=op.f("uq_replies_uuid")),
    )
    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_replies_source_id"), ["source_id"], unique=False)

    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("interaction_count", sa.Integer(), nullable=False),
        sa.Column("is_read", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('message', 'file')", name=op.f("ck_submissions_kind_known")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_submissions_size_positive")),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_submissions_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("filename", name=op.f("uq_submissions_filename")),
        sa.UniqueConstraint("uuid", name=op.f("uq_submissions_uuid")),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submissions_source_id"), ["source_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_source_id"))

    op.drop_table("submissions")
    with op.batch_alter_table("replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replies_source_id"))

    op.drop_table("replies")
    op.drop_table("sources")
    op.drop_table("instance_settings")
    with op.batch_alter_table("failed_logins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_failed_logins_key"))
        batch_op.drop_index(batch_op.f("ix_failed_logins_at"))

    op.drop_table("failed_logins")
