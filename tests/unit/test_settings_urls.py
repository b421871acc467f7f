"""Database passwords kept apart from their URLs: escaped in, whatever they hold; `storyline db url` prints it."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from storyline.cli import app
from storyline.settings import Settings

HARD = "p@ss/w%rd:#?&"


def test_a_password_with_any_character_is_escaped_into_the_url() -> None:
    settings = Settings(
        database_url=SecretStr("postgresql+psycopg://storyline@db:5432/storyline"),
        database_password=SecretStr(HARD),
        api_database_url=SecretStr("postgresql+psycopg://reader@db:5432/storyline"),
        api_database_password=SecretStr(HARD + "2"),
    )
    url = make_url(settings.resolved_database_url())
    assert (url.username, url.password, url.host, url.database) == ("storyline", HARD, "db", "storyline")
    assert make_url(settings.resolved_api_database_url()).password == HARD + "2"
    assert HARD not in settings.safe_database_url()


def test_without_a_password_setting_the_url_is_used_as_given() -> None:
    settings = Settings(database_url=SecretStr("postgresql+psycopg://u:plain@db/x"))
    assert settings.resolved_database_url() == "postgresql+psycopg://u:plain@db/x"


def test_db_url_prints_another_database_and_driver_for_airflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYLINE_DATABASE_URL", "postgresql+psycopg://storyline@db:5432/storyline")
    monkeypatch.setenv("STORYLINE_DATABASE_PASSWORD", HARD)
    result = CliRunner().invoke(app, ["db", "url", "--database", "airflow", "--driver", "psycopg_async"])
    assert result.exit_code == 0, result.output
    # No trailing newline: Airflow's _cmd takes the output as is.
    assert not result.output.endswith("\n")
    url = make_url(result.output)
    assert (url.drivername, url.database, url.password) == ("postgresql+psycopg_async", "airflow", HARD)
