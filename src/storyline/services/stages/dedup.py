"""Dedup: each article's verdict (new, duplicate, revision) against the warehouse, decided per batch."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC

from storyline.domain import dedup as dd
from storyline.domain.dedup_batch import DedupItem, decide_batch
from storyline.events import ArticleDeduplicated, ArticleExtracted
from storyline.ports import ArticleStore, TaskPool
from storyline.services.batches import mapped_ahead
from storyline.services.stages.common import InProcess, StatelessStage


def _hashed_text(event: ArticleExtracted) -> tuple[str, str]:
    return (event.article.content_hash, event.article.text)


class DedupStage(StatelessStage):
    """Exact hash, same URL and MinHash-LSH candidates from the warehouse; the verdict names the earliest copy."""

    name = "dedup"

    def __init__(self, articles: ArticleStore, tasks: TaskPool | None = None) -> None:
        self.articles = articles
        self.tasks = tasks or InProcess()

    def ahead(self, events: Iterable[ArticleExtracted]) -> Iterator[tuple[ArticleExtracted, dd.Fingerprint | None]]:
        """Each event with its fingerprint, computed ahead on every core (pure, and the costly part of dedup)."""
        return mapped_ahead(self.tasks, dd.fingerprint_of, _hashed_text, events)

    def handle_batch(
        self, pairs: Sequence[tuple[ArticleExtracted, dd.Fingerprint | None]]
    ) -> list[list[ArticleDeduplicated]]:
        """Each event in turn, decided in one serialised transaction (look-up, decision and write: two dedup
        workers never both call two copies of one text "new", ADR 0004): each sees what the ones before it
        decided. Any error fails the whole batch (the runner then redoes its events alone, so each error is
        routed). Fingerprints not computed ahead are computed here."""
        events = [e for e, _ in pairs]
        items = [self._item(e, fp if fp is not None else dd.fingerprint_of(_hashed_text(e))) for e, fp in pairs]
        with self.articles.unit_of_work():
            rulings = decide_batch(items, self.articles.dedup_candidates(items))
            self.articles.store_verdicts(rulings)
        return [[self._deduplicated(e, r.decision)] for e, r in zip(events, rulings, strict=True)]

    @staticmethod
    def _item(event: ArticleExtracted, fp: dd.Fingerprint) -> DedupItem:
        art = event.article
        published = art.published_at.astimezone(UTC).isoformat()
        return DedupItem(art.article_id, art.content_hash, art.canonical_url, tuple(fp.bands), fp.shingles, published)

    @staticmethod
    def _deduplicated(event: ArticleExtracted, decision: dd.Decision) -> ArticleDeduplicated:
        art = event.article
        return ArticleDeduplicated(
            event_time=art.published_at,
            article=art,
            verdict=decision.verdict.value,
            duplicate_of=decision.duplicate_of,
            revision_of=decision.revision_of,
            similarity=round(decision.similarity, 4),
        )
