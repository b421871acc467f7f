"""A run's publisher marks its records complete on a real broker, and a worker's upstream probe reads that mark:
nothing more can come only once the runs that published every page have ended and the earlier stage has
committed them (ADR 0025)."""

from __future__ import annotations

import os

import pytest
from kafka import KafkaAdminClient, TopicPartition

from storyline.adapters.kafka import RUNS_COMPLETE_GROUP, KafkaPublisher, KafkaStreamConsumer, UpstreamProbe
from storyline.events import TOPIC_EXTRACTED, TOPIC_FETCHED

pytestmark = pytest.mark.streaming


def _publish(bootstrap: str, n: int, name: str) -> KafkaPublisher:
    publisher = KafkaPublisher(bootstrap, f"test-run-{name}-{os.getpid()}")
    for i in range(n):
        publisher.send(TOPIC_FETCHED, f"page-{i}", b"{}", [])  # every run's page i on the same partition
    publisher.flush()
    return publisher


def _marks(bootstrap: str) -> dict[TopicPartition, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        done = admin.list_group_offsets({RUNS_COMPLETE_GROUP: None}).get(RUNS_COMPLETE_GROUP, {})
        return {tp: o.offset for tp, o in done.items() if o.offset >= 0}
    finally:
        admin.close()


def test_the_probe_says_idle_only_once_the_run_is_marked_complete(kafka_topics: str) -> None:
    bootstrap = kafka_topics
    own = KafkaStreamConsumer(bootstrap, TOPIC_EXTRACTED, "test-own", "test-own")  # nothing to read: no own lag
    probe = UpstreamProbe(bootstrap, [(RUNS_COMPLETE_GROUP, TOPIC_FETCHED)], own)
    try:
        assert probe()  # an empty topic: nothing was published, nothing can be in flight
        run = _publish(bootstrap, 12, "first")
        assert not probe()  # delivered, but the run has not said it ended: more of it may come
        run.mark_complete()
        assert probe()
        run.close()

        later = _publish(bootstrap, 3, "second")
        assert not probe()  # a new run is publishing
        later.close()  # it dies without marking: the probe keeps saying so (the timed rule stays in charge)
        assert not probe()
    finally:
        probe.close()
        own.consumer.close()


def test_a_mark_never_moves_back(kafka_topics: str) -> None:
    bootstrap = kafka_topics
    early = _publish(bootstrap, 8, "early")
    late = _publish(bootstrap, 8, "late")
    late.mark_complete()
    after_late = _marks(bootstrap)
    early.mark_complete()  # the earlier run ends last: its lower offsets must not lower the mark
    assert _marks(bootstrap) == after_late
    assert sum(after_late.values()) == 16
    early.close()
    late.close()


def test_a_mark_the_broker_cannot_take_is_a_warning_not_a_failed_run(
    kafka_topics: str, caplog: pytest.LogCaptureFixture
) -> None:
    run = _publish(kafka_topics, 4, "unmarked")
    run.bootstrap = "127.0.0.1:9"  # the broker is gone by the time the run ends: nothing listens there
    run.mark_complete()  # the pages are delivered; without the mark, workers wait for quiet instead
    assert "could not mark the run's records complete" in caplog.text
    assert _marks(kafka_topics) == {}
    run.close()
