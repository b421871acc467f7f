"""Alembic environment: runs migrations on the engine the caller passes in (no URL in an ini file)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from storyline.adapters.tables import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through `storyline db upgrade`, which passes the configured engine")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
