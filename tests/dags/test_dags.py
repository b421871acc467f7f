"""Airflow DAGs: integrity checked in a fresh interpreter, and `dag.test()` of crawl_sources against the demo
site, the real Kafka broker and the S3 server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from storyline.adapters.static_site import StaticSite
from storyline.bootstrap import App
from storyline.demo.site import build_site, gold_rows

pytest.importorskip("airflow", reason="apache-airflow is part of the dev install (make setup)")
DAGS = Path(__file__).resolve().parents[2] / "dags"
HEAVY = ("storyline", "trafilatura", "kafka", "boto3", "feedparser", "lxml", "numpy")

INTEGRITY = f"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder={str(DAGS)!r})
dags = {{}}
for dag_id, dag in bag.dags.items():
    dags[dag_id] = {{
        "max_active_runs": dag.max_active_runs,
        "tasks": {{t.task_id: {{"retries": t.retries, "pool": t.pool}} for t in dag.tasks}},
    }}
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
print(json.dumps({{"errors": {{k: str(v) for k, v in bag.import_errors.items()}}, "dags": dags, "heavy": heavy}}))
"""

DAG_TEST = f"""
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder={str(DAGS)!r})
run = bag.get_dag("crawl_sources").test(run_conf={{"lookback_hours": 0}})
print("DAGRUN", json.dumps({{"state": str(run.state)}}))
"""


def _airflow_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "false",
    }


def _run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def test_dags_import_cleanly_with_retries_and_no_heavy_imports(tmp_path: Path) -> None:
    out = _run(INTEGRITY, _airflow_env(tmp_path))
    report = json.loads(out.strip().splitlines()[-1])
    assert report["errors"] == {}
    assert set(report["dags"]) == {"crawl_sources", "data_quality", "maintenance", "backfill"}
    for dag_id, dag in report["dags"].items():
        assert dag["max_active_runs"] == 1, dag_id
        for task_id, t in dag["tasks"].items():
            assert t["retries"] >= 1, (dag_id, task_id)
    assert report["dags"]["crawl_sources"]["tasks"]["crawl_source"]["pool"] == "storyline_http"
    assert report["heavy"] == [], "DAG files must import only stdlib, pendulum and airflow.sdk at parse time"


@pytest.fixture
def demo_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "site"
    root.mkdir()
    with StaticSite(root) as server:
        site = build_site(root, server.base_url)
        registry = tmp_path / "sources.json"
        registry.write_text(json.dumps(site.sources))
        yield server.base_url, registry


