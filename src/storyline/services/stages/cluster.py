"""Cluster: articles to stories, online, with the batch's writes held until its end and live merges."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from storyline.domain.clustering import ClusterParams, StoryIndex, StoryState, state_from_json, state_to_json
from storyline.domain.consolidation import ConsolidationParams, Merge, merge_score, plan_merges
from storyline.domain.features import ArticleFeatures, DocumentFrequencies, extract_features, features_of, weighted
from storyline.domain.ids import story_id
from storyline.domain.passages import between, shared_passages
from storyline.events import ArticleDeduplicated, ArticleExtracted, StoryAssigned
from storyline.ports import ClusterSteps, StoredStory, StoryStore, TaskPool
from storyline.services.batches import mapped_ahead
from storyline.services.stages.common import InProcess

# An event about one article, extracted or deduplicated: what clustering's features are computed from.
AE = TypeVar("AE", ArticleExtracted, ArticleDeduplicated)
# How often (event time) the cluster stage drops dormant stories from its in-memory index.
_EXPIRE_EVERY = timedelta(days=1)


def _feature_input(event: ArticleExtracted | ArticleDeduplicated) -> tuple[str, str, datetime, str, str]:
    a = event.article
    return (a.article_id, a.source_id, a.published_at, a.title, a.text)


@dataclass
class _ClusterBatch:
    """A batch's clustering writes not made yet, and the assignments the batch knows (read once at its start, then
    its own): what each step would otherwise read back from the warehouse."""

    known: dict[str, tuple[str, float, bool]]
    features: dict[str, ArticleFeatures] = field(default_factory=dict)
    stories: dict[str, StoredStory] = field(default_factory=dict)
    memberships: list[tuple[str, str, float, bool]] = field(default_factory=list)
    # Document-frequency increments of the batch's articles, written with its memberships.
    docs: int = 0
    df: dict[str, int] = field(default_factory=dict)
    # Each clustered (not copied) article's outlet and source passages, written with its membership.
    leads: dict[str, tuple[str, frozenset[int]]] = field(default_factory=dict)
    # Live merges made by the batch's steps (written with it), and where each merged story now lives.
    merges: list[Merge] = field(default_factory=list)
    into: dict[str, str] = field(default_factory=dict)
    # Each article's source passages (with its features, ahead on every core when they were).
    passages: dict[str, frozenset[int]] = field(default_factory=dict)
    # Stored rows read once per batch (they change only by the batch's own merges, applied through `into`): the
    # stories and outlets holding each of the batch's passages, and each family's passages once asked for.
    holders: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)
    families: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)


class ClusterStage:
    """Online clustering in event-time order; the active-story index is loaded lazily from the warehouse."""

    name = "cluster"

    def __init__(
        self,
        stories: StoryStore,
        params: ClusterParams | None = None,
        tasks: TaskPool | None = None,
        consolidation: ConsolidationParams | None = None,
        live: bool = True,
    ) -> None:
        self.stories = stories
        self.live = live
        self.params = params or ClusterParams()
        self.consolidation = consolidation or ConsolidationParams()
        self.tasks = tasks or InProcess()
        self.index = StoryIndex(self.params)
        self.dfs: DocumentFrequencies | None = None
        # The index holds every unmerged story with last_seen >= _loaded_since (event time).
        self._loaded_since: datetime | None = None
        self._expired_at: datetime | None = None

    def _ensure_window(self, at: datetime) -> None:
        since = at - self.params.active_window
        if self._loaded_since is not None and since >= self._loaded_since:
            return
        for stored in self.stories.active_stories(since):
            if stored.story_id not in self.index.stories:
                self.index.add(state_from_json(stored.story_id, stored.state, stored.first_seen, stored.last_seen))
        self._loaded_since = since if self._loaded_since is None else min(since, self._loaded_since)

    def _expire_dormant(self, at: datetime) -> None:
        """Drop stories dormant for longer than the active window, once per event-time day: they can no longer
        score (the time factor is 0), and keeping them would make every lookup slower as history grows."""
        if self._expired_at is not None and at - self._expired_at < _EXPIRE_EVERY:
            return
        self.index.expire(at)
        self._expired_at = at
        horizon = at - self.params.active_window
        self._loaded_since = horizon if self._loaded_since is None else max(self._loaded_since, horizon)

    def reset(self) -> None:
        self.index = StoryIndex(self.params)
        self.dfs = None
        self._loaded_since = None
        self._expired_at = None

    def ahead(self, events: Iterable[AE]) -> Iterator[tuple[AE, ArticleFeatures | None]]:
        """Each event with its article's features, computed ahead on every core (pure; the steps that use them
        are sequential). Any event about an article: an embedded run starts them before the verdicts."""
        return mapped_ahead(self.tasks, features_of, _feature_input, events)

    def handle_batch(
        self, pairs: Sequence[tuple[ArticleDeduplicated, ArticleFeatures | None]]
    ) -> list[list[StoryAssigned]]:
        """Each event in turn, as if alone, written in one transaction: the same assignments and rows whatever
        the batches (a batch of one included; its statistics are written with its membership). On any error the
        in-memory index is rebuilt from the warehouse and the error raised (the runner then redoes the events
        alone, so each error is routed). Features not computed ahead are computed here."""
        events = [e for e, _ in pairs]
        follows = [f for e in events if (f := e.duplicate_of or e.revision_of) is not None]
        batch = _ClusterBatch(self.stories.assignments_of([e.article.article_id for e in events] + follows))
        batch.features = {
            e.article.article_id: f if f is not None else extract_features(*_feature_input(e)) for e, f in pairs
        }
        try:
            batch.passages = {aid: f.passages for aid, f in batch.features.items()}
            if self.live:
                for row in self.stories.passage_holders(set().union(*batch.passages.values())):
                    batch.holders.setdefault(row[0], []).append(row)
            out = [self._handle(e, batch) for e in events]
            self.stories.save_cluster_steps(
                ClusterSteps(
                    stories=list(batch.stories.values()),
                    memberships=batch.memberships,
                    df=(batch.docs, batch.df),
                    passages=[(aid, p) for aid, (_, passages) in batch.leads.items() for p in sorted(passages)],
                    merges=batch.merges,
                    merged_at=max((e.article.published_at for e in events), default=None),
                )
            )
        except Exception:
            # The index (and its statistics) hold assignments that were never written: rebuilt from the warehouse.
            self.reset()
            raise
        if not batch.into:
            return out
        # The batch's assignments to a story that merged now name its survivor, so enrichment rebuilds the survivor.
        return [
            [a.model_copy(update={"story_id": batch.into.get(a.story_id, a.story_id)}) for a in step] for step in out
        ]

    def _merge_live(self, batch: _ClusterBatch, sid: str, article_id: str) -> str:
        """Consolidation while the stories are live (ADR 0015), after each article: its story against the stories
        it could merge with (sharing heavy terms, or a source passage of this article, a quiet story read back from
        the warehouse), by the rule of the maintenance pass. After each article, not each batch, so the stories do
        not depend on how the articles were batched (an embedded chunk, a streaming poll). Merges are applied to
        the index now and written with the batch; returns where the article's story now lives."""
        if not self.live:
            return sid
        shared = self._shared_sources(batch, sid, article_id)
        story = self.index.stories[sid]
        others = {s.story_id for s in self.index.candidates(story.centroid())}
        others |= {x for pair in shared for x in pair if sid in pair}
        others.discard(sid)
        for other in sorted(others - set(self.index.stories)):
            # A quiet story whose source this article shares: read back, as a late copy's story is.
            stored = batch.stories.get(other) or self.stories.story_state(other)
            if stored is not None:
                self.index.add(state_from_json(other, stored.state, stored.first_seen, stored.last_seen))
        near = [
            self.index.stories[o]
            for o in sorted(others)
            if o in self.index.stories
            and merge_score(story, self.index.stories[o], between(shared, sid, o), self.consolidation, self.params)
            is not None
        ]
        if not near:
            return sid
        for m in plan_merges([story, *near], self.consolidation, self.params, shared):
            self.index.merge(m.loser, m.survivor, self.params.centroid_terms)
            batch.stories[m.survivor] = self._stored(self.index.stories[m.survivor])
            batch.merges.append(m)
            batch.into = {k: (m.survivor if v == m.loser else v) for k, v in batch.into.items()}
            batch.into[m.loser] = m.survivor
        return batch.into.get(sid, sid)

    def _shared_sources(self, batch: _ClusterBatch, sid: str, article_id: str) -> dict[tuple[str, str], int]:
        """Source passages shared by story `sid` and each story this article shares one with: counted over both
        whole families (stored rows and the batch's own), so evidence that builds up article by article counts."""
        passages = batch.leads[article_id][1]
        found = [row for p in passages for row in batch.holders.get(p, [])]
        found += [(p, batch.known[aid][0], o) for aid, (o, ps) in batch.leads.items() for p in ps & passages]
        linked = {r for _, root, _ in found if (r := batch.into.get(root, root)) != sid}
        if not linked:
            return {}
        wanted = linked | {sid}
        roots = wanted | {loser for loser, survivor in batch.into.items() if survivor in wanted}
        missing = sorted(roots - set(batch.families))
        for root in missing:
            batch.families[root] = []
        for row in self.stories.family_passages(missing) if missing else []:
            batch.families[row[1]].append(row)
        rows = [row for root in sorted(roots) for row in batch.families[root]]
        rows += [(p, batch.known[aid][0], o) for aid, (o, ps) in batch.leads.items() for p in ps]
        mapped = [(p, r, o) for p, root, o in rows if (r := batch.into.get(root, root)) in wanted]
        return shared_passages(mapped)

    def _save(self, story: StoredStory, article_id: str, score: float, is_new: bool, batch: _ClusterBatch) -> None:
        batch.stories[story.story_id] = story
        batch.memberships.append((article_id, story.story_id, score, is_new))
        batch.known[article_id] = (story.story_id, score, is_new)

    def _handle(self, event: ArticleDeduplicated, batch: _ClusterBatch) -> list[StoryAssigned]:
        art = event.article
        done = batch.known.get(art.article_id)
        if done is not None:  # replay: same story, same event
            sid, score, seed = done
            return [self._assigned(event, sid, score, seed)]
        if self.dfs is None:
            self.dfs = self.stories.load_document_frequencies()
        self._ensure_window(art.published_at)
        follow = event.duplicate_of or event.revision_of
        parent = batch.known.get(follow) if follow is not None else None
        if parent is not None:
            # A copy joins its original's story without moving the centroid: wire text counts once. However old
            # the original is (copies can follow days later): a dormant story is read back, not re-clustered.
            sid = batch.into.get(parent[0], parent[0])
            story = self.index.stories.get(sid)
            if story is None:
                stored = batch.stories.get(sid) or self.stories.story_state(sid)
                story = state_from_json(sid, stored.state, stored.first_seen, stored.last_seen) if stored else None
            if story is not None:
                self._save(self._stored(story), art.article_id, 1.0, False, batch)
                return [self._assigned(event, sid, 1.0, False)]
        feats = batch.features[art.article_id]
        vectors = weighted(feats, self.dfs)
        batch.leads[art.article_id] = (art.source_id, batch.passages[art.article_id])
        story, decision = self.index.assign(story_id(art.article_id), vectors, art.published_at)
        is_new = decision.story_id is None
        keys = feats.df_keys()
        self._save(self._stored(story), art.article_id, decision.score, is_new, batch)
        sid = self._merge_live(batch, story.story_id, art.article_id)
        self._expire_dormant(art.published_at)
        self.dfs.add(keys)
        batch.docs += 1
        for k in keys:
            batch.df[k] = batch.df.get(k, 0) + 1
        return [self._assigned(event, sid, decision.score, is_new)]

    def flush(self) -> list[StoryAssigned]:
        return []  # every batch is written whole, statistics included

    @staticmethod
    def _stored(story: StoryState) -> StoredStory:
        assert story.first_seen is not None and story.last_seen is not None
        return StoredStory(story.story_id, story.first_seen, story.last_seen, state_to_json(story))

    @staticmethod
    def _assigned(event: ArticleDeduplicated, sid: str, score: float, is_new: bool) -> StoryAssigned:
        return StoryAssigned(
            event_time=event.article.published_at,
            story_id=sid,
            article_id=event.article.article_id,
            source_id=event.article.source_id,
            is_new_story=is_new,
            score=round(score, 6),
            duplicate_of=event.duplicate_of,
        )
