"""Extract: fetched pages to articles (one analysis pass per batch), with their archive and dead letters."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from storyline.domain.dates import publication_time
from storyline.domain.entities import ArticleMentions
from storyline.domain.errors import PermanentError
from storyline.domain.ids import article_id as make_article_id
from storyline.domain.ids import content_hash
from storyline.domain.records import PageAnalysis, PageJob
from storyline.domain.text import normalise_for_hash
from storyline.events import ArticleBody, ArticleExtracted, ArticleFetched
from storyline.ports import ArticleStore, BlobStore, PageAnalyser
from storyline.services.stages.common import StatelessStage

log = logging.getLogger(__name__)


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
