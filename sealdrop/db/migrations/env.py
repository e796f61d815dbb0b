"""Alembic environment: the engine comes from the caller, never from a config file or os.environ."""

from alembic import context

from sealdrop.db.models import Base

engine = context.config.attributes["engine"]
sqlite = engine.dialect.name == "sqlite"
with engine.connect() as connection:
    if sqlite:
        # Batch mode copies a table and drops the original: with foreign keys on, that drop
        # would cascade to every child row. SQLite ignores this pragma inside a transaction,
        # so it goes first, and is restored before the connection returns to the pool.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite
            )
            context.run_migrations()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
