"""Story sections written many stories per transaction, and built on the analysis processes: the same rows as
one story at a time, in-process; an unchanged story is not rewritten; a bad story fails the whole transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from store_steps import save_cluster_step, save_sections, story_articles, upsert_article
from storyline.adapters.analysis import PooledAnalyser
from storyline.adapters.ner_spacy import SpacyRecognizer
from storyline.adapters.warehouse import SqlWarehouse
from storyline.adapters.warehouse.tables import EntityRow, StoryEntityRow, StoryLinkRow, StoryPerspectiveRow, StoryRow
from storyline.domain.enrichment import build_sections
from storyline.domain.links import Link
from storyline.events import ArticleBody
from storyline.ports import StoredStory
from storyline.services.stages import EnrichStage

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
OUTLETS = [("herald", "The Herald"), ("gazette", "The Gazette"), ("post", "The Post")]
PLACES = ["Port Ellis", "Marrow Island", "Kestrel Bay", "Aldwick", "Brayford", "Corran"]


def _text(story: int, outlet: int) -> str:
    place, other = PLACES[story % len(PLACES)], PLACES[(story + 1) % len(PLACES)]
    return (
        f"The harbour authority in {place} closed channel {story} on Monday after a cargo ship lost power. "
        f"Officials from {other} said the closure would last until tugs could move the vessel, outlet {outlet} "
        f"reported. Bluewater Lines, the operator, said crossings {story} would resume on Wednesday. "
        f"No injuries were reported, according to the coast guard in {place}."
    )


def _stories(wh: SqlWarehouse, n: int = 20) -> list[str]:
    sids = []
    for story in range(n):
        sid = f"st_{story:02d}"
        sids.append(sid)
        for outlet, (source_id, name) in enumerate(OUTLETS[: 1 + story % 3]):
            aid = f"a{story:02d}-{outlet}"
            when = T0 + timedelta(hours=story, minutes=outlet)
            upsert_article(
                wh,
                ArticleBody(
                    article_id=aid,
                    url=f"https://{source_id}.example/{aid}",
                    canonical_url=f"https://{source_id}.example/{aid}",
                    source_id=source_id,
                    source_name=name,
                    title=f"Channel {story} closed after ship loses power in {PLACES[story % len(PLACES)]}",
                    text=_text(story, outlet),
                    published_at=when,
                    fetched_at=when,
                    content_hash=f"h-{aid}",
                    raw_object_key="raw/x",
                ),
            )
            state = {"terms": {"harbour": 1.0, f"channel{story}": 1.0}, "article_count": outlet + 1}
            save_cluster_step(wh, StoredStory(sid, T0, when, state), aid, 1.0, outlet == 0)
    return sids


def _unwrite(wh: SqlWarehouse) -> None:
    with wh.engine.begin() as conn:
        for table in (StoryPerspectiveRow, StoryEntityRow, StoryLinkRow, EntityRow):
            conn.execute(delete(table))
        conn.execute(update(StoryRow).values(sections=None, version=None, headline=None, outlet_count=0))


def test_many_stories_in_one_transaction_write_what_one_at_a_time_writes(warehouse: SqlWarehouse) -> None:
    sids = _stories(warehouse)
    recognizer = SpacyRecognizer()
    dfs = warehouse.load_document_frequencies()
    items = []
    for i, sid in enumerate(sids):
        arts = story_articles(warehouse, sid)
        links = [Link(sid, sids[(i + 1) % len(sids)], "related", 0.5)] if i % 4 == 0 else []
        items.append((sid, build_sections(arts, dfs, recognizer.mentions(arts)), links))
    assert all(save_sections(warehouse, *item) for item in items)
    one_by_one = warehouse.table_digest()
    snaps_one_by_one = [warehouse.story_snapshot(sid) for sid in sids]
    _unwrite(warehouse)

    snaps = warehouse.save_sections_many(items)
    assert warehouse.table_digest() == one_by_one
    # The child rows are there, not only equal: one link row per link given, a perspective per outlet.
    with warehouse.engine.connect() as conn:
        links = conn.execute(select(StoryLinkRow.story_id, StoryLinkRow.other_id)).all()
        outlets = conn.execute(select(func.count()).select_from(StoryPerspectiveRow)).scalar_one()
        cards = conn.execute(select(func.count()).select_from(StoryEntityRow)).scalar_one()
    assert sorted(links) == sorted((sid, lk.other_id) for sid, _, ls in items for lk in ls)
    assert outlets == sum(1 + i % 3 for i in range(len(sids))) and cards > len(sids)
    assert snaps == snaps_one_by_one
    assert warehouse.save_sections_many(items) == [None] * len(items), "unchanged: no new version"

    _unwrite(warehouse)
    with pytest.raises(KeyError):
        warehouse.save_sections_many([*items[:3], ("st_missing", items[0][1], [])])
    assert warehouse.story_snapshot(sids[0])["sections"] == {}, "nothing of the failed transaction is written"


def test_sections_built_on_the_pool_equal_those_built_in_process(warehouse: SqlWarehouse) -> None:
    sids = _stories(warehouse)
    in_process = EnrichStage(warehouse, SpacyRecognizer())
    for sid in sids:
        in_process.mark(sid)
    expected = in_process.flush()
    rows = warehouse.table_digest()
    _unwrite(warehouse)

    pool = PooledAnalyser(SpacyRecognizer(), processes=2)
    try:
        pooled = EnrichStage(warehouse, SpacyRecognizer(), tasks=pool)
        for sid in sids:
            pooled.mark(sid)
        got = pooled.flush()
        assert pool._pool is not None, "built on the worker processes"
    finally:
        pool.close()
    assert [u.model_dump() for u in got] == [u.model_dump() for u in expected]
    assert warehouse.table_digest() == rows
    assert len(got) == len(sids) and all(u.entities for u in got)
