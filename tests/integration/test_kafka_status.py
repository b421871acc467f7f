"""`storyline status`'s stream part on the real broker: consumer-group lag per stage and dead-letter topic sizes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from typer.testing import CliRunner

from storyline.adapters.kafka import stream_status
from storyline.cli import app as cli_app
from storyline.events import STAGE_TOPICS, TOPIC_EXTRACTED, TOPIC_FETCHED, dlq_topic

pytestmark = pytest.mark.streaming


def _produce(bootstrap: str, topic: str, n: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(n):
        producer.send(topic, key=f"k{i}".encode(), value=b"{}")
    producer.flush()
    producer.close()


def test_lag_and_dead_letter_sizes(kafka_topics: str) -> None:
    _produce(kafka_topics, TOPIC_FETCHED, 5)
    _produce(kafka_topics, dlq_topic(TOPIC_EXTRACTED), 2)
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
    report = stream_status(kafka_topics, STAGE_TOPICS)
    assert report["lag"]["extract"] == 3
    assert report["lag"]["dedup"] == 0
    assert report["dlq"][dlq_topic(TOPIC_EXTRACTED)] == 2
    assert report["dlq"][dlq_topic(TOPIC_FETCHED)] == 0


def test_status_command_reads_the_broker(kafka_topics: str, tmp_path: Path) -> None:
    _produce(kafka_topics, TOPIC_FETCHED, 4)
    env = {"STORYLINE_KAFKA_BOOTSTRAP": kafka_topics}
    assert CliRunner().invoke(cli_app, ["db", "upgrade", "--data-dir", str(tmp_path)]).exit_code == 0
    result = CliRunner().invoke(cli_app, ["status", "--json", "--data-dir", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    stream = json.loads(result.stdout)["stream"]
    assert stream["lag"]["extract"] == 4


def test_status_without_a_broker_says_so_and_still_reports(tmp_path: Path) -> None:
    env = {"STORYLINE_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    assert CliRunner().invoke(cli_app, ["db", "upgrade", "--data-dir", str(tmp_path)]).exit_code == 0
    result = CliRunner().invoke(cli_app, ["status", "--json", "--data-dir", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert "no Kafka broker at 127.0.0.1:1" in report["stream"]["error"]
    assert report["articles"] == 0
