"""DLQ replay on a real broker: a record that keeps failing stays one live dead letter, with its original headers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from storyline.adapters.kafka import dlq_replay_group, stream_status, wait_until_drained
from storyline.adapters.warehouse import SqlWarehouse
from storyline.bootstrap import stream_inputs
from storyline.domain.health import stream_report
from storyline.events import TOPIC_FETCHED, ArticleFetched, dlq_topic, headers
from storyline.settings import Settings

pytestmark = pytest.mark.streaming
DLQ = dlq_topic(TOPIC_FETCHED)
REPLAY_GROUP = dlq_replay_group("extract")


def _live_dead_letters(bootstrap: str) -> list[Any]:
    """The DLQ as the next replay will read it: from the replay group's committed offset (else the start)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="test-dlq")
    committed = admin.list_group_offsets({REPLAY_GROUP: None}).get(REPLAY_GROUP, {})
    admin.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=3000)
    tps = [TopicPartition(DLQ, p) for p in sorted(consumer.partitions_for_topic(DLQ) or [])]
    consumer.assign(tps)
    for tp in tps:
        done = committed.get(tp)
        if done is not None and done.offset >= 0:
            consumer.seek(tp, done.offset)
        else:
            consumer.seek_to_beginning(tp)
    records = list(consumer)
    consumer.close()
    return records


def _dlq_end(bootstrap: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    tps = [TopicPartition(DLQ, p) for p in sorted(consumer.partitions_for_topic(DLQ) or [])]
    total = sum(int(o) for o in consumer.end_offsets(tps).values())
    consumer.close()
    return total


def test_replaying_a_permanent_failure_leaves_one_copy_with_the_original_headers(
    kafka_topics: str, tmp_path: Path
) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path / "stream", "kafka_bootstrap": kafka_topics})
    env = {
        **os.environ,
        "STORYLINE_DATA_DIR": str(settings.data_dir),
        "STORYLINE_KAFKA_BOOTSTRAP": kafka_topics,
        "STORYLINE_LOG_LEVEL": "INFO",
    }
    # A fetched page whose raw object is not in the archive: extraction fails for good, every time.
    now = datetime.now(UTC)
    url = "https://gazette.example/gone"
    event = ArticleFetched(
        event_time=now,
        article_id="gone",
        url=url,
        canonical_url=url,
        source_id="gazette",
        source_name="The Gazette",
        raw_object_key="raw/never-archived.html.gz",
        http_status=200,
        byte_size=100,
        fetched_at=now,
    )
    original = [*headers(event), ("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    producer = KafkaProducer(bootstrap_servers=kafka_topics)
    sent = producer.send(TOPIC_FETCHED, key=event.key().encode(), value=event.to_bytes(), headers=original)
    where = sent.get(timeout=30)
    producer.close()

    log = (tmp_path / "worker.log").open("ab")
    extract = subprocess.Popen(
        [sys.executable, "-m", "storyline.cli", "worker", "extract"], env=env, stdout=log, stderr=log
    )
    try:
        assert wait_until_drained(kafka_topics, {"storyline-extract": TOPIC_FETCHED}, timeout_s=180)
    finally:
        extract.send_signal(signal.SIGTERM)
        extract.wait(timeout=60)
    assert len(_live_dead_letters(kafka_topics)) == 1

    warehouse = SqlWarehouse(settings.resolved_database_url())
    for replay in range(1, 4):
        done = subprocess.run(
            [sys.executable, "-m", "storyline.cli", "worker", "extract", "--from-dlq"],
            env=env,
            stdout=log,
            stderr=log,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0
        (letter,) = _live_dead_letters(kafka_topics)
        assert letter.key == event.key().encode() and letter.value == event.to_bytes()
        got = [(k, v) for k, v in letter.headers]
        # The original record's headers, as they were, then one set of error headers naming the first failure.
        assert got[: len(original)] == original, got
        dlq = {k: v.decode() for k, v in got[len(original) :]}
        assert len(dlq) == len(got) - len(original) and all(k.startswith("dlq.") for k in dlq)
        assert dlq["dlq.stage"] == "extract" and dlq["dlq.error_class"] == "missing_object"
        assert (dlq["dlq.original_topic"], dlq["dlq.original_partition"], dlq["dlq.original_offset"]) == (
            TOPIC_FETCHED,
            str(where.partition),
            str(where.offset),
        )
        # Kafka appends: each replay wrote one new copy and committed past the one it read, and what operators
        # are shown (status) is the live DLQ, one record, while the warehouse index also holds one row.
        assert _dlq_end(kafka_topics) == 1 + replay
        assert stream_report(stream_status(kafka_topics, stream_inputs()))["dlq"][DLQ] == 1
        assert len(warehouse.dead_letters("extract")) == 1
    warehouse.engine.dispose()
