"""In-memory stores for service tests: warehouse ports without a database, with a unit of work that keeps all or
nothing. They hold what the SQL repositories hold and answer as they do, so a service test needs no engine: the
articles (dedup's side) and the stories (clustering's side)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from storyline.domain.dedup_batch import DedupItem, Held, Ruling, StoredArticle
from storyline.domain.entities import ArticleMentions
from storyline.domain.features import DocumentFrequencies
from storyline.events import ArticleBody
from storyline.ports import ClusterSteps, StoredStory


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


class InMemoryStories:
    """The clustering side of StoryStore: story states, memberships, document frequencies, lead passages and live
    merges. Outlets come from the articles store, as the SQL query joins the articles table."""

    def __init__(self, articles: InMemoryArticles) -> None:
        self.articles = articles
        self.stories: dict[str, StoredStory] = {}
        self.merged_into: dict[str, str] = {}
        self.members: dict[str, tuple[str, float, bool]] = {}  # article id -> (story, score, is_seed)
        self.n_docs = 0
        self.df: dict[str, int] = {}
        self.passages: set[tuple[str, int]] = set()
        self.saves = 0  # transactions that wrote clustering steps

    def active_stories(self, since: datetime) -> list[StoredStory]:
        alive = (s for sid, s in sorted(self.stories.items()) if sid not in self.merged_into)
        return [s for s in alive if s.last_seen >= since]

    def story_state(self, story_id: str) -> StoredStory | None:
        return self.stories.get(story_id)

    def load_document_frequencies(self) -> DocumentFrequencies:
        return DocumentFrequencies(n_docs=self.n_docs, df=dict(self.df))

    def assignments_of(self, article_ids: Iterable[str]) -> dict[str, tuple[str, float, bool]]:
        return {aid: self.members[aid] for aid in article_ids if aid in self.members}

    def save_cluster_steps(self, steps: ClusterSteps) -> None:
        self.saves += 1
        self.stories.update({s.story_id: s for s in steps.stories})
        self.members.update({aid: (sid, round(score, 6), seed) for aid, sid, score, seed in steps.memberships})
        if steps.df is not None and steps.df[0]:
            self.n_docs += steps.df[0]
            for term, count in steps.df[1].items():
                self.df[term] = self.df.get(term, 0) + count
        self.passages.update(steps.passages)
        for m in steps.merges:
            loser, survivor = self.stories.get(m.loser), self.stories.get(m.survivor)
            if loser is None or survivor is None or m.loser in self.merged_into or m.survivor in self.merged_into:
                continue
            for sid, into in list(self.merged_into.items()):
                if into == m.loser:
                    self.merged_into[sid] = m.survivor
            self.merged_into[m.loser] = m.survivor
            first, last = min(survivor.first_seen, loser.first_seen), max(survivor.last_seen, loser.last_seen)
            self.stories[m.survivor] = replace(survivor, first_seen=first, last_seen=last)

    def passage_holders(self, passages: Iterable[int]) -> list[tuple[int, str, str]]:
        wanted = set(passages)
        return [row for row in self._passage_rows() if row[0] in wanted]

    def family_passages(self, roots: Iterable[str]) -> list[tuple[int, str, str]]:
        wanted = set(roots)
        return [row for row in self._passage_rows() if row[1] in wanted]

    def resolve_story(self, story_id: str) -> str:
        return self.merged_into.get(story_id, story_id)

    def _passage_rows(self) -> list[tuple[int, str, str]]:
        """(passage, family root, outlet) of every clustered article's lead passage."""
        rows = []
        for aid, passage in sorted(self.passages):
            if aid in self.members and aid in self.articles.articles:
                root = self.resolve_story(self.members[aid][0])
                rows.append((passage, root, self.articles.articles[aid].source_id))
        return rows
