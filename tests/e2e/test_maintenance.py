"""Maintenance over the demo site: consolidation repairs online splits (and only those), retention of raw pages."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import make_settings
from storyline.adapters.static_site import StaticSite
from storyline.bootstrap import App, build_maintenance, bus_configured
from storyline.cli import app as cli_app
from storyline.demo.site import build_site, gold_rows
from storyline.domain.records import FetchDecision, FetchOutcome
from storyline.services.maintenance import consolidate, expire_raw_objects
from storyline.sources.registry import parse_sources

pytestmark = pytest.mark.e2e


@pytest.fixture
def crawled(tmp_path: Path) -> Iterator[Callable[..., tuple[App, dict[str, str]]]]:
    """Runs the embedded pipeline over the demo site; returns the app and each gold URL's story label."""
    root = tmp_path / "site"
    root.mkdir()
    with StaticSite(root) as server:
        site = build_site(root, server.base_url)

        def run(factory: Callable[..., App], database_url: str, **overrides: object) -> tuple[App, dict[str, str]]:
            app = factory(database_url, **overrides)
            app.pipeline.run(parse_sources(json.dumps(site.sources), "demo"))
            return app, {str(g["url"]): str(g["story"]) for g in gold_rows(server.base_url)}

        yield run


def _stories(app: App, gold: dict[str, str]) -> dict[str, set[str]]:
    """Gold labels per (resolved) story id, as readers see them."""
    labels: dict[str, set[str]] = defaultdict(set)
    for row in app.warehouse.assignments():
        labels[str(row["story_id"])].add(gold[row["url"]])
    return labels


def test_consolidation_repairs_online_splits_and_only_those(
    crawled: Callable[..., tuple[App, dict[str, str]]], app_factory: Callable[..., App], database_url: str
) -> None:
    # A strict online threshold splits the demo's 9 stories into many; nothing is wrongly merged yet. Without
    # live consolidation, the splits wait for this pass.
    app, gold = crawled(app_factory, database_url, cluster_threshold=0.45, consolidate_live=False)
    before = _stories(app, gold)
    assert len(before) > len(set(gold.values())) and all(len(labels) == 1 for labels in before.values())

    m = build_maintenance(app.settings)
    report = consolidate(m.warehouse, m.enrich, datetime.now(UTC), cluster=m.cluster)
    after = _stories(app, gold)
    assert report.merges and len(after) == len(before) - len(report.merges)
    assert all(len(labels) == 1 for labels in after.values()), "a merge joined two different events"

    # Merged ids keep working: they resolve to the survivor, whose page covers the merged articles.
    log = {row["loser"]: row["survivor"] for row in app.warehouse.merge_log()}
    assert log == {mg.loser: mg.survivor for mg in report.merges}
    overview = {s["story_id"] for s in app.warehouse.stories_overview(limit=100)}
    for loser, survivor in log.items():
        assert app.warehouse.resolve_story(loser) == survivor
        assert loser not in overview and survivor in overview
        snap = app.warehouse.story_snapshot(survivor)
        assert snap["article_count"] == len(snap["article_ids"])
    assert {u.story_id for u in report.updated} == set(log.values())
    for update in report.updated:
        assert update.article_count == len(update.article_ids) and update.outlet_count >= 1
    # The change feed also says where each merged story went, after the survivors (ADR 0020); nothing is owed.
    assert {u.story_id: u.merged_into for u in report.feed if u.merged_into} == log
    feed = list(report.feed)
    assert all(u.merged_into in {v.story_id for v in feed[:n]} for n, u in enumerate(feed) if u.merged_into)
    assert app.warehouse.pending_sections() == []

    # Idempotent: a second pass (here through the CLI) finds nothing and changes no row.
    digest = app.warehouse.table_digest()
    result = CliRunner().invoke(cli_app, ["consolidate", "--data-dir", str(app.settings.data_dir)], env=_env(app))
    assert result.exit_code == 0, result.output
    assert "merged 0" in result.output
    assert app.warehouse.table_digest() == digest
    m.close()


def test_live_consolidation_repairs_the_splits_while_the_run_goes(
    crawled: Callable[..., tuple[App, dict[str, str]]], app_factory: Callable[..., App], database_url: str
) -> None:
    # The same strict threshold, consolidating live: the run itself merges the splits, the daily pass finds nothing
    # left, and no merge joined two events.
    app, gold = crawled(app_factory, database_url, cluster_threshold=0.45)
    log = {row["loser"]: row["survivor"] for row in app.warehouse.merge_log()}
    assert log, "no split was repaired while the run went"
    stories = _stories(app, gold)
    assert all(len(labels) == 1 for labels in stories.values()), "a live merge joined two different events"
    overview = {s["story_id"] for s in app.warehouse.stories_overview(limit=100)}
    for loser, survivor in log.items():
        assert app.warehouse.resolve_story(loser) == survivor and loser not in overview and survivor in overview
        snap = app.warehouse.story_snapshot(survivor)
        assert snap["article_count"] == len(snap["article_ids"])
    assert app.warehouse.pending_sections() == []  # the merged stories' records were made with their survivors'
    m = build_maintenance(app.settings)
    assert list(consolidate(m.warehouse, m.enrich, datetime.now(UTC), cluster=m.cluster).merges) == []
    m.close()


