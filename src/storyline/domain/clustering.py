"""Online, event-time clustering: an article joins the closest active story or opens a new one."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from storyline.domain.dates import minus
from storyline.domain.features import SparseVector, cosine, normalise, top_k


@dataclass(frozen=True)
class ClusterParams:
    threshold: float = 0.15
    w_terms: float = 0.55
    w_entities: float = 0.30
    w_title: float = 0.15
    # A story stays open this long after its last article (event time); then it is dormant.
    active_window: timedelta = timedelta(days=7)
    # Within the grace period no decay; after it the score decays with this half-life.
    grace: timedelta = timedelta(hours=36)
    half_life: timedelta = timedelta(days=3)
    # A story's own rhythm: coverage of one event comes in a burst, so a silence many times longer than the
    # story's typical gap between articles means the burst is over and a similar article is likely a new event
    # (the sibling event of ECB+). The typical gap is (span + rhythm_prior) / article count: one prior gap keeps
    # a young story from looking bursty on two articles. The decay starts after `rhythm_grace` typical gaps and
    # halves every `rhythm_half_life` typical gaps; the time factor is the smaller of this and the absolute one.
    rhythm_prior: timedelta = timedelta(days=1)
    rhythm_grace: float = 2.0
    rhythm_half_life: float = 3.0
    centroid_terms: int = 150
    # Candidate retrieval looks up this many of an article's heaviest terms in the inverted index.
    query_terms: int = 25


@dataclass
class StoryState:
    """The running summary of one story: summed vectors (centroids), counts and its event-time extent."""

    story_id: str
    terms: dict[str, float] = field(default_factory=dict)
    entities: dict[str, float] = field(default_factory=dict)
    title: dict[str, float] = field(default_factory=dict)
    article_count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    # Stories merged into this one while it was live (ADR 0015): their vectors are already in these sums, so a
    # pass that combines a family's states must not add theirs again.
    absorbed: frozenset[str] = frozenset()
    _centroid: tuple[SparseVector, SparseVector, SparseVector] | None = field(default=None, repr=False, compare=False)

    def centroid(self) -> tuple[SparseVector, SparseVector, SparseVector]:
        """Normalised sums, cached until the next absorb (scoring reads them far more often than they change)."""
        if self._centroid is None:
            self._centroid = (normalise(self.terms), normalise(self.entities), normalise(self.title))
        return self._centroid

    def absorb(
        self, vectors: tuple[SparseVector, SparseVector, SparseVector], published_at: datetime, keep: int
    ) -> None:
        """Add one article's vectors to the running sums (incremental centroid update)."""
        for target, vec in zip((self.terms, self.entities, self.title), vectors, strict=True):
            for k, v in vec.items():
                target[k] = target.get(k, 0.0) + v
        self.terms = top_k(self.terms, keep)
        self.entities = top_k(self.entities, keep)
        self.title = top_k(self.title, keep)
        self.article_count += 1
        self._centroid = None
        self.first_seen = published_at if self.first_seen is None else min(self.first_seen, published_at)
        self.last_seen = published_at if self.last_seen is None else max(self.last_seen, published_at)

    def absorb_story(self, other: StoryState) -> None:
        """Add another story's sums, count and extent to this one (a merge), remembering that it did."""
        for target, src in ((self.terms, other.terms), (self.entities, other.entities), (self.title, other.title)):
            for k, v in src.items():
                target[k] = target.get(k, 0.0) + v
        self.article_count += other.article_count
        for seen in (other.first_seen, other.last_seen):
            if seen is not None:
                self.first_seen = seen if self.first_seen is None else min(self.first_seen, seen)
                self.last_seen = seen if self.last_seen is None else max(self.last_seen, seen)
        if other.story_id != self.story_id:
            self.absorbed = self.absorbed | other.absorbed | {other.story_id}
        self._centroid = None


@dataclass(frozen=True)
class Assignment:
    story_id: str | None  # None: no active story is close enough; open a new one
    score: float


def time_factor(published_at: datetime, story: StoryState, params: ClusterParams) -> float:
    """1 inside the story's extent; outside it, the smaller of an absolute decay (a grace period, then a
    half-life) and a decay relative to the story's own rhythm (see ClusterParams)."""
    assert story.first_seen is not None and story.last_seen is not None
    if published_at > story.last_seen:
        gap = published_at - story.last_seen
    elif published_at < story.first_seen:
        gap = story.first_seen - published_at
    else:
        return 1.0
    if gap > params.active_window:
        return 0.0
    excess = max(0.0, (gap - params.grace).total_seconds())
    absolute = math.pow(0.5, excess / params.half_life.total_seconds())
    return min(absolute, rhythm_factor(gap, story, params))


def rhythm_factor(gap: timedelta, story: StoryState, params: ClusterParams) -> float:
    """Decay by the gap measured in the story's typical inter-article gaps (prior-smoothed)."""
    assert story.first_seen is not None and story.last_seen is not None
    typical = (story.last_seen - story.first_seen + params.rhythm_prior) / max(1, story.article_count)
    ratio = gap / typical
    return math.pow(0.5, max(0.0, ratio - params.rhythm_grace) / params.rhythm_half_life)


