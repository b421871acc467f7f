"""Dedup and clustering of a batch in one transaction each (embedded runs) give the results and rows of one
article at a time. Dedup:
copies, revisions, an earlier copy arriving late (it adopts the roots, then a copy after it in the same batch
follows it), a redelivered article; and a bad batch falls back to one by one without losing an article."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from store_steps import upsert_article
from storyline.adapters.warehouse import SqlWarehouse
from storyline.adapters.warehouse.tables import (
    ArticleBandRow,
    ArticlePassageRow,
    ArticleRow,
    StoryArticleRow,
    StoryMergeRow,
    StoryRow,
    TermFrequencyRow,
)
from storyline.domain.errors import TransientError
from storyline.events import ArticleBody, ArticleDeduplicated, ArticleExtracted
from storyline.services.stages import ClusterStage, DedupStage

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
_WORDS = [
    "harbour",
    "council",
    "budget",
    "ferry",
    "storm",
    "island",
    "minister",
    "port",
    "vote",
    "fishermen",
    "fees",
    "crossing",
    "weather",
    "coast",
    "operator",
    "passengers",
    "delay",
    "service",
    "schedule",
    "mooring",
    "repairs",
    "engineers",
    "contract",
    "tender",
    "union",
    "strike",
]


def _text(seed: int, n: int = 90) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(_WORDS) for _ in range(n)) + "."


def _event(aid: str, url: str, text: str, when: datetime) -> ArticleExtracted:
    body = ArticleBody(
        article_id=aid,
        url=url,
        canonical_url=url,
        source_id=aid.split("-", maxsplit=1)[0],
        source_name=aid.split("-", maxsplit=1)[0].title(),
        title="Ferry crossings resume",
        text=text,
        published_at=when,
        fetched_at=when + timedelta(minutes=5),
        content_hash="h-" + aid,
        raw_object_key="raw/" + aid,
    )
    return ArticleExtracted(event_time=when, article=body)


A, B = _text(1), _text(2)
BATCHES = [
    [
        _event("wire-a1", "https://wire.example/a1", A, T0),
        _event("gazette-b1", "https://gazette.example/b1", B, T0 + timedelta(minutes=30)),
        _event("herald-a2", "https://herald.example/a2", "PORT ELLIS (Wire) - " + A, T0 + timedelta(hours=1)),
        _event("post-a3", "https://post.example/a3", A.replace("ferry", "boat", 2), T0 + timedelta(hours=2)),
        # Same URL as b1, new text: a revision under its own id.
        _event("gazette-b1r", "https://gazette.example/b1", B + " Updated with the vote.", T0 + timedelta(hours=3)),
    ],
    [
        # Published before every copy seen so far: the original after all. Then a copy closest to post-a3, whose
        # root is now early-a0: the batch must see the adoption it made itself.
        _event("early-a0", "https://early.example/a0", A, T0 - timedelta(hours=1)),
        _event("late-a4", "https://late.example/a4", A.replace("ferry", "boat", 2) + " More.", T0 + timedelta(hours=4)),
    ],
    # Redelivered: its stored verdict comes back unchanged.
    [_event("herald-a2", "https://herald.example/a2", "PORT ELLIS (Wire) - " + A, T0 + timedelta(hours=1))],
]


def _clear(wh: SqlWarehouse) -> None:
    with wh.engine.begin() as conn:
        # Children before their parents (foreign keys): what clustering wrote, then what dedup wrote.
        for table in (ArticlePassageRow, StoryMergeRow, StoryArticleRow, StoryRow, TermFrequencyRow, ArticleBandRow):
            conn.execute(delete(table))
        conn.execute(delete(ArticleRow))


def _run(wh: SqlWarehouse, batched: bool) -> list[ArticleDeduplicated]:
    stage = DedupStage(wh)
    out: list[ArticleDeduplicated] = []
    for batch in BATCHES:
        for ev in batch:
            upsert_article(wh, ev.article)  # the extract stage stored them before dedup sees them
        if batched:
            out.extend(d for ds in stage.handle_batch([(ev, None) for ev in batch]) for d in ds)
        else:
            for ev in batch:
                out.extend(stage.handle_batch([(ev, None)])[0])
    return out


def test_a_batch_decides_as_one_article_at_a_time(warehouse: SqlWarehouse) -> None:
    one_by_one = _run(warehouse, batched=False)
    rows_one_by_one = warehouse.table_digest()
    _clear(warehouse)
    batched = _run(warehouse, batched=True)
    assert [(d.article.article_id, d.verdict, d.duplicate_of, d.revision_of, d.similarity) for d in batched] == [
        (d.article.article_id, d.verdict, d.duplicate_of, d.revision_of, d.similarity) for d in one_by_one
    ]
    assert warehouse.table_digest() == rows_one_by_one
    # The scenario exercises what it claims to.
    verdicts = {d.article.article_id: (d.verdict, d.duplicate_of, d.revision_of) for d in batched[:7]}
    assert verdicts["herald-a2"] == ("duplicate", "wire-a1", None)
    assert verdicts["gazette-b1r"] == ("revision", None, "gazette-b1")
    assert verdicts["early-a0"] == ("new", None, None)
    assert verdicts["late-a4"] == ("duplicate", "early-a0", None)  # follows the adoption made in its own batch
    with warehouse.session() as s:
        copies = s.execute(
            select(ArticleRow.article_id, ArticleRow.duplicate_of).where(ArticleRow.duplicate_of.isnot(None))
        )
        adopted = dict(copies.tuples().all())
    assert adopted["wire-a1"] == "early-a0" and adopted["herald-a2"] == "early-a0"


def test_a_failing_batch_is_redone_one_by_one_and_nothing_is_lost(
    app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory()
    for ev in BATCHES[0]:
        upsert_article(app.warehouse, ev.article)

    real = app.warehouse.dedup_candidates

    def lost_connection(items: Any) -> Any:
        if len(items) > 1:
            raise TransientError("warehouse unavailable: connection lost mid-batch")
        return real(items)

    # Fault injection: the batch transaction fails; the pipeline must redo its articles one at a time.
    monkeypatch.setattr(app.warehouse, "dedup_candidates", lost_connection)
    results = app.pipeline._dedup(BATCHES[0])
    assert [r[0].article.article_id if r else None for r in results] == [ev.article.article_id for ev in BATCHES[0]]
    assert [r[0].verdict if r else None for r in results] == ["new", "new", "duplicate", "duplicate", "revision"]
    assert app.pipeline.router.dead_lettered == 0


# Ten days on: an unrelated article (its step expires the dormant ferry story from the index), then one more copy
# of the ferry text, whose story must be read back (from this batch's own pending writes or the warehouse).
LATER = [
    _event("gazette-c1", "https://gazette.example/c1", _text(3), T0 + timedelta(days=10)),
    _event("wire-a5", "https://wire.example/a5", A, T0 + timedelta(days=10, hours=1)),
]


def _assign(wh: SqlWarehouse, batched: bool) -> list[tuple[str, str, float, bool]]:
    dedup, cluster = DedupStage(wh), ClusterStage(wh)
    out: list[tuple[str, str, float, bool]] = []
    for batch in [*BATCHES, LATER]:
        for ev in batch:
            upsert_article(wh, ev.article)
        deduped = [d for ev in batch for d in dedup.handle_batch([(ev, None)])[0]]
        pairs = [(d, None) for d in deduped]
        steps = cluster.handle_batch(pairs) if batched else [cluster.handle_batch([p])[0] for p in pairs]
        out.extend((a.article_id, a.story_id, a.score, a.is_new_story) for step in steps for a in step)
    cluster.flush()
    return out


def test_a_clustering_batch_assigns_as_one_article_at_a_time(warehouse: SqlWarehouse) -> None:
    one_by_one = _assign(warehouse, batched=False)
    rows_one_by_one = warehouse.table_digest()
    _clear(warehouse)
    assert _assign(warehouse, batched=True) == one_by_one
    assert warehouse.table_digest() == rows_one_by_one
    stories = {aid: sid for aid, sid, _, _ in one_by_one}
    assert stories["wire-a5"] == stories["wire-a1"] != stories["gazette-c1"]  # the dormant story, read back