def _env(app: App) -> dict[str, str]:
    return {"STORYLINE_DATABASE_URL": app.settings.resolved_database_url()}


@pytest.mark.streaming
def test_cli_consolidation_publishes_to_the_change_feed_when_a_bus_is_configured(
    crawled: Callable[..., tuple[App, dict[str, str]]],
    app_factory: Callable[..., App],
    database_url: str,
    kafka_topics: str,
) -> None:
    # `storyline consolidate` runs the maintenance DAG's use case: with STORYLINE_KAFKA_BOOTSTRAP set, the change
    # feed gets the survivors' updates, then a record per merged story naming its survivor (ADR 0020, 0022).
    from storyline.adapters.kafka_ranges import end_offsets, read_between
    from storyline.events import TOPIC_UPDATED, decode

    app, _ = crawled(app_factory, database_url, cluster_threshold=0.45, consolidate_live=False)
    before = end_offsets(kafka_topics, [TOPIC_UPDATED])
    env = {**_env(app), "STORYLINE_KAFKA_BOOTSTRAP": kafka_topics}
    result = CliRunner().invoke(cli_app, ["consolidate", "--data-dir", str(app.settings.data_dir)], env=env)
    assert result.exit_code == 0, result.output

    merges = app.warehouse.merge_log()
    assert merges, "nothing was split: the test shows nothing"
    feed = [
        decode(TOPIC_UPDATED, r.value)
        for r in read_between(kafka_topics, before, end_offsets(kafka_topics, [TOPIC_UPDATED]))
    ]
    into = {m["loser"]: app.warehouse.resolve_story(m["loser"]) for m in merges}
    assert {u.story_id for u in feed if u.merged_into is None} == set(into.values())
    assert {u.story_id: u.merged_into for u in feed if u.merged_into} == into
    survivors = {u.story_id for u in feed if u.merged_into is None}
    assert all(u.merged_into in survivors for u in feed if u.merged_into)
    assert f"merged {len(merges)}," in result.output
    assert f"change feed: {len(feed)} records to {TOPIC_UPDATED}" in result.output


def test_embedded_maintenance_has_no_bus_unless_one_is_configured(tmp_path: Path) -> None:
    # Embedded mode runs offline: no STORYLINE_KAFKA_BOOTSTRAP, no change feed (and no broker to wait for).
    plain = make_settings(tmp_path)
    assert not bus_configured(plain)
    assert bus_configured(make_settings(tmp_path, kafka_bootstrap="127.0.0.1:9"))
    m = build_maintenance(plain)
    try:
        assert m.feed is None and m.passes.feed is None
    finally:
        m.close()


def test_consolidation_leaves_the_exact_demo_alone(
    crawled: Callable[..., tuple[App, dict[str, str]]], app_factory: Callable[..., App], database_url: str
) -> None:
    app, gold = crawled(app_factory, database_url)
    m = build_maintenance(app.settings)
    report = consolidate(m.warehouse, m.enrich, datetime.now(UTC), cluster=m.cluster)
    assert report.stories == len(set(gold.values())) and list(report.merges) == []
    m.close()


def test_raw_retention_deletes_old_objects_and_keeps_recent_ones(
    crawled: Callable[..., tuple[App, dict[str, str]]], app_factory: Callable[..., App], database_url: str
) -> None:
    app, _ = crawled(app_factory, database_url)
    pages = app.warehouse.archived_pages()
    keys = sorted({p.raw_object_key for p in pages})
    assert keys and all(app.blobs.exists(k) for k in keys)
    now = datetime.now(UTC)

    # Everything was fetched just now: a 1-day retention keeps it all.
    assert expire_raw_objects(app.warehouse, app.blobs, now - timedelta(days=1), now) == 0
    # One page is fetched again later (its object put back): that object stays when the rest expire.
    kept = keys[0]
    later = now + timedelta(days=3)
    app.warehouse.record_fetches(
        [FetchDecision("http://example.test/again", "x", "page", FetchOutcome.FETCHED, "ok", later, 200, 1, kept)]
    )
    gone = expire_raw_objects(app.warehouse, app.blobs, now + timedelta(days=1), later)
    assert gone == len(keys) - 1
    assert app.blobs.exists(kept) and not any(app.blobs.exists(k) for k in keys[1:])
    assert {p.raw_object_key for p in app.warehouse.archived_pages()} <= {kept}
    assert expire_raw_objects(app.warehouse, app.blobs, now + timedelta(days=1), later) == 0  # idempotent

    # The CLI says what it did, and refuses to guess when told nothing.
    runner = CliRunner()
    result = runner.invoke(
        cli_app, ["expire", "--fetch-log-days", "1", "--data-dir", str(app.settings.data_dir)], env=_env(app)
    )
    assert result.exit_code == 0 and "fetch-log rows deleted: 0" in result.output, result.output
    refused = runner.invoke(cli_app, ["expire", "--data-dir", str(app.settings.data_dir)], env=_env(app))
    assert refused.exit_code == 2 and "nothing to do" in refused.output
