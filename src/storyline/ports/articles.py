"""Ports of the articles aggregate: stored articles, and what dedup decides on and decided."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from storyline.domain.dedup_batch import DedupItem, Held, Ruling
from storyline.domain.entities import ArticleMentions
from storyline.events import ArticleBody
from storyline.ports.unit_of_work import UnitOfWork


class ArticleStore(UnitOfWork, Protocol):
    def known_urls(self, canonical_urls: Iterable[str]) -> set[str]: ...
    def upsert_articles(self, items: Sequence[tuple[ArticleBody, ArticleMentions | None]]) -> None: ...
    def article_hashes(self, article_ids: Iterable[str]) -> dict[str, str]: ...
    def dedup_candidates(self, items: Sequence[DedupItem]) -> Held:
        """What the batch's verdicts are decided on (`dedup_batch.decide_batch`); holds the dedup lock until the
        unit of work it must be called in ends, so the verdicts are stored before another worker decides."""
        ...

    def store_verdicts(self, rulings: Sequence[Ruling]) -> None: ...
