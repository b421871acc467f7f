"""In-memory stores for service tests: warehouse ports without a database, with a unit of work that keeps all or
nothing. They hold what the SQL repositories hold and answer as they do, so a service test needs no engine."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from storyline.domain.dedup_batch import DedupItem, Held, Ruling, StoredArticle
from storyline.domain.entities import ArticleMentions
from storyline.events import ArticleBody


@dataclass
class _Verdict:
    verdict: str | None = None
    duplicate_of: str | None = None
    revision_of: str | None = None
    dedup_similarity: float | None = None


class InMemoryArticles:
    """ArticleStore: articles, their dedup verdicts and LSH bands."""

    def __init__(self) -> None:
        self.articles: dict[str, ArticleBody] = {}
        self.verdicts: dict[str, _Verdict] = {}
        self.bands: dict[str, set[str]] = {}  # band key -> article ids
        self._depth = 0

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        if self._depth:  # inside another: the outer one keeps or drops everything
            yield
            return
        saved = copy.deepcopy((self.articles, self.verdicts, self.bands))
        self._depth += 1
        try:
            yield
        except BaseException:
            self.articles, self.verdicts, self.bands = saved
            raise
        finally:
            self._depth -= 1

    def known_urls(self, canonical_urls: Iterable[str]) -> set[str]:
        return set(canonical_urls) & {a.canonical_url for a in self.articles.values()}

    def article_hashes(self, article_ids: Iterable[str]) -> dict[str, str]:
        return {aid: self.articles[aid].content_hash for aid in article_ids if aid in self.articles}

    def upsert_articles(self, items: Sequence[tuple[ArticleBody, ArticleMentions | None]]) -> None:
        with self.unit_of_work():
            for article, _ in items:
                self.articles[article.article_id] = article  # a verdict already made stays, as in SQL
                self.verdicts.setdefault(article.article_id, _Verdict())

    def dedup_candidates(self, items: Sequence[DedupItem]) -> Held:
        if not self._depth:
            raise RuntimeError("dedup_candidates outside a unit of work: the lock would end before the verdicts")

        def ids(key: str, values: set[str]) -> dict[str, frozenset[str]]:
            found: dict[str, set[str]] = {}
            for a in self.articles.values():
                if getattr(a, key) in values:
                    found.setdefault(getattr(a, key), set()).add(a.article_id)
            return {value: frozenset(held) for value, held in found.items()}

        by_hash = ids("content_hash", {it.content_hash for it in items})
        by_url = ids("canonical_url", {it.canonical_url for it in items})
        by_band = {b: frozenset(self.bands[b]) for it in items for b in it.bands if b in self.bands}
        wanted = {aid for found in (by_hash, by_url, by_band) for held in found.values() for aid in held}
        wanted |= {it.article_id for it in items}
        return Held(by_hash, by_url, by_band, {aid: self._stored(aid) for aid in wanted if aid in self.articles})

    def store_verdicts(self, rulings: Sequence[Ruling]) -> None:
        with self.unit_of_work():
            for ruling in rulings:
                if ruling.replayed:
                    continue
                aid, d = ruling.item.article_id, ruling.decision
                if aid in self.verdicts:
                    self.verdicts[aid] = _Verdict(
                        d.verdict.value, d.duplicate_of, d.revision_of, round(d.similarity, 4)
                    )
                for band in ruling.item.bands:
                    self.bands.setdefault(band, set()).add(aid)
                # An adoption: the former originals and their copies now point at this article.
                for other, v in self.verdicts.items():
                    if other in d.adopts or v.duplicate_of in d.adopts:
                        v.verdict, v.duplicate_of = "duplicate", aid

    def _stored(self, aid: str) -> StoredArticle:
        a, v = self.articles[aid], self.verdicts[aid]
        return StoredArticle(
            aid,
            a.canonical_url,
            a.text,
            a.published_at,
            a.content_hash,
            v.verdict,
            v.duplicate_of,
            v.revision_of,
            v.dedup_similarity,
        )