def test_crawl_sources_dag_test_publishes_and_archives(
    demo_site: tuple[str, Path], kafka_topics: str, s3_server: dict[str, str], tmp_path: Path
) -> None:
    from kafka import KafkaConsumer, TopicPartition

    from storyline.adapters.s3 import S3BlobStore
    from storyline.adapters.warehouse import SqlWarehouse

    base, registry = demo_site
    bucket = f"raw-{uuid.uuid4().hex[:12]}"
    env = _airflow_env(tmp_path / "airflow")
    env.update(
        {
            "STORYLINE_SOURCES": str(registry),
            "STORYLINE_DATA_DIR": str(tmp_path / "data"),
            "STORYLINE_KAFKA_BOOTSTRAP": kafka_topics,
            "STORYLINE_ALLOW_PRIVATE_ADDRESSES": "true",
            "STORYLINE_MIN_HOST_DELAY_S": "0",
            "STORYLINE_S3_BUCKET": bucket,
            "STORYLINE_S3_ENDPOINT": s3_server["endpoint"],
            "STORYLINE_S3_ACCESS_KEY": s3_server["access_key"],
            "STORYLINE_S3_SECRET_KEY": s3_server["secret_key"],
        }
    )
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    subprocess.run(
        [airflow, "pools", "set", "storyline_http", "4", "HTTP crawls"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )

    first = _run(DAG_TEST, env)
    assert '"state": "success"' in first
    pages = len(gold_rows(base)) + 1  # + the page with no text (fetched and archived; extraction rejects it)

    consumer: Any = KafkaConsumer(bootstrap_servers=kafka_topics, consumer_timeout_ms=3000)
    parts = consumer.partitions_for_topic("storyline.articles.fetched") or set()
    tps = [TopicPartition("storyline.articles.fetched", p) for p in parts]
    assert sum(consumer.end_offsets(tps).values()) == pages
    consumer.close()

    store = S3BlobStore(bucket, s3_server["endpoint"], s3_server["access_key"], s3_server["secret_key"])
    assert store.client.list_objects_v2(Bucket=bucket)["KeyCount"] == pages

    # Second run: every feed answers 304 to the stored validators; nothing is fetched or published again.
    second = _run(DAG_TEST, env)
    assert '"state": "success"' in second
    wh = SqlWarehouse(f"sqlite:///{tmp_path / 'data' / 'storyline.db'}")
    with wh.session() as s:
        rows = s.execute(wh_text("select kind, outcome, count(*) from fetches group by kind, outcome")).all()
    counts = {(k, o): n for k, o, n in rows}
    assert counts[("page", "fetched")] == pages and counts[("page", "disallowed")] == 1
    assert counts[("feed", "not-modified")] == 6 and counts[("feed", "fetched")] == 6
    assert counts[("feed", "failed")] == 2  # the malformed feed, once per run
    wh.engine.dispose()


def wh_text(sql: str) -> Any:
    from sqlalchemy import text

    return text(sql)


MAINTENANCE_TEST = f"""
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder={str(DAGS)!r})
run = bag.get_dag("maintenance").test(run_conf={{"consolidate_days": None, "raw_days": 0, "fetch_log_days": 90}})
print("DAGRUN", json.dumps({{"state": str(run.state)}}))
"""


def test_maintenance_dag_test_consolidates_and_expires(
    demo_site: tuple[str, Path], kafka_topics: str, tmp_path: Path, app_factory: Callable[..., App]
) -> None:
    from storyline.adapters.kafka_ranges import end_offsets, read_between
    from storyline.events import TOPIC_UPDATED, decode
    from storyline.sources.registry import parse_sources

    _, registry = demo_site
    # A strict online threshold, without live consolidation, leaves split stories for the consolidation task.
    app = app_factory(cluster_threshold=0.45, consolidate_live=False)
    settings = app.settings
    app.pipeline.run(parse_sources(registry.read_text(), str(registry)))
    stories_before = len({r["story_id"] for r in app.warehouse.assignments()})
    objects = len({p.raw_object_key for p in app.warehouse.archived_pages()})

    updates_before = end_offsets(kafka_topics, [TOPIC_UPDATED])

    env = _airflow_env(tmp_path / "airflow")
    env.update({"STORYLINE_DATA_DIR": str(settings.data_dir), "STORYLINE_KAFKA_BOOTSTRAP": kafka_topics})
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    assert '"state": "success"' in _run(MAINTENANCE_TEST, env)

    merges = app.warehouse.merge_log()
    assert merges and len({r["story_id"] for r in app.warehouse.assignments()}) == stories_before - len(merges)
    # The change feed got the survivors' snapshots, and a record per merged story naming its survivor.
    records = read_between(kafka_topics, updates_before, end_offsets(kafka_topics, [TOPIC_UPDATED]))
    feed = [decode(TOPIC_UPDATED, r.value) for r in records]
    into = {m["loser"]: app.warehouse.resolve_story(m["loser"]) for m in merges}
    assert {u.story_id for u in feed if u.merged_into is None} == set(into.values())
    assert {u.story_id: u.merged_into for u in feed if u.merged_into} == into
    # raw_days=0: every raw object was last used before now, so all are deleted and recorded as expired.
    assert objects and app.warehouse.archived_pages() == []
    assert not any(settings.resolved_archive_dir().rglob("*.gz"))