def similarity(
    vectors: tuple[SparseVector, SparseVector, SparseVector],
    published_at: datetime,
    story: StoryState,
    params: ClusterParams,
) -> float:
    t, e, ti = vectors
    st, se, sti = story.centroid()
    base = params.w_terms * cosine(t, st) + params.w_title * cosine(ti, sti)
    if e and se:
        base += params.w_entities * cosine(e, se)
    else:
        # Without entities on one side, spread their weight over the other signals rather than penalise.
        base *= 1.0 / (params.w_terms + params.w_title)
    return base * time_factor(published_at, story, params)


def best_story(
    vectors: tuple[SparseVector, SparseVector, SparseVector],
    published_at: datetime,
    candidates: Iterable[StoryState],
    params: ClusterParams,
) -> Assignment:
    """The highest-scoring candidate above the threshold; ties go to the smallest story id (order-free)."""
    best: tuple[float, str] | None = None
    for story in candidates:
        score = similarity(vectors, published_at, story, params)
        if score < params.threshold:
            continue
        key = (-score, story.story_id)
        if best is None or key < best:
            best = key
    if best is None:
        return Assignment(None, 0.0)
    return Assignment(best[1], -best[0])


class StoryIndex:
    """Active stories with an inverted index from heavy terms to stories, so lookups stay sublinear."""

    def __init__(self, params: ClusterParams) -> None:
        self.params = params
        self.stories: dict[str, StoryState] = {}
        self._postings: dict[str, set[str]] = {}
        self._indexed_terms: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self.stories)

    def add(self, story: StoryState) -> None:
        self.stories[story.story_id] = story
        self._reindex(story)

    def _reindex(self, story: StoryState) -> None:
        for term in self._indexed_terms.get(story.story_id, set()):
            self._postings.get(term, set()).discard(story.story_id)
        keys = set(top_k(story.terms, self.params.query_terms * 2)) | {
            "e:" + k for k in top_k(story.entities, self.params.query_terms)
        }
        self._indexed_terms[story.story_id] = keys
        for term in keys:
            self._postings.setdefault(term, set()).add(story.story_id)

    def candidates(self, vectors: tuple[SparseVector, SparseVector, SparseVector]) -> list[StoryState]:
        t, e, _ = vectors
        keys = set(top_k(t, self.params.query_terms)) | {"e:" + k for k in top_k(e, self.params.query_terms)}
        ids: set[str] = set()
        for key in keys:
            ids |= self._postings.get(key, set())
        return [self.stories[i] for i in sorted(ids)]

    def merge(self, loser: str, survivor: str, keep: int) -> None:
        """Fold `loser` into `survivor` (both indexed): one story from now on, matched on their summed vectors."""
        gone = self.stories.pop(loser)
        for term in self._indexed_terms.pop(loser, set()):
            self._postings.get(term, set()).discard(loser)
        story = self.stories[survivor]
        story.absorb_story(gone)
        story.terms, story.entities, story.title = (
            top_k(story.terms, keep),
            top_k(story.entities, keep),
            top_k(story.title, keep),
        )
        self._reindex(story)

    def expire(self, now: datetime) -> list[str]:
        """Drop stories dormant for longer than the active window (event time); returns their ids."""
        # Clipped: dates are kept plausible upstream, but an event time near year 1 must not stop clustering.
        cutoff = minus(now, self.params.active_window)
        gone = [sid for sid, s in self.stories.items() if s.last_seen is not None and s.last_seen < cutoff]
        for sid in gone:
            for term in self._indexed_terms.pop(sid, set()):
                self._postings.get(term, set()).discard(sid)
            del self.stories[sid]
        return gone

    def assign(
        self,
        story_id_if_new: str,
        vectors: tuple[SparseVector, SparseVector, SparseVector],
        published_at: datetime,
    ) -> tuple[StoryState, Assignment]:
        """Place one article: join the best candidate or open `story_id_if_new`. Returns the updated story."""
        decision = best_story(vectors, published_at, self.candidates(vectors), self.params)
        if decision.story_id is None:
            story = StoryState(story_id_if_new)
            self.stories[story.story_id] = story
        else:
            story = self.stories[decision.story_id]
        story.absorb(vectors, published_at, self.params.centroid_terms)
        self._reindex(story)
        return story, decision


def state_to_json(story: StoryState) -> dict[str, object]:
    return {
        "terms": story.terms,
        "entities": story.entities,
        "title": story.title,
        "article_count": story.article_count,
    } | ({"absorbed": sorted(story.absorbed)} if story.absorbed else {})


def state_from_json(story_id: str, data: Mapping[str, object], first_seen: datetime, last_seen: datetime) -> StoryState:
    def vec(key: str) -> dict[str, float]:
        raw = data.get(key, {})
        return {str(k): float(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

    count = data.get("article_count", 0)
    absorbed = data.get("absorbed", [])
    return StoryState(
        story_id=story_id,
        terms=vec("terms"),
        entities=vec("entities"),
        title=vec("title"),
        article_count=int(count) if isinstance(count, int) else 0,
        first_seen=first_seen,
        last_seen=last_seen,
        absorbed=frozenset(str(x) for x in absorbed) if isinstance(absorbed, list) else frozenset(),
    )
