"""Storing a batch of analysed pages in one transaction (embedded runs) gives the rows and events of one page at
a time: a revision of a page earlier in the same batch, the same page twice, a page without text left out for the
router; and a batch whose write fails is redone one by one without losing a page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from storyline.adapters.analysis import LocalAnalyser
from storyline.adapters.blobstore import LocalBlobStore
from storyline.adapters.ner_spacy import SpacyRecognizer
from storyline.adapters.warehouse import SqlWarehouse
from storyline.adapters.warehouse.tables import ArticleRow
from storyline.domain.errors import PermanentError, TransientError
from storyline.events import ArticleExtracted, ArticleFetched
from storyline.services.pipeline import RunSummary
from storyline.services.stages import ExtractStage

T0 = datetime(2026, 2, 3, 9, tzinfo=UTC)
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ferry service resumes {n}</title>
</head><body><article><h1>Ferry service resumes after storm {n}</h1>
<p>Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of cancellations
caused by the storm that swept the coast over the weekend, the operator said in a statement. {extra}</p>
<p>Bluewater Lines, the island's only ferry operator, said the first sailing left at seven o'clock with about
eighty passengers on board and that extra crossings would run through Wednesday to clear the backlog.</p>
</article></body></html>"""
EMPTY = "<!doctype html><html><head><title>Gallery</title></head><body><p>Photos.</p></body></html>"

# (article id, page): a1 comes back revised in the same batch, then as first seen; a2 twice unchanged.
PAGES = [
    ("a0", PAGE.format(n=0, extra="")),
    ("a1", PAGE.format(n=1, extra="")),
    ("a2", PAGE.format(n=2, extra="")),
    ("a3", EMPTY),
    ("a1", PAGE.format(n=1, extra="The operator apologised to passengers for the delays.")),
    ("a2", PAGE.format(n=2, extra="")),
    ("a1", PAGE.format(n=1, extra="")),
    ("a4", PAGE.format(n=4, extra="")),
]


@pytest.fixture
def stage(warehouse: SqlWarehouse, tmp_path: Path) -> Iterator[ExtractStage]:
    yield ExtractStage(LocalBlobStore(tmp_path / "raw"), warehouse, LocalAnalyser(SpacyRecognizer()))


def _events(blobs: Any, archived_page: Any) -> list[ArticleFetched]:
    return [
        archived_page(blobs, aid, f"raw/{i}", html, T0 + timedelta(minutes=i)) for i, (aid, html) in enumerate(PAGES)
    ]


def _key(out: list[ArticleExtracted] | None) -> tuple[str, str] | None:
    return None if out is None else (out[0].article.article_id, out[0].article.content_hash)


def test_a_batch_stores_what_one_page_at_a_time_stores(
    stage: ExtractStage, warehouse: SqlWarehouse, archived_page: Any
) -> None:
    items = list(stage.ahead(_events(stage.blobs, archived_page)))
    one_by_one: list[list[ArticleExtracted] | None] = []
    for ev, analysis in items:
        try:
            one_by_one.append(stage.handle_batch([(ev, analysis)])[0])
        except PermanentError as exc:
            assert exc.kind == "no_text"
            one_by_one.append(None)
    rows = warehouse.table_digest()
    with warehouse.engine.begin() as conn:
        conn.execute(delete(ArticleRow))

    batched = stage.handle_batch(items)
    assert [_key(b) for b in batched] == [_key(o) for o in one_by_one]
    assert warehouse.table_digest() == rows
    # The scenario exercises what it claims to: a page without text is left out, a1's new text is a revision
    # under its own id, and a1's first text and a2 come back under their own ids.
    ids = [k[0] if k else None for k in map(_key, batched)]
    assert ids[3] is None
    assert ids[4] not in (None, "a1") and ids[6] == "a1" and ids[1] == "a1" and ids[5] == ids[2] == "a2"
    assert len(warehouse.article_hashes(["a0", "a1", "a2", "a3", "a4", str(ids[4])])) == 5


def test_a_failing_write_is_redone_one_by_one_and_nothing_is_lost(
    app_factory: Any, monkeypatch: pytest.MonkeyPatch, archived_page: Any
) -> None:
    app = app_factory()
    stage: ExtractStage = app.pipeline.extract
    items = list(stage.ahead(_events(stage.blobs, archived_page)))
    real = app.warehouse.upsert_articles

    def lost_connection(rows: Any) -> None:
        if len(rows) > 1:
            raise TransientError("warehouse unavailable: connection lost mid-batch")
        real(rows)

    # Fault injection: the batch's write fails; the pipeline must store its pages one at a time.
    monkeypatch.setattr(app.warehouse, "upsert_articles", lost_connection)
    summary = RunSummary()
    out = app.pipeline._extract(items, summary)
    assert [e.article.article_id for e in out][:3] == ["a0", "a1", "a2"]
    assert len(out) == len(PAGES) - 1
    assert summary.extract_failed == 1  # the page without text, dead-lettered with its own error
    assert app.pipeline.router.dead_lettered == 1
    assert set(app.warehouse.article_hashes(e.article.article_id for e in out)) == {e.article.article_id for e in out}
