"""Shared fixtures: warehouses on SQLite and (when CI started one) PostgreSQL, app wiring, local HTTP servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storyline.adapters.sql import SqlWarehouse
from storyline.bootstrap import App, build
from storyline.settings import Settings

POSTGRES_URL = os.environ.get("STORYLINE_TEST_POSTGRES_URL")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _reset_postgres(url: str) -> None:
    wh = SqlWarehouse(url)
    with wh.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    wh.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every warehouse test runs on SQLite, and on PostgreSQL when STORYLINE_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not started: set STORYLINE_TEST_POSTGRES_URL (.ci/run does)")
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def warehouse(database_url: str) -> Iterator[SqlWarehouse]:
    wh = SqlWarehouse(database_url)
    wh.upgrade()
    yield wh
    wh.engine.dispose()


def make_settings(tmp_path: Path, database_url: str | None = None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "allow_private_addresses": True,
        "min_host_delay_s": 0.0,
        "fetch_timeout_s": 5.0,
    }
    if database_url:
        values["database_url"] = database_url
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def app_factory(tmp_path: Path) -> Iterator[object]:
    """Builds wired apps (through the real composition root) and closes them after the test."""
    built: list[App] = []

    def factory(database_url: str | None = None, **overrides: object) -> App:
        app = build(make_settings(tmp_path, database_url, **overrides))
        built.append(app)
        return app

    yield factory
    for app in built:
        app.close()
