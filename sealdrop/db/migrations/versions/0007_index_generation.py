"""A generation counter that database triggers bump whenever the API v2 index would change

Revision ID: 0007
Revises: 0006

SQLite runs one writer at a time, so its triggers bump the counter at once. On PostgreSQL the
bump is a deferred constraint trigger: it runs at commit, after every other lock the transaction
takes, so the counter row is held only while committing and can never be part of a deadlock.

A later migration that rebuilds one of these tables on SQLite (batch_alter_table) drops its
triggers: it must create them again. A test checks that they exist at head.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("sources", "submissions", "replies", "journalists")
SQLITE_EVENTS = {"insert": "INSERT", "delete": "DELETE", "version": "UPDATE OF version"}

POSTGRES_FUNCTION = """
CREATE FUNCTION index_state_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE index_state SET generation = generation + 1, last_txid = txid_current()
     WHERE last_txid IS DISTINCT FROM txid_current();
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "index_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("last_txid", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_index_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_state")),
    )
    op.execute("INSERT INTO index_state (id, generation) VALUES (1, 0)")
    if op.get_context().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER index_bump_{table} "
                f"AFTER INSERT OR DELETE OR UPDATE OF version ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION index_state_bump()"
            )
        return
    for table in TABLES:
        for name, event in SQLITE_EVENTS.items():
            op.execute(
                f"CREATE TRIGGER index_bump_{table}_{name} AFTER {event} ON {table} "  # noqa: S608 - fixed names
                "BEGIN UPDATE index_state SET generation = generation + 1; END"
            )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER index_bump_{table} ON {table}")
        op.execute("DROP FUNCTION index_state_bump()")
    else:
        for table in TABLES:
            for name in SQLITE_EVENTS:
                op.execute(f"DROP TRIGGER index_bump_{table}_{name}")
    op.drop_table("index_state")
