"""The change feed on a real broker: a consumer of `storyline.stories.updated` ends with exactly the warehouse's
live stories, merged ones included (a record naming the survivor); and a Kafka run's report counts what it made."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storyline.adapters.kafka import wait_until_drained
from storyline.adapters.kafka_ranges import end_offsets, read_between
from storyline.adapters.warehouse import SqlWarehouse
from storyline.bootstrap import build, build_publisher
from storyline.demo.site import gold_rows
from storyline.events import STAGE_TOPICS, TOPIC_UPDATED, StoryUpdated, decode
from storyline.services.pipeline import REPORT_TOPICS, tally_stream
from storyline.settings import Settings
from storyline.sources.registry import parse_sources

pytestmark = pytest.mark.streaming
GROUPS = {f"storyline-{stage}": topics[0] for stage, topics in STAGE_TOPICS.items()}


def _view(bootstrap: str) -> dict[str, StoryUpdated]:
    """What a downstream consumer holds after reading the whole feed: the latest record per story id."""
    view: dict[str, StoryUpdated] = {}
    for record in read_between(bootstrap, {}, end_offsets(bootstrap, [TOPIC_UPDATED])):
        update = decode(TOPIC_UPDATED, record.value)
        assert record.key == update.story_id.encode()
        view[update.story_id] = update  # one key, one partition: offset order is the story's order
    return view


@pytest.fixture
def values(tmp_path: Path, kafka_topics: str) -> dict[str, object]:
    return {
        "data_dir": tmp_path / "stream",
        "allow_private_addresses": True,
        "min_host_delay_s": 0.0,
        "kafka_bootstrap": kafka_topics,
        "reorder_window_s": 60.0,
        "reorder_quiet_s": 5.0,
        # A strict online threshold splits the demo's stories; live consolidation merges them back (ADR 0015).
        "cluster_threshold": 0.45,
    }


@pytest.fixture
def settings(values: dict[str, object]) -> Settings:
    return Settings.model_validate(values)


@pytest.fixture
def workers(values: dict[str, object], tmp_path: Path) -> Iterator[None]:
    env = {**os.environ, "STORYLINE_LOG_LEVEL": "INFO"}
    env.update({f"STORYLINE_{key.upper()}": str(value) for key, value in values.items()})
    procs = []
    for stage in STAGE_TOPICS:
        log = (tmp_path / f"{stage}.log").open("ab")
        procs.append(
            subprocess.Popen([sys.executable, "-m", "storyline.cli", "worker", stage], env=env, stdout=log, stderr=log)
        )
    yield
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=60)


def test_live_merges_reach_the_change_feed_and_the_report_counts_the_workers(
    demo_site: tuple[str, list[dict[str, str]]], settings: Settings, workers: None
) -> None:
    base, sources = demo_site
    bootstrap = settings.kafka_bootstrap
    before = end_offsets(bootstrap, REPORT_TOPICS)
    app = build(settings)
    publisher = build_publisher(settings)
    try:
        summary = app.pipeline.run(parse_sources(json.dumps(sources), "demo"), publisher=publisher)
    finally:
        publisher.close()
        app.close()
    assert wait_until_drained(bootstrap, GROUPS, timeout_s=240)

    warehouse = SqlWarehouse(settings.resolved_database_url())
    try:
        merges = warehouse.merge_log()
        assert merges, "no split was merged while the stream ran: the test shows nothing"
        live = {str(r["story_id"]) for r in warehouse.assignments()}
        view = _view(bootstrap)
        # The consumer keeps exactly the live stories; every merged one is on the feed as merged, pointing at the
        # story that holds its articles now, with nothing of its own left.
        assert {sid for sid, u in view.items() if u.merged_into is None} == live
        for merge in merges:
            record = view[merge["loser"]]
            assert record.merged_into == warehouse.resolve_story(merge["loser"]) in live
            assert record.article_ids == [] and record.what_happened == [] and record.article_count == 0
        # Each article is in exactly one story a consumer holds.
        held = [a for u in view.values() if u.merged_into is None for a in u.article_ids]
        assert len(held) == len(set(held)) == len(warehouse.assignments())

        # The run's report counts what the workers published (a fresh warehouse: every live story is new).
        tally_stream(summary, read_between(bootstrap, before, end_offsets(bootstrap, REPORT_TOPICS)))
        gold = gold_rows(base)
        duplicates = sum(1 for g in gold if g["duplicate_of"])
        assert (summary.articles_new, summary.articles_duplicate) == (len(gold) - duplicates, duplicates)
        assert summary.stories_new == len(live)
        assert summary.stories_merged == len(merges) and summary.stories_updated == 0
        assert summary.extract_failed == 1  # the demo's page with no article text
    finally:
        warehouse.engine.dispose()
