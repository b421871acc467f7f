"""Warehouse commands: `db upgrade`, `db url`, `db grant-reader`, `export assignments` and `stories`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from storyline.cli.common import console, fail, load_settings, out, print_stories


def db_upgrade(data_dir: Annotated[Path | None, typer.Option()] = None) -> None:
    """Create or migrate the warehouse schema to the newest revision."""
    from storyline.bootstrap import upgrade_warehouse

    settings = load_settings(data_dir)
    revision = upgrade_warehouse(settings)
    out.print(f"{settings.safe_database_url()} at revision {revision}", soft_wrap=True)


def db_url(
    database: Annotated[str | None, typer.Option(help="Another database on the same server (e.g. airflow).")] = None,
    driver: Annotated[
        str | None, typer.Option(help="Another driver of the same dialect (e.g. psycopg_async for Airflow).")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Print the warehouse URL, password escaped in (for Airflow's sql_alchemy_conn_cmd: one password, any
    characters, set once in STORYLINE_DATABASE_PASSWORD)."""
    from storyline.bootstrap import warehouse_url

    # No newline: Airflow takes a _cmd's output as is, and a newline would end the database name.
    sys.stdout.write(warehouse_url(load_settings(data_dir), database, driver))


def db_grant_reader(
    role: Annotated[str, typer.Argument(help="Login role for the read API, e.g. storyline_reader.")],
    password_env: Annotated[
        str, typer.Option(help="Environment variable holding the role's password (never a command-line argument).")
    ] = "STORYLINE_READER_PASSWORD",  # noqa: S107 - the name of a variable, not a password
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """PostgreSQL: create/update a role that can read the warehouse and write nothing (for the read API)."""
    import os

    from storyline.bootstrap import open_warehouse

    password = os.environ.get(password_env)
    if not password:
        fail(f"set {password_env} to the reader role's password")
    open_warehouse(load_settings(data_dir)).grant_reader(role, password)
    out.print(f"role {role}: SELECT on every warehouse table; point STORYLINE_API_DATABASE_URL at it")


def export_assignments(
    data_dir: Annotated[Path | None, typer.Option()] = None,
    output: Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout).")] = None,
) -> None:
    """One JSON line per article: url, article_id, story_id, duplicate_of (URL or null)."""
    from storyline.bootstrap import open_warehouse

    warehouse = open_warehouse(load_settings(data_dir))
    lines = [json.dumps(row, ensure_ascii=False) for row in warehouse.assignments()]
    text = "\n".join(lines) + ("\n" if lines else "")
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {len(lines)} assignments to {output}")


def stories(
    data_dir: Annotated[Path | None, typer.Option()] = None, limit: Annotated[int, typer.Option()] = 30
) -> None:
    """List the biggest stories in the warehouse."""
    print_stories(load_settings(data_dir), limit)
