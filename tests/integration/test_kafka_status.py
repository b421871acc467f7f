"""`storyline status` on a real broker and warehouse, run as cron runs it: exit 0 when healthy, 1 with one line per
problem (dead letters, a stage without workers, stale sources, Kafka down), and --json with ISO timestamps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition

from storyline.adapters.kafka import stream_status
from storyline.adapters.warehouse import SqlWarehouse
from storyline.bootstrap import stream_inputs
from storyline.domain.health import stream_report
from storyline.domain.records import FetchDecision, FetchOutcome, Source
from storyline.events import STAGE_TOPICS, TOPIC_BACKFILL, TOPIC_EXTRACTED, TOPIC_FETCHED, dlq_topic

pytestmark = pytest.mark.streaming


def _produce(bootstrap: str, topic: str, n: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(n):
        producer.send(topic, key=f"k{i}".encode(), value=b"{}")
    producer.flush()
    producer.close()


def _status(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed CLI in a fresh process, as cron runs it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    return subprocess.run(
        [str(Path(sys.executable).parent / "storyline"), "status", *args],
        env={**clean, "COLUMNS": "400", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def crawled(warehouse: SqlWarehouse, database_url: str, tmp_path: Path) -> dict[str, str]:
    """A warehouse with one source crawled 10 minutes ago and one crawled 10 hours ago (disabled unless a test
    enables it); the environment that points `storyline` at it."""
    now = datetime.now(UTC)
    warehouse.upsert_sources(
        [Source("gazette", "Gazette", ("http://127.0.0.1:9/feed.xml",)), Source("herald", "Herald", (), enabled=False)]
    )
    warehouse.record_fetches(
        [
            FetchDecision(
                "http://127.0.0.1:9/feed.xml",
                "gazette",
                "feed",
                FetchOutcome.FETCHED,
                "ok",
                now - timedelta(minutes=10),
            ),
            FetchDecision(
                "http://127.0.0.1:9/h.xml", "herald", "feed", FetchOutcome.FETCHED, "ok", now - timedelta(hours=10)
            ),
        ]
    )
    return {"STORYLINE_DATABASE_URL": database_url, "STORYLINE_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def workers(kafka_topics: str) -> Iterator[list[KafkaConsumer]]:
    """A live member in every stage's consumer group (the heartbeat thread keeps it a member while open)."""
    groups = {f"storyline-{stage}": topic for stage, (topic, _) in STAGE_TOPICS.items()}
    members = [
        KafkaConsumer(topic, bootstrap_servers=kafka_topics, group_id=group, enable_auto_commit=False)
        for group, topic in groups.items()
    ]
    admin = KafkaAdminClient(bootstrap_servers=kafka_topics)

    def joined() -> bool:
        # Membership, not an assignment: a member that joined before the fresh topics' metadata has none yet.
        described = admin.describe_groups(list(groups))
        return all(d["group_state"] == "Stable" and d["members"] for d in described.values())

    try:
        deadline = time.monotonic() + 60
        while not (ok := joined()) and time.monotonic() < deadline:
            for m in members:
                m.poll(timeout_ms=100, max_records=1)  # nothing to read: joining the group is the point
        admin.close()
        assert ok, "the consumers did not join their groups"
        yield members
    finally:  # leave the groups now: a member left to time out would still count in the next test's groups
        for m in members:
            m.close(autocommit=False)


def test_the_readings_count_lag_members_and_live_dead_letters(kafka_topics: str) -> None:
    _produce(kafka_topics, TOPIC_FETCHED, 5)
    _produce(kafka_topics, dlq_topic(TOPIC_EXTRACTED), 2)
    _produce(kafka_topics, dlq_topic(TOPIC_BACKFILL), 1)
    # The extract group has read and committed two of the five: three are left.
    consumer = KafkaConsumer(bootstrap_servers=kafka_topics, group_id="storyline-extract", enable_auto_commit=False)
    tps = [TopicPartition(TOPIC_FETCHED, p) for p in sorted(consumer.partitions_for_topic(TOPIC_FETCHED) or [])]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    taken = 0
    for _ in range(50):
        for tp, records in consumer.poll(timeout_ms=500, max_records=2 - taken).items():
            for rec in records:
                consumer.commit({tp: OffsetAndMetadata(rec.offset + 1, None, -1)})
                taken += 1
        if taken >= 2:
            break
    consumer.close()
    readings = stream_status(kafka_topics, stream_inputs())
    report = stream_report(readings)
    assert report["lag"] == {"extract": 3, "dedup": 0, "cluster": 0, "enrich": 0, "extract-backfill": 0}
    assert report["dlq"][dlq_topic(TOPIC_EXTRACTED)] == 2
    assert report["dlq"][dlq_topic(TOPIC_BACKFILL)] == 1
    assert report["dlq"][dlq_topic(TOPIC_FETCHED)] == 0
    assert all(r.members == 0 for r in readings)  # manual assignment joins no group


