"""Embedded mode: crawl, then extract → dedup → cluster → enrich chained in one process, in event-time order."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Protocol

from storyline.domain.batches import chunked
from storyline.domain.dedup import Fingerprint
from storyline.domain.errors import PermanentError
from storyline.domain.features import ArticleFeatures
from storyline.domain.records import FetchOutcome, PageAnalysis, Source
from storyline.events import (
    TOPIC_ASSIGNED,
    TOPIC_DEDUPLICATED,
    TOPIC_FETCHED,
    TOPIC_UPDATED,
    ArticleBody,
    ArticleDeduplicated,
    ArticleExtracted,
    ArticleFetched,
    Event,
    StoryAssigned,
    StoryUpdated,
    decode,
    dlq_topic,
    headers,
)
from storyline.ports import InRecord, Offload, ResumeStore, RunPublisher, SourceStore
from storyline.services.batches import Item, event_order, run_batch
from storyline.services.crawl import CrawlReport, CrawlService
from storyline.services.routing import Router
from storyline.services.stages import ClusterStage, DedupStage, EnrichStage, ExtractStage

log = logging.getLogger(__name__)


class Progress(Protocol):
    def start(self, phase: str, total: int) -> None: ...
    def advance(self, phase: str, done: int) -> None: ...


class NoProgress:
    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, phase: str, done: int) -> None:
        pass


@dataclass
class RunSummary:
    feeds_ok: int = 0
    feeds_failed: int = 0
    feeds_not_modified: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    pages_disallowed: int = 0
    extract_failed: int = 0
    articles_new: int = 0
    articles_duplicate: int = 0
    articles_revision: int = 0
    stories_new: int = 0
    stories_updated: int = 0
    stories_merged: int = 0
    # Stories this run's articles opened; one that a live merge folded into another is not new at the end.
    opened: set[str] = field(default_factory=set)
    dead_letters: int = 0
    resumed: int = 0
    # The change feed this run made, in order: snapshots, and a `merged_into` record per merged story.
    updates: list[StoryUpdated] = field(default_factory=list)

    def verdict(self, d: ArticleDeduplicated) -> None:
        if d.verdict == "duplicate":
            self.articles_duplicate += 1
        elif d.verdict == "revision":
            self.articles_revision += 1
        else:
            self.articles_new += 1

    def assigned(self, a: StoryAssigned) -> None:
        if a.is_new_story:
            self.opened.add(a.story_id)

    def feed(self, updates: Sequence[StoryUpdated]) -> None:
        """Add change-feed records and recount the stories by each one's latest record (as a consumer of the
        compacted topic sees them): written and opened by this run, written and older, merged into another."""
        self.updates.extend(updates)
        latest = {u.story_id: u.merged_into for u in self.updates}
        written = {sid for sid, into in latest.items() if into is None}
        self.stories_new = len(written & self.opened)
        self.stories_updated = len(written - self.opened)
        self.stories_merged = len(latest) - len(written)

    def tally(self, events: Iterable[Event]) -> None:
        """Count what the stages made from their output events, in order (a Kafka run's report: what its workers
        published; an embedded run counts the same events as they come)."""
        updates: list[StoryUpdated] = []
        for ev in events:
            if isinstance(ev, ArticleDeduplicated):
                self.verdict(ev)
            elif isinstance(ev, StoryAssigned):
                self.assigned(ev)
            elif isinstance(ev, StoryUpdated):
                updates.append(ev)
        self.feed(updates)

    def lines(self) -> list[tuple[str, int]]:
        return [
            ("items resumed from an interrupted run", self.resumed),
            ("feeds fetched", self.feeds_ok),
            ("feeds not modified", self.feeds_not_modified),
            ("feeds failed", self.feeds_failed),
            ("articles fetched", self.pages_fetched),
            ("pages failed to fetch", self.pages_failed),
            ("pages disallowed by robots.txt", self.pages_disallowed),
            ("pages without article text", self.extract_failed),
            ("articles new", self.articles_new),
            ("articles duplicate (wire copies)", self.articles_duplicate),
            ("articles revised", self.articles_revision),
            ("stories new", self.stories_new),
            ("stories updated", self.stories_updated),
            ("stories merged into another", self.stories_merged),
        ]


# What a Kafka run's report is read back from: the dedup, cluster and enrich workers' outputs, and the extract
# stage's dead letters (its pages without article text).
REPORT_TOPICS = (TOPIC_DEDUPLICATED, TOPIC_ASSIGNED, TOPIC_UPDATED, dlq_topic(TOPIC_FETCHED))


def tally_stream(summary: RunSummary, records: Iterable[InRecord]) -> None:
    """Count a Kafka run's work from what its workers published on REPORT_TOPICS during the run: the tallies of
    an embedded run, from the same events. A record delivered twice (at-least-once) counts once: event ids are
    deterministic, and a dead letter is one per page."""
    events: dict[str, Event] = {}
    failed: set[bytes | None] = set()
    for r in records:
        if r.topic == dlq_topic(TOPIC_FETCHED):
            failed.add(r.key)
            continue
        try:
            ev = decode(r.topic, r.value)
        except PermanentError:
            continue  # a record the next stage dead-letters: it made nothing
        events.setdefault(ev.event_id, ev)
    summary.extract_failed += len(failed)
    summary.tally(events.values())


# Planned pages from which an embedded run fetches in a crawl process of its own (fewer: here, in order): starting
# it costs a fork and a round trip per page through a queue.
OFFLOAD_MIN_PAGES = 64


@dataclass
class Pipeline:
    sources_store: SourceStore
    crawler: CrawlService
    extract: ExtractStage
    dedup: DedupStage
    cluster: ClusterStage
    enrich: EnrichStage
    router: Router
    # Articles per transaction in embedded runs, when storing, deduplicating and clustering them (1: one
    # transaction each).
    dedup_batch: int = 64
    # Where an embedded run's pages are fetched and archived when the plan has `offload_min_pages` or more: in
    # another process, so this one's core goes to analysis, storing, dedup and clustering (ADR 0012). None: here.
    offload: Offload | None = None
    offload_min_pages: int = OFFLOAD_MIN_PAGES
    # What a run that died left between the stages (None: nothing is resumed, e.g. a rebuild into a new warehouse).
    resume: ResumeStore | None = None

    def process_fetched(
        self,
        fetched: Iterable[ArticleFetched],
        summary: RunSummary,
        progress: Progress,
        total: int | None = None,
        stored: Sequence[ArticleBody] = (),
    ) -> None:
        """Everything after the crawl; also the path for re-extraction from the raw archive. `fetched` may be a
        stream still being crawled (`total`: how many pages at most). `stored`: articles already stored that
        still need their verdict or story; they join this run's in event-time order, as if never interrupted."""
        if total is None:
            fetched = list(fetched)
            total = len(fetched)
        progress.start("extract", total)
        extracted: list[ArticleExtracted] = []
        # Pages are analysed ahead on every core; storing them and routing their errors stay here, in order.
        done = 0
        for pages in chunked(self.extract.ahead(fetched), max(self.dedup_batch, 1)):
            extracted.extend(self._extract(pages, summary))
            done += len(pages)
            progress.advance("extract", done)
        have = {e.article.article_id for e in extracted}
        extracted.extend(
            ArticleExtracted(event_time=a.published_at, article=a) for a in stored if a.article_id not in have
        )
        # Event time, not arrival time: clustering sees articles in publication order (as a worker's held records).
        extracted.sort(key=event_order)
        progress.start("cluster", len(extracted))
        # Fingerprints and features are computed on the other cores a chunk ahead, while this chunk's transactions
        # run; features from the extracted articles, so they need not wait for the verdicts.
        ahead = zip(self.dedup.ahead(extracted), self.cluster.ahead(extracted), strict=True)
        done = 0
        for chunk in chunked(ahead, max(self.dedup_batch, 1)):
            verdicts = self._dedup([ev for (ev, _), _ in chunk], [fp for (_, fp), _ in chunk])
            features = {ev.article.article_id: f for _, (ev, f) in chunk}
            deduped = [d for ds in verdicts for d in ds or []]
            for d in deduped:
                summary.verdict(d)
            for assigned in self._assign(deduped, [features.get(d.article.article_id) for d in deduped]):
                for a in assigned or []:
                    summary.assigned(a)
                    self.enrich.mark(a.story_id)
            done += len(chunk)
            progress.advance("cluster", done)
        self.cluster.flush()
        progress.start("enrich", len(self.enrich.dirty))
        updates = self.enrich.flush()
        progress.advance("enrich", len(updates))
        summary.feed(updates)
        summary.dead_letters = self.router.dead_lettered

    def _extract(
        self, pages: Sequence[tuple[ArticleFetched, PageAnalysis | None]], summary: RunSummary
    ) -> list[ArticleExtracted]:
        """Store a chunk of analysed pages (one transaction; a page that fails, alone through the router)."""
        items = [Item(ev, ev.canonical_url, analysis) for ev, analysis in pages]
        out: list[ArticleExtracted] = []
        for stored in run_batch(self.extract, items, self.router):
            if stored is None:
                summary.extract_failed += 1
            else:
                out.extend(stored)
        return out

    def _dedup(
        self, chunk: Sequence[ArticleExtracted], fingerprints: Sequence[Fingerprint | None] = ()
    ) -> list[Sequence[ArticleDeduplicated] | None]:
        """Verdicts for a chunk in event-time order, in one transaction (the same verdicts as one by one, ADR
        0010); None for an article dead-lettered. `fingerprints`: computed ahead, if they were."""
        work = list(fingerprints) or [None] * len(chunk)
        items = [Item(ev, ev.article.article_id, fp) for ev, fp in zip(chunk, work, strict=True)]
        return run_batch(self.dedup, items, self.router)

    def _assign(
        self, deduped: Sequence[ArticleDeduplicated], features: Sequence[ArticleFeatures | None]
    ) -> list[Sequence[StoryAssigned] | None]:
        """Story assignments of a chunk's articles, in one transaction; None for an article dead-lettered."""
        items = [Item(d, d.article.article_id, f) for d, f in zip(deduped, features, strict=True)]
        return run_batch(self.cluster, items, self.router)

    def reextract(self, fetched: Sequence[ArticleFetched], progress: Progress | None = None) -> RunSummary:
        """Rebuild from the raw archive (no network): the same stages over archived pages, in event-time order."""
        summary = RunSummary()
        self.process_fetched(fetched, summary, progress or NoProgress())
        return summary

    def run(
        self,
        sources: Sequence[Source],
        progress: Progress | None = None,
        publisher: RunPublisher | None = None,
        since: datetime | None = None,
    ) -> RunSummary:
        """Crawl, then process here (embedded) or, given a publisher, hand the fetched events to the workers."""
        progress = progress or NoProgress()
        summary = RunSummary()
        self.sources_store.upsert_sources(sources)

        def on_page(done: int, total: int) -> None:
            if done == 1:
                progress.start("fetch", total)
            progress.advance("fetch", done)

        # Embedded: first what a run that died left unfinished (pages archived but not stored, articles stored
        # without a story; owed sections are built by the enrich stage's flush). Read before this run stores any.
        unstored = self.resume.unstored_pages() if self.resume is not None and publisher is None else []
        unfinished = self.resume.unfinished_articles() if self.resume is not None and publisher is None else []
        summary.resumed = len(unstored) + len(unfinished)
        if summary.resumed:
            log.info(
                "resuming %d archived pages and %d stored articles left unfinished", len(unstored), len(unfinished)
            )
        report = CrawlReport()
        plan = self.crawler.plan(sources, report, since)
        offload = self.offload if publisher is None and len(plan) >= self.offload_min_pages else None
        pages = self.crawler.fetch_planned(plan, report, on_page, offload)
        if publisher is None:
            # Pages are analysed while the rest are still being fetched: the crawl waits on the network (here on
            # the replay server), the analysis on the CPU, so the two overlap.
            total = len(plan) + len(unstored)
            self.process_fetched(chain(unstored, pages), summary, progress, total=total, stored=unfinished)
        else:
            # Each page is handed on as soon as it is archived, so the workers extract while the crawl still
            # fetches, as an embedded run analyses (a crawl that dies leaves its pages unrecorded: the next run
            # fetches them again, and their events are the same, which the stages take as a replay).
            for ev in pages:
                publisher.send(TOPIC_FETCHED, ev.key(), ev.to_bytes(), headers(ev))
            publisher.flush()  # delivery checked before the run reports success
            publisher.mark_complete()
        summary.feeds_ok = report.count("feed", FetchOutcome.FETCHED)
        summary.feeds_failed = report.count("feed", FetchOutcome.FAILED)
        summary.feeds_not_modified = report.count("feed", FetchOutcome.NOT_MODIFIED)
        summary.pages_fetched = report.count("page", FetchOutcome.FETCHED)
        summary.pages_failed = report.count("page", FetchOutcome.FAILED)
        summary.pages_disallowed = report.count("page", FetchOutcome.DISALLOWED)
        return summary
