"""Streaming mode on a real Kafka broker: same results as embedded, DLQ, replay, crash, outage, broker restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from storyline.adapters.kafka import group_lag, wait_until_drained
from storyline.adapters.sql import SqlWarehouse
from storyline.adapters.static_site import StaticSite
from storyline.bootstrap import App, build, build_publisher
from storyline.demo.site import build_site, gold_rows
from storyline.events import STAGE_TOPICS, TOPIC_EXTRACTED, TOPIC_FETCHED, dlq_topic
from storyline.settings import Settings
from storyline.sources.registry import parse_sources

pytestmark = pytest.mark.streaming
GROUPS = {f"storyline-{stage}": topics[0] for stage, topics in STAGE_TOPICS.items()}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, list[dict[str, str]]]]:
    root = tmp_path / "site"
    root.mkdir()
    with StaticSite(root) as server:
        site = build_site(root, server.base_url)
        yield server.base_url, site.sources


class Workers:
    """Worker processes (`storyline worker <stage>`), as operators run them."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir = env, log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, stage: str, *extra: str) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{stage}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "storyline.cli", "worker", stage, *extra], env=self.env, stdout=log, stderr=log
        )
        self.procs[stage] = proc
        return proc

    def start_all(self) -> None:
        for stage in STAGE_TOPICS:
            self.start(stage)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            proc.wait(timeout=60)


def _settings(
    tmp_path: Path, bootstrap: str, database_url: str | None = None, **extra: Any
) -> tuple[Settings, dict[str, str]]:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "stream",
        "allow_private_addresses": True,
        "min_host_delay_s": 0.0,
        "kafka_bootstrap": bootstrap,
        "reorder_window_s": 60.0,
        **extra,
    }
    if database_url:
        values["database_url"] = database_url
    settings = Settings.model_validate(values)
    env = {**os.environ, "STORYLINE_LOG_LEVEL": "INFO"}
    for key, value in values.items():
        env[f"STORYLINE_{key.upper()}"] = str(value)
    return settings, env


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Workers]]:
    made: list[Workers] = []

    def factory(env: dict[str, str]) -> Workers:
        w = Workers(env, tmp_path)
        made.append(w)
        return w

    yield factory
    for w in made:
        w.stop_all()


def _crawl_to_kafka(settings: Settings, sources_json: list[dict[str, str]]) -> int:
    app = build(settings)
    publisher = build_publisher(settings)
    try:
        summary = app.pipeline.run(parse_sources(json.dumps(sources_json), "demo"), publisher=publisher)
    finally:
        publisher.close()
        app.close()
    return summary.pages_fetched


def _membership(warehouse: SqlWarehouse) -> tuple[set[frozenset[str]], dict[str, str | None]]:
    groups: dict[str, set[str]] = defaultdict(set)
    dups: dict[str, str | None] = {}
    for row in warehouse.assignments():
        groups[str(row["story_id"])].add(row["url"])
        dups[row["url"]] = row["duplicate_of"]
    return {frozenset(g) for g in groups.values()}, dups


def test_demo_through_kafka_matches_embedded(
    demo: tuple[str, list[dict[str, str]]],
    kafka_topics: str,
    workers: Callable[[dict[str, str]], Workers],
    app_factory: Callable[..., App],
    tmp_path: Path,
) -> None:
    base, sources_json = demo
    embedded = app_factory()
    embedded.pipeline.run(parse_sources(json.dumps(sources_json), "demo"))

    settings, env = _settings(tmp_path, kafka_topics)
    pool = workers(env)
    pool.start_all()
    assert _crawl_to_kafka(settings, sources_json) == len(gold_rows(base)) + 1  # + the page with no text
    assert wait_until_drained(kafka_topics, GROUPS, timeout_s=180)

    streamed = SqlWarehouse(settings.resolved_database_url())
    assert _membership(streamed) == _membership(embedded.warehouse)
    # The unextractable page is in the DLQ with its original bytes and the warehouse index of failures.
    (letter,) = streamed.dead_letters("extract")
    assert letter.error_kind == "no_text" and letter.origin is None  # the table keeps the payload
    streamed.engine.dispose()


