"""Alembic environment: runs migrations on the engine the caller passes in (no URL in an ini file)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from storyline.adapters.warehouse.tables import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through `storyline db upgrade`, which passes the configured engine")


def run(connection: Connection) -> None:
    with connection.begin():
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if connection.dialect.name == "sqlite":
            # The checks switched off below, made once over the migrated tables before the commit.
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left rows that break a foreign key (table, rowid, parent): {broken}")


with engine.connect() as conn:
    if conn.dialect.name != "sqlite":
        run(conn)
    else:
        # The engine turns SQLite's foreign keys on for every connection. A batch migration rebuilds a table (copy,
        # drop, rename), and dropping a table that others reference fails while they are on, so they are off for
        # the migration (SQLite's own procedure for ALTER TABLE); the pragma is ignored inside a transaction, hence
        # before it, and this connection goes back to the pool with them on again.
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        try:
            run(conn)
        finally:
            conn.rollback()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
