"""The warehouse's schema and roles: Alembic brings it to head (`storyline db upgrade`, the embedded run), and a
read-only PostgreSQL role serves the read API."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from storyline.domain.errors import ConfigError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def grant_reader(engine: Engine, role: str, password: str) -> None:
    """Create (or update) a PostgreSQL login role that can read every warehouse table and write none: the read
    API connects as it (STORYLINE_API_DATABASE_URL). Tables created later are covered by default privileges."""
    if engine.dialect.name != "postgresql":
        raise ConfigError("reader roles need PostgreSQL; on SQLite the API opens the file read-only")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ConfigError(f"role name {role!r}: use lower-case letters, digits and underscores")
    try:
        with engine.begin() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            verb = "ALTER" if exists else "CREATE"
            # Identifiers cannot be bound parameters; the name is validated above. The password is quoted by
            # the server's own quote_literal, never pasted raw.
            quoted = conn.scalar(text("SELECT quote_literal(:p)"), {"p": password})
            conn.execute(text(f"{verb} ROLE {role} LOGIN PASSWORD {quoted}"))
            conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
            conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
            conn.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {role}"))
    except DBAPIError as exc:
        raise ConfigError(
            f"could not set up reader role {role!r} (the warehouse user needs CREATEROLE): {exc.orig}"
        ) from exc
