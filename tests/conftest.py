"""Shared fixtures: warehouses on SQLite and (when CI started one) PostgreSQL, app wiring, local HTTP servers."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from storyline.adapters.warehouse import SqlWarehouse
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


@pytest.fixture
def demo_site(tmp_path: Path) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """The project's demo news site, built and served on loopback for one test: (base URL, its sources)."""
    from storyline.adapters.static_site import StaticSite
    from storyline.demo.site import build_site

    root = tmp_path / "site"
    root.mkdir()
    with StaticSite(root) as server:
        site = build_site(root, server.base_url)
        yield server.base_url, site.sources


@pytest.fixture
def archived_page() -> Any:
    """Archives a page and returns its fetched event: (blobs, article id, key, html, when) -> ArticleFetched."""
    from storyline.events import ArticleFetched

    def archive(blobs: Any, article_id: str, key: str, html: str, when: datetime) -> ArticleFetched:
        blobs.put(key, html.encode())
        url = f"https://gazette.example/{article_id}"
        return ArticleFetched(
            event_time=when,
            article_id=article_id,
            url=url,
            canonical_url=url,
            source_id="gazette",
            source_name="The Gazette",
            raw_object_key=key,
            content_type="text/html; charset=utf-8",
            http_status=200,
            byte_size=len(html),
            fetched_at=when,
        )

    return archive


# -- Kafka: a real broker (KRaft) started by the repo's script, once per test run ---------------------------
ROOT = Path(__file__).resolve().parents[1]
BROKER_SCRIPT = ROOT / "infra" / "kafka" / "broker.sh"
TOPICS_FILE = ROOT / "infra" / "kafka" / "topics.yaml"


class Broker:
    """The test run's broker. When the run started it, tests may also stop and restart it."""

    def __init__(self, bootstrap: str, env: dict[str, str] | None) -> None:
        self.bootstrap = bootstrap
        self.env = env  # None: provided from outside (STORYLINE_TEST_KAFKA_BOOTSTRAP), not ours to restart

    def _script(self, command: str) -> str:
        assert self.env is not None, "this broker was started outside the test run"
        done = subprocess.run(
            [str(BROKER_SCRIPT), command], env=self.env, check=True, capture_output=True, text=True, timeout=600
        )
        return done.stdout.strip()

    def stop(self) -> None:
        self._script("stop")

    def start(self) -> None:
        self._script("start")


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    given = os.environ.get("STORYLINE_TEST_KAFKA_BOOTSTRAP")
    if given:
        yield Broker(given, None)
        return
    if os.environ.get("STORYLINE_TEST_NO_KAFKA"):
        pytest.skip("STORYLINE_TEST_NO_KAFKA is set")
    env = {
        **os.environ,
        "KAFKA_PORT": os.environ.get("STORYLINE_TEST_KAFKA_PORT", "19192"),
        "KAFKA_CONTROLLER_PORT": os.environ.get("STORYLINE_TEST_KAFKA_CONTROLLER_PORT", "19193"),
        "KAFKA_DATA": str(tmp_path_factory.mktemp("kafka")),
    }
    broker = Broker("", env)
    broker.bootstrap = broker._script("start").splitlines()[-1]
    yield broker
    broker._script("stop")


def _topic_specs() -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = yaml.safe_load(TOPICS_FILE.read_text())
    return specs


@pytest.fixture
def kafka_topics(kafka_broker: Broker) -> str:
    """Every Storyline topic deleted and recreated empty from topics.yaml, so tests do not see each other."""
    from storyline.adapters.kafka import recreate_topics

    recreate_topics(kafka_broker.bootstrap, _topic_specs())
    return kafka_broker.bootstrap


# -- S3: a real S3-compatible server (MinIO built from its Go module) started by the repo's script ---------
S3_SCRIPT = ROOT / "infra" / "s3" / "s3.sh"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Endpoint and credentials of the run's S3 server (STORYLINE_TEST_S3_ENDPOINT to use a running one)."""
    given = os.environ.get("STORYLINE_TEST_S3_ENDPOINT")
    creds = {"access_key": "storyline", "secret_key": "storyline-secret", "region": "us-east-1"}
    if given:
        yield {"endpoint": given, **creds}
        return
    env = {
        **os.environ,
        "S3_PORT": os.environ.get("STORYLINE_TEST_S3_PORT", "19100"),
        "S3_DATA": str(tmp_path_factory.mktemp("s3")),
    }
    subprocess.run([str(S3_SCRIPT), "start"], env=env, check=True, capture_output=True, timeout=1800)
    yield {"endpoint": f"http://127.0.0.1:{env['S3_PORT']}", **creds}
    subprocess.run([str(S3_SCRIPT), "stop"], env=env, check=False, capture_output=True, timeout=120)
