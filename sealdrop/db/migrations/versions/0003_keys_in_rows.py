"""Source keys and the Submission key in the database; no pending sources; no throttle table

Revision ID: 0003
Revises: 0002

The rows get columns for the keys here; `sealdrop init` then moves each key out of the old
keyring into its row and wipes the keyring (that step needs gpg, so it is not a migration).
Downgrading keeps the schema only: keys already in rows do not go back into a keyring.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PENDING = "SELECT id FROM sources WHERE pending = :yes"


def upgrade() -> None:
    # A pending source never sent anything: it is no longer a row at all. Its key goes with the
    # old keyring, which `sealdrop init` wipes whole.
    yes = {"yes": True}
    for table in ("replies", "submissions"):
        # `table` is one of the two fixed names above, never input.
        statement = f"DELETE FROM {table} WHERE source_id IN ({PENDING})"  # noqa: S608
        op.execute(sa.text(statement).bindparams(**yes))
    op.execute(sa.text("DELETE FROM sources WHERE pending = :yes").bindparams(**yes))
    with op.batch_alter_table("sources") as batch_op:
        batch_op.drop_column("pending")
        batch_op.add_column(sa.Column("public_key", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("secret_key", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("instance_settings") as batch_op:
        batch_op.add_column(sa.Column("submission_public_key", sa.Text(), nullable=True))
    # Wrong logins are now counted in each process's memory only.
    with op.batch_alter_table("throttle_events") as batch_op:
        batch_op.drop_index("ix_throttle_events_key")
        batch_op.drop_index("ix_throttle_events_at")
    op.drop_table("throttle_events")


def downgrade() -> None:
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
    with op.batch_alter_table("instance_settings") as batch_op:
        batch_op.drop_column("submission_public_key")
    # Every source left has submitted (or was migrated), so none of them is pending.
    with op.batch_alter_table("sources") as batch_op:
        batch_op.drop_column("secret_key")
        batch_op.drop_column("public_key")
        batch_op.add_column(
            sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("sources") as batch_op:
        batch_op.alter_column("pending", server_default=None)