def _dlq_records(bootstrap: str, topic: str) -> list[Any]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=3000)
    tp = TopicPartition(dlq_topic(topic), 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    records = list(consumer)
    consumer.close()
    return records


def test_poison_record_goes_to_the_dlq_and_replays_after_the_fix(
    demo: tuple[str, list[dict[str, str]]],
    kafka_topics: str,
    workers: Callable[[dict[str, str]], Workers],
    tmp_path: Path,
) -> None:
    _, sources_json = demo
    settings, env = _settings(tmp_path, kafka_topics)
    # Crawl into Kafka with no workers running, then poison the topic and hide one archived page.
    published = _crawl_to_kafka(settings, sources_json)
    producer = KafkaProducer(bootstrap_servers=kafka_topics)
    producer.send(TOPIC_FETCHED, key=b"poison", value=b"\x00not json at all")
    producer.flush()
    producer.close()
    raw = sorted(settings.resolved_archive_dir().rglob("*.gz"))[0]
    hidden = raw.with_suffix(".hidden")
    raw.rename(hidden)

    pool = workers(env)
    pool.start_all()
    assert wait_until_drained(kafka_topics, GROUPS, timeout_s=180)

    dlq = _dlq_records(kafka_topics, TOPIC_FETCHED)
    by_key = {r.key: r for r in dlq}
    poison = by_key[b"poison"]
    headers = {k: v.decode() for k, v in poison.headers}
    assert poison.value == b"\x00not json at all"
    assert headers["dlq.stage"] == "extract" and headers["dlq.error_class"] == "bad_payload"
    assert headers["dlq.original_topic"] == TOPIC_FETCHED and headers["dlq.original_offset"].isdigit()
    assert {"dlq.error_message", "dlq.original_partition", "dlq.time", "dlq.attempts"} <= set(headers)
    missing = [r for r in dlq if dict(r.headers).get("dlq.error_class") == b"missing_object"]
    assert len(missing) == 1
    warehouse = SqlWarehouse(settings.resolved_database_url())
    stored = len(warehouse.assignments())
    assert stored == published - 1 - 1  # everything but the page with no text and the hidden one

    # The fix: the object is back. Replaying the DLQ recovers it; the poison record fails again, stays.
    hidden.rename(raw)
    replay = subprocess.run(
        [sys.executable, "-m", "storyline.cli", "worker", "extract", "--from-dlq"], env=env, timeout=180, check=False
    )
    assert replay.returncode == 0
    assert wait_until_drained(kafka_topics, GROUPS, timeout_s=180)
    assert len(warehouse.assignments()) == stored + 1
    warehouse.engine.dispose()


def test_kill_9_mid_batch_loses_nothing_and_keeps_event_ids(
    demo: tuple[str, list[dict[str, str]]],
    kafka_topics: str,
    workers: Callable[[dict[str, str]], Workers],
    tmp_path: Path,
) -> None:
    base, sources_json = demo
    settings, env = _settings(tmp_path, kafka_topics)
    published = _crawl_to_kafka(settings, sources_json)
    pool = workers(env)
    extract = pool.start("extract")
    # Kill the extractor while it is part-way through its input (some work done, not committed yet or partly).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        remaining = (
            group_lag(kafka_topics, "storyline-extract", TOPIC_FETCHED) if _has_group(kafka_topics) else published
        )
        with SqlWarehouse(settings.resolved_database_url()).engine.connect() as conn:
            done = conn.exec_driver_sql("select count(*) from articles").scalar() if _has_articles(conn) else 0
        if done and done >= 3 and remaining > 0:
            break
        time.sleep(0.05)
    os.kill(extract.pid, signal.SIGKILL)
    extract.wait()
    pool.start_all()
    assert wait_until_drained(kafka_topics, GROUPS, timeout_s=180)

    warehouse = SqlWarehouse(settings.resolved_database_url())
    assert len(warehouse.assignments()) == published - 1
    assert _membership(warehouse)[0] == _gold_partition(base)
    # Redelivered records produced the same events: one event id per article on the extracted topic.
    consumer = KafkaConsumer(bootstrap_servers=kafka_topics, auto_offset_reset="earliest", consumer_timeout_ms=3000)
    parts = consumer.partitions_for_topic(TOPIC_EXTRACTED) or set()
    consumer.assign([TopicPartition(TOPIC_EXTRACTED, p) for p in parts])
    ids: dict[bytes, set[str]] = defaultdict(set)
    for record in consumer:
        ids[record.key].add(json.loads(record.value)["event_id"])
    consumer.close()
    assert len(ids) == published - 1 and all(len(v) == 1 for v in ids.values())
    warehouse.engine.dispose()


def _has_group(bootstrap: str) -> bool:
    try:
        group_lag(bootstrap, "storyline-extract", TOPIC_FETCHED)
    except Exception:  # noqa: BLE001
        return False
    return True


def _has_articles(conn: Any) -> bool:
    return bool(conn.exec_driver_sql("select count(*) from sqlite_master where name='articles'").scalar())


def _gold_partition(base: str) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for g in gold_rows(base):
        groups[str(g["story"])].add(str(g["url"]))
    return {frozenset(v) for v in groups.values()}
