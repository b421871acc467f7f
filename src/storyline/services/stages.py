"""The four processing stages as batch handlers (events in, events out), shared by embedded and streaming modes."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias, TypeVar

from storyline.domain import dedup as dd
from storyline.domain.batches import chunked
from storyline.domain.clustering import ClusterParams, StoryIndex, StoryState, state_from_json, state_to_json
from storyline.domain.consolidation import ConsolidationParams, Merge, merge_score, plan_merges
from storyline.domain.dates import publication_time
from storyline.domain.dedup_batch import DedupItem, decide_batch
from storyline.domain.enrichment import Sections, StoryArticle, originals, sections_of
from storyline.domain.entities import ArticleMentions
from storyline.domain.errors import LlmUnavailable, PermanentError
from storyline.domain.features import ArticleFeatures, DocumentFrequencies, extract_features, features_of, weighted
from storyline.domain.ids import article_id as make_article_id
from storyline.domain.ids import content_hash, story_id
from storyline.domain.links import Link, ProfileIndex
from storyline.domain.llm import Generated
from storyline.domain.passages import between, shared_passages, source_passages
from storyline.domain.questions import ParsedSentence, SentenceParser, ask
from storyline.domain.records import PageAnalysis, PageJob
from storyline.domain.text import normalise_for_hash
from storyline.events import (
    ArticleBody,
    ArticleDeduplicated,
    ArticleExtracted,
    ArticleFetched,
    CitedSentence,
    Event,
    PerspectiveOut,
    StoryAssigned,
    StoryLinkOut,
    StoryUpdated,
    story_merged,
)
from storyline.ports import (
    ArticleStore,
    BlobStore,
    EntityRecognizer,
    PageAnalyser,
    ProseWriter,
    StoredStory,
    StoryStore,
    TaskPool,
)
from storyline.services.batches import BatchStage, mapped_ahead

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
# An event about one article, extracted or deduplicated: what clustering's features are computed from.
AE = TypeVar("AE", ArticleExtracted, ArticleDeduplicated)

# Stories whose sections are submitted to the task pool at once (bounds a rebuild's memory), and stored in one
# transaction (small enough that the first are stored while the workers build the rest).
_SECTIONS_PER_MAP = 256
_SECTIONS_PER_TRANSACTION = 32
# How often (event time) the cluster stage drops dormant stories from its in-memory index.
_EXPIRE_EVERY = timedelta(days=1)


class InProcess:
    """The TaskPool of a process without worker processes."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [fn(x) for x in items]

    def map_async(self, fn: Callable[[T], R], items: Sequence[T]) -> Callable[[], list[R]]:
        return lambda: self.map(fn, items)

    def imap(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        return (fn(x) for x in items)


def _hashed_text(event: ArticleExtracted) -> tuple[str, str]:
    return (event.article.content_hash, event.article.text)


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
    # Each article's source passages, computed once per batch.
    passages: dict[str, frozenset[int]] = field(default_factory=dict)
    # Stored rows read once per batch (they change only by the batch's own merges, applied through `into`): the
    # stories and outlets holding each of the batch's passages, and each family's passages once asked for.
    holders: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)
    families: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)


# Any of the four, as a runner holds it (the Kafka worker of whichever stage it was started for).
Stage: TypeAlias = BatchStage[Any, Any, Any]


class StatelessStage:
    """Default flush/reset for stages whose state lives only in the warehouse."""

    def flush(self) -> Sequence[Event]:
        return []

    def reset(self) -> None:
        return None


