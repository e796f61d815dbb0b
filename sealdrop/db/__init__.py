"""The database: typed models, engines, and Alembic migrations."""
