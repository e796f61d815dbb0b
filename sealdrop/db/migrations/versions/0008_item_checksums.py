"""Each item's sha256, kept once first computed, and sizes past 2 GiB on PostgreSQL

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Plain ALTER TABLE: a batch rebuild on SQLite would drop the index triggers of 0007. SQLite's
# INTEGER already holds 64 bits, so only PostgreSQL's 32-bit sizes are widened.
TABLES = ("submissions", "replies")


def upgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for table in TABLES:
        op.add_column(table, sa.Column("checksum", sa.String(length=64), nullable=True))
        if postgresql:
            op.alter_column(table, "size", type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    postgresql = op.get_context().dialect.name == "postgresql"
    for table in TABLES:
        if postgresql:
            op.alter_column(table, "size", type_=sa.Integer(), existing_nullable=False)
        op.drop_column(table, "checksum")