class ExtractStage(StatelessStage):
    """Raw HTML (from the archive, by claim check) to an article row, its entities, and an extracted event."""

    name = "extract"

    def __init__(self, blobs: BlobStore, articles: ArticleStore, analyser: PageAnalyser) -> None:
        self.blobs, self.articles, self.analyser = blobs, articles, analyser

    def _job(self, event: ArticleFetched) -> PageJob:
        return PageJob(self.blobs.get(event.raw_object_key), event.url, event.content_type, event.feed_title)

    def ahead(self, events: Iterable[ArticleFetched]) -> Iterator[tuple[ArticleFetched, PageAnalysis | None]]:
        """Each event with its page analysed ahead (on every core the analyser has, or batched here). A page whose
        blob cannot be read here, or whose analysis failed, comes with None: `handle_batch` then does it
        in-process, so its error is retried or dead-lettered like any other."""
        pending: deque[ArticleFetched] = deque()

        def jobs() -> Iterator[PageJob | None]:
            for ev in events:
                pending.append(ev)
                try:
                    yield self._job(ev)
                except Exception:  # noqa: BLE001 - reported by handle_batch(), which reads it again
                    yield None

        for analysis in self.analyser.analyse_ahead(jobs()):
            yield pending.popleft(), analysis

    def handle_batch(
        self, items: Sequence[tuple[ArticleFetched, PageAnalysis | None]]
    ) -> list[list[ArticleExtracted] | None]:
        """Store analysed pages in one transaction: the same rows as one at a time. A page that fails before the
        write (no text, no title) is None and not stored: the caller redoes it alone, so its error is retried or
        dead-lettered; alone (a batch of one), its error is raised. A failed write raises, and nothing of the
        batch is stored."""
        strict = len(items) == 1
        ready: list[tuple[ArticleFetched, PageAnalysis, str] | None] = []
        for event, analysis in items:
            try:
                ready.append(self._checked(event, analysis))
            except Exception:
                if strict:
                    raise
                ready.append(None)
        # Each stored hash, updated as the batch writes rows: a later page of the same URL sees an earlier one.
        hashes = self.articles.article_hashes(r[0].article_id for r in ready if r is not None)
        rows: list[tuple[ArticleBody, ArticleMentions | None]] = []
        out: list[list[ArticleExtracted] | None] = []
        for r in ready:
            if r is None:
                out.append(None)
                continue
            event, analysis, chash = r
            body = self._body(event, analysis, chash, hashes.get(event.article_id))
            hashes[body.article_id] = chash
            rows.append((body, replace(analysis.entities, article_id=body.article_id)))
            out.append([ArticleExtracted(event_time=body.published_at, article=body)])
        self.articles.upsert_articles(rows)
        return out

    def _checked(
        self, event: ArticleFetched, analysis: PageAnalysis | None
    ) -> tuple[ArticleFetched, PageAnalysis, str]:
        """The page analysed (here, if it was not ahead) and checked, with its content hash; raises if unusable."""
        if analysis is None:
            analysis = self.analyser.analyse(self._job(event))
        if not analysis.title:
            raise PermanentError(f"{event.url}: no title in the page or the feed", kind="no_title")
        return event, analysis, content_hash(normalise_for_hash(analysis.page.text))

    @staticmethod
    def _body(event: ArticleFetched, analysis: PageAnalysis, chash: str, previous: str | None) -> ArticleBody:
        page = analysis.page
        aid = event.article_id
        if previous is not None and previous != chash:
            # Same URL, new text: a revision is a new row that points back (ids stay stable for readers).
            aid = make_article_id(f"{event.canonical_url}#rev={chash}")
        # Event time: the page's own timestamp, else the feed's, else when we saw it; a date outside the plausible
        # window (year 9999 would pin the story to the top, year 1 breaks date arithmetic) is passed over.
        published = publication_time((("page", page.published_at), ("feed", event.feed_published_at)), event.fetched_at)
        note = None
        if published.doubts:
            # On record with the article (published_at_note), and in the log for whoever watches the run.
            note = f"{'; '.join(published.doubts)}; the {published.origin} time is used"
            log.warning("article %s (%s): %s", aid, event.url, note)
        return ArticleBody(
            article_id=aid,
            url=event.url,
            canonical_url=event.canonical_url,
            source_id=event.source_id,
            source_name=event.source_name,
            title=analysis.title,
            text=page.text,
            authors=list(page.authors),
            language=page.language,
            published_at=published.at,
            fetched_at=event.fetched_at,
            content_hash=chash,
            raw_object_key=event.raw_object_key,
            paywalled=page.paywalled,
            published_at_note=note,
        )


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
        batch.features = {e.article.article_id: f for e, f in pairs if f is not None}
        try:
            batch.passages = {e.article.article_id: source_passages(e.article.title, e.article.text) for e in events}
            if self.live:
                for row in self.stories.passage_holders(set().union(*batch.passages.values())):
                    batch.holders.setdefault(row[0], []).append(row)
            out = [self._handle(e, batch) for e in events]
            self.stories.save_cluster_steps(
                list(batch.stories.values()),
                batch.memberships,
                (batch.docs, batch.df),
                [(aid, p) for aid, (_, passages) in batch.leads.items() for p in sorted(passages)],
                batch.merges,
                max((e.article.published_at for e in events), default=None),
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
        feats = batch.features.get(art.article_id)
        if feats is None:
            feats = extract_features(art.article_id, art.source_id, art.published_at, art.title, art.text)
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


class EnrichStage:
    """Debounced: assignments mark stories dirty; `flush` recomputes each dirty story once."""

    name = "enrich"

    def __init__(
        self,
        stories: StoryStore,
        recognizer: EntityRecognizer,
        writer: ProseWriter | None = None,
        tasks: TaskPool | None = None,
        parser: SentenceParser | None = None,
    ) -> None:
        self.stories = stories
        self.recognizer = recognizer
        self.writer = writer
        self.tasks = tasks or InProcess()
        # Parses each story's first summary sentence for the question it answers (Go deeper); None: no questions.
        self.parser = parser
        self.dirty: set[str] = set()
        self.generated_dropped = 0  # sentences the prose model wrote that their citations did not support

    def ahead(self, events: Iterable[StoryAssigned]) -> Iterator[tuple[StoryAssigned, None]]:
        return ((e, None) for e in events)  # nothing to do ahead: the work is at the flush

    def handle_batch(self, pairs: Sequence[tuple[StoryAssigned, None]]) -> list[list[StoryUpdated]]:
        """Mark each assignment's story dirty; its sections are rebuilt at the flush (once per story)."""
        for event, _ in pairs:
            self.mark(event.story_id)
        return [[] for _ in pairs]

    def close(self) -> None:
        if self.parser is not None:
            self.parser.close()

    def mark(self, story_id: str) -> None:
        if self.parser is not None and not self.dirty:
            # Sections are owed: the question parser starts loading in the background (once), off the flush; at
            # the first story, i.e. during clustering, when only one core is busy.
            self.parser.prepare()
        self.dirty.add(story_id)

    def reset(self) -> None:
        return None  # dirty marks survive: their assignments are already in the warehouse

    def flush(self) -> list[StoryUpdated]:
        # And the sections still owed in the warehouse: marked with each membership, so the ones a process that
        # died never built are built now (ADR 0013).
        self.dirty.update(self.stories.pending_sections())
        if not self.dirty:
            return []
        dfs = self.stories.load_document_frequencies()
        profiles = ProfileIndex(self.stories.story_profiles(exclude=""))
        # A story merged by consolidation is enriched as its survivor (which covers the merged articles).
        into = {d: self.stories.resolve_story(d) for d in sorted(self.dirty)}
        merged: dict[str, list[str]] = {}  # survivor -> the dirty stories merged into it
        for d, survivor in into.items():
            if survivor != d:
                merged.setdefault(survivor, []).append(d)
        members = self.stories.story_articles_many(sorted(set(into.values())))
        # Rows stored before entities were recognised at extraction: one recogniser pass over all of them (the
        # model batches far better than one call per story; it caches by article id for _mentions below).
        self.recognizer.mentions([a for arts in members.values() for a in originals(arts) if a.entities is None])
        stories = [(sid, arts) for sid, arts in members.items() if arts]
        out: list[StoryUpdated] = []
        for at in range(0, len(stories), _SECTIONS_PER_MAP):
            chunk = stories[at : at + _SECTIONS_PER_MAP]
            # Sections are pure and the costly part: built on every core (the pool sends `dfs` once per task). The
            # first ones are parsed and stored here while the workers build the rest.
            built = self.tasks.imap(sections_of, [(arts, dfs, self._mentions(originals(arts))) for _, arts in chunk])
            for part in chunked(zip(chunk, built, strict=True), _SECTIONS_PER_TRANSACTION):
                stories_part = [story for story, _ in part]
                out.extend(self._save(stories_part, [sections for _, sections in part], profiles, merged))
        self.dirty.clear()
        return out

    def _mentions(self, articles: Sequence[StoryArticle]) -> dict[str, ArticleMentions]:
        """Entities as the extract stage stored them; recognised here only for rows that predate that."""
        stored = {a.article_id: a.entities for a in articles if a.entities is not None}
        missing = [a for a in articles if a.entities is None]
        return {**stored, **(self.recognizer.mentions(missing) if missing else {})}

    def _with_prose(self, sections: Sections, articles: Sequence[StoryArticle]) -> Sections:
        """Add model-written prose when the optional backend answers; on any failure keep the extractive sections
        (they are always stored, so a page never depends on the model)."""
        assert self.writer is not None
        try:
            prose = self.writer.write(sections.headline, articles)
        except (LlmUnavailable, ValueError) as exc:
            log.warning("prose model skipped: %s", exc)
            return sections
        self.generated_dropped += prose.dropped
        return replace(sections, generated=Generated(self.writer.model, prose))

    def _save(
        self,
        stories: Sequence[tuple[str, Sequence[StoryArticle]]],
        built: Sequence[Sections],
        profiles: ProfileIndex,
        merged: dict[str, list[str]],
    ) -> list[StoryUpdated]:
        """Write a chunk of stories' sections in one transaction; an update for each story that changed, then a
        record for each story merged into one of them (`merged`: survivor -> merged stories)."""
        items = []
        for (sid, articles), extractive, parsed in zip(stories, built, self._parses(stories, built), strict=True):
            sections = self._with_prose(extractive, articles) if self.writer is not None else extractive
            items.append((sid, ask(sections, parsed), profiles.links(sid)))
        # The merged stories' records are settled in the survivors' transaction: one merged meanwhile (by the cluster
        # worker) keeps its mark for the next flush. The one place merges reach the change feed, for embedded runs,
        # the enrich worker and the maintenance pass alike (ADR 0020).
        settled = [(m, sid) for sid, _ in stories for m in merged.get(sid, ())]
        snapshots = self.stories.save_sections_many(items, [m for m, _ in settled])
        updates = [self._updated(*item, snap) for item, snap in zip(items, snapshots, strict=True) if snap is not None]
        # After the survivors' snapshots: a consumer never drops a story before the one holding its articles is there.
        return updates + [self._merged(m, survivor) for m, survivor in settled]

    def _merged(self, story_id: str, survivor: str) -> StoryUpdated:
        snap = self.stories.story_snapshot(story_id)
        return story_merged(story_id, survivor, snap["headline"], snap["first_seen"], snap["last_seen"])

    def _parses(
        self, stories: Sequence[tuple[str, Sequence[StoryArticle]]], built: Sequence[Sections]
    ) -> list[ParsedSentence | None]:
        """One parse per story from 2+ outlets, of its first summary sentence only (the one its question asks
        about), in one batch for the chunk: the parser's cost stays per story, not per article, and goes where a
        reader is sent (issue 17: NLP per multi-outlet story; a lone outlet's story rarely answers a link's
        question). The sentence's language is its article's."""
        if self.parser is None:
            return [None] * len(built)
        firsts = [b.what_happened[0] if b.what_happened and len(b.outlets) > 1 else None for b in built]
        language = {a.article_id: a.language for _, arts in stories for a in arts}
        cited = [f for f in firsts if f is not None]
        parsed = self.parser.parse([f.text for f in cited], [language.get(f.article_id) for f in cited])
        it = iter(parsed)
        return [next(it) if f is not None else None for f in firsts]

    @staticmethod
    def _updated(sid: str, sections: Sections, links: Sequence[Link], snap: dict[str, Any]) -> StoryUpdated:
        return StoryUpdated(
            event_time=snap["last_seen"],
            story_id=sid,
            headline=sections.headline,
            what_happened=[CitedSentence(**c.to_json()) for c in sections.what_happened],
            behind_the_headline=[CitedSentence(**c.to_json()) for c in sections.behind],
            perspectives=[
                PerspectiveOut(
                    source_id=p.source_id,
                    source_name=p.source_name,
                    article_ids=list(p.article_ids),
                    sentences=[CitedSentence(**c.to_json()) for c in p.sentences],
                )
                for p in sections.perspectives
            ],
            entities=list(snap["sections"].get("entities", [])),
            links=[StoryLinkOut(story_id=lk.other_id, kind=lk.kind, score=lk.score) for lk in links],
            article_ids=list(snap["article_ids"]),
            outlets=list(sections.outlets),
            first_seen=snap["first_seen"],
            last_seen=snap["last_seen"],
            article_count=snap["article_count"],
            outlet_count=len(sections.outlets),
            merged_into=snap["merged_into"],
        )