def test_healthy_is_exit_0(crawled: dict[str, str], workers: list[KafkaConsumer], kafka_topics: str) -> None:
    done = _status("--lag-interval", "0.5", env={**crawled, "STORYLINE_KAFKA_BOOTSTRAP": kafka_topics})
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("status: healthy")
    assert "group_id is None" not in done.stderr  # the probes are admin requests, not group-less consumers


def test_dead_letters_and_a_stage_without_workers_are_exit_1_one_line_each(
    crawled: dict[str, str], workers: list[KafkaConsumer], kafka_topics: str
) -> None:
    workers[0].close(autocommit=False)  # extract's workers are gone (a clean leave: at once, not at session timeout)
    _produce(kafka_topics, TOPIC_FETCHED, 3)
    _produce(kafka_topics, dlq_topic(TOPIC_FETCHED), 2)
    done = _status("--lag-interval", "0", env={**crawled, "STORYLINE_KAFKA_BOOTSTRAP": kafka_topics})
    print(done.stdout)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    problems = [line for line in lines if line.startswith(("dead stage:", "dead letters:", "stale", "kafka"))]
    assert problems == [
        "dead stage: extract has no workers (consumer group storyline-extract has no members; 3 records waiting in "
        "storyline.articles.fetched): start `storyline worker extract`",
        "dead letters: 2 in storyline.articles.fetched.dlq (stage extract): read their dlq.* headers, fix the cause, "
        "then replay with `storyline worker extract --from-dlq`",
    ]
    assert lines[-1] == "status: needs attention"


def test_json_has_the_backfill_group_and_dlq_iso_timestamps_and_stale_sources(
    crawled: dict[str, str], warehouse: SqlWarehouse, kafka_topics: str
) -> None:
    warehouse.upsert_sources([Source("herald", "Herald", (), enabled=True)])  # 10 h since its crawl: stale
    _produce(kafka_topics, TOPIC_BACKFILL, 4)
    _produce(kafka_topics, dlq_topic(TOPIC_BACKFILL), 1)
    done = _status("--json", "--lag-interval", "0", env={**crawled, "STORYLINE_KAFKA_BOOTSTRAP": kafka_topics})
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    backfill = report["stream"]["groups"]["storyline-extract-backfill"]
    assert backfill == {
        "stage": "extract",
        "backfill": True,
        "topic": "storyline.articles.backfill",
        "members": 0,
        "lag": 4,
        "lag_change": 0,
        "sampled_over_s": 0.0,
        "dlq_topic": "storyline.articles.backfill.dlq",
        "dead_letters": 1,
    }
    assert report["stream"]["dlq"]["storyline.articles.backfill.dlq"] == 1
    kinds = {(p["kind"], p["subject"]) for p in report["problems"]}
    assert ("dead_stage", "storyline-extract-backfill") in kinds
    assert ("dead_letters", "storyline.articles.backfill.dlq") in kinds
    assert ("stale_sources", "herald") in kinds
    assert report["healthy"] is False
    # Every timestamp is ISO 8601 with its zone ("2026-01-01T10:00:00+00:00", not str()'s "2026-01-01 10:00:00").
    stamps = [report["checked_at"], *(s["last_crawl"] for s in report["sources"])]
    assert all("T" in s and datetime.fromisoformat(s).tzinfo is not None for s in stamps), stamps


def test_kafka_unreachable_is_exit_1_and_the_warehouse_still_reports(crawled: dict[str, str]) -> None:
    done = _status("--lag-interval", "0", env={**crawled, "STORYLINE_KAFKA_BOOTSTRAP": "127.0.0.1:1"})
    print(done.stdout)
    assert done.returncode == 1, done.stdout + done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("kafka unreachable:")]
    assert "no Kafka broker at 127.0.0.1:1" in line and "STORYLINE_KAFKA_BOOTSTRAP" in line
    assert "gazette" in done.stdout and "Traceback" not in done.stderr
    as_json = json.loads(
        _status("--json", "--lag-interval", "0", env={**crawled, "STORYLINE_KAFKA_BOOTSTRAP": "127.0.0.1:1"}).stdout
    )
    assert as_json["problems"][0]["kind"] == "kafka" and "127.0.0.1:1" in as_json["stream"]["error"]


def test_a_user_mistake_is_one_line_not_a_traceback(crawled: dict[str, str], tmp_path: Path) -> None:
    done = _status("--stale-after-hours", "-1", "--no-kafka", env=crawled)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "--stale-after-hours" in line
    missing = _status("--no-kafka", "--data-dir", str(tmp_path / "nothing"), env={})
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "no warehouse at" in missing.stderr
