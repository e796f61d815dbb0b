"""Several reader keys: a table of them, and which of them each submission and reply went to

Revision ID: 0005
Revises: 0004

The single Submission Key of the settings row becomes the first active reader key, added on the
day of the upgrade (only days are kept). Every item already stored is recorded as encrypted to
it: it is the only key the instance knew. Downgrading puts the oldest active key back into the
settings row; other keys, and the record of who can open what, are dropped with their tables.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reader_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=40), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "state IN ('active', 'retired')", name=op.f("ck_reader_keys_state_known")
        ),
        sa.CheckConstraint(
            "(state = 'retired') = (retired_on IS NOT NULL)",
            name=op.f("ck_reader_keys_retired_has_a_day"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reader_keys")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_reader_keys_fingerprint")),
    )
    for item, items in (("submission", "submissions"), ("reply", "replies")):
        table = f"{item}_reader_keys"
        op.create_table(
            table,
            sa.Column(f"{item}_id", sa.Integer(), nullable=False),
            sa.Column("reader_key_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                [f"{item}_id"],
                [f"{items}.id"],
                name=op.f(f"fk_{table}_{item}_id_{items}"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["reader_key_id"],
                ["reader_keys.id"],
                name=op.f(f"fk_{table}_reader_key_id_reader_keys"),
            ),
            sa.PrimaryKeyConstraint(f"{item}_id", "reader_key_id", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(
                batch_op.f(f"ix_{table}_reader_key_id"), ["reader_key_id"], unique=False
            )
    op.execute(
        sa.text(
            "INSERT INTO reader_keys (fingerprint, public_key, state, added_on)"
            " SELECT submission_key_fingerprint, submission_public_key, 'active', :today"
            " FROM instance_settings WHERE submission_key_fingerprint IS NOT NULL"
        ).bindparams(today=dt.datetime.now(dt.UTC).date())
    )
    for item, items in (("submission", "submissions"), ("reply", "replies")):
        # Fixed names from the tuple above, never input.
        op.execute(
            f"INSERT INTO {item}_reader_keys ({item}_id, reader_key_id)"  # noqa: S608
            f" SELECT {items}.id, reader_keys.id FROM {items} CROSS JOIN reader_keys"
        )
    with op.batch_alter_table("instance_settings") as batch_op:
        batch_op.drop_column("submission_public_key")
        batch_op.drop_column("submission_key_fingerprint")


def downgrade() -> None:
    with op.batch_alter_table("instance_settings") as batch_op:
        batch_op.add_column(
            sa.Column("submission_key_fingerprint", sa.String(length=40), nullable=True)
        )
        batch_op.add_column(sa.Column("submission_public_key", sa.Text(), nullable=True))
    oldest = "FROM reader_keys WHERE state = 'active' ORDER BY added_on, id LIMIT 1"
    op.execute(
        "UPDATE instance_settings SET"
        " submission_key_fingerprint = (SELECT fingerprint " + oldest + "),"
        " submission_public_key = (SELECT public_key " + oldest + ")"
    )
    for table in ("reply_reader_keys", "submission_reader_keys"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_reader_key_id"))
        op.drop_table(table)
    op.drop_table("reader_keys")
