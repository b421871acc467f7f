"""Crawl use case: read feeds, honour robots.txt and a per-host delay, archive pages, emit fetched events."""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from protego import Protego

from storyline.domain.errors import PermanentError, StorylineError, TransientError
from storyline.domain.ids import article_id, object_key
from storyline.domain.politeness import (
    ai_training_optouts,
    interleave_by_host,
    next_poll_due,
    next_ready,
    parse_robots,
)
from storyline.domain.records import FeedItem, FetchDecision, FetchOutcome, HttpResult, Source
from storyline.domain.urls import canonicalize, host_of
from storyline.events import ArticleFetched
from storyline.ports import (
    ArticleStore,
    BlobStore,
    Clock,
    DeadLetterStore,
    Fetcher,
    FetchLog,
    HostSlots,
    Offload,
    Sleeper,
)
from storyline.services.listings import MAX_CHILD_SITEMAPS, parse_feed, parse_sitemap
from storyline.services.pacing import HostPacer

log = logging.getLogger(__name__)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class CrawlPolicy:
    user_agent: str
    min_host_delay_s: float = 1.0
    max_items_per_feed: int = 500
    max_attempts: int = 3  # per request, for 429/5xx and network errors
    backoff_s: float = 2.0  # first backoff when the server gives no Retry-After
    max_retry_after_s: float = 120.0  # a longer Retry-After is not waited out in this run
    # Feeds, sitemaps and robots.txt are read one after the other while the run plans, so a back-off waited there
    # holds up every other source: a longer one is not waited out (recorded rate-limited; the next run reads it).
    max_listing_wait_s: float = 5.0
    poll_minutes: float = 15.0  # a feed's base polling interval (a source's schedule_minutes overrides it)
    max_poll_backoff: int = 16  # a quiet feed is still polled at least every poll_minutes × this


@dataclass
class CrawlReport:
    events: list[ArticleFetched] = field(default_factory=list)
    decisions: list[FetchDecision] = field(default_factory=list)

    def count(self, kind: str, outcome: FetchOutcome) -> int:
        return sum(1 for d in self.decisions if d.kind == kind and d.outcome == outcome)


class CrawlService:
    def __init__(
        self,
        fetcher: Fetcher,
        blobs: BlobStore,
        fetch_log: FetchLog,
        articles: ArticleStore,
        dead_letters: DeadLetterStore,
        clock: Clock,
        sleep: Sleeper,
        policy: CrawlPolicy,
        slots: HostSlots | None = None,
    ) -> None:
        self.fetcher, self.blobs, self.fetch_log = fetcher, blobs, fetch_log
        self.articles, self.dead_letters, self.clock = articles, dead_letters, clock
        self.policy = policy
        self.pacer = HostPacer(clock, sleep, policy.min_host_delay_s, slots)
        self._robots: dict[str, Protego | None] = {}
        # Hosts that asked this run for a longer pause than it waits (policy.max_retry_after_s), and their words:
        # nothing more is sent to them until the next run (which `plan` starts).
        self._closed: dict[str, str] = {}

    # -- polite GET ---------------------------------------------------------------------------------
    def _get(self, url: str, headers: dict[str, str] | None = None) -> HttpResult:
        """GET paced per host; 429/503 with Retry-After (within a cap) and network errors are tried again after the
        back-off, waited out here (feeds are read one after the other; pages go through `fetch_steps`)."""
        attempt = 1
        while True:
            try:
                return self._request(url, headers, attempt)
            except _RetryLater as exc:
                wait = (self.pacer.ready_at(host_of(url)) - self.clock.now()).total_seconds()
                if wait > self.policy.max_listing_wait_s:
                    raise RateLimited(
                        f"{exc.__cause__}; the host's {wait:.0f} s back-off is not waited out while other sources "
                        "are being read (the next run tries again)",
                        wait,
                    ) from exc.__cause__
                attempt += 1

    def _request(self, url: str, headers: dict[str, str] | None, attempt: int) -> HttpResult:
        """Attempt number `attempt` at a GET, in the host's next slot. When another attempt may help, the host is
        backed off and `_RetryLater` raised; after the last attempt the error is final (RateLimited when the host
        asked to wait). A host asking for more than a run waits gets nothing more this run."""
        host = host_of(url)
        if host in self._closed:
            raise RateLimited(f"not requested: {self._closed[host]}", None)
        self.pacer.wait(host)
        try:
            return self.fetcher.get(url, headers)
        except TransientError as exc:
            asked, cap = exc.retry_after_s, self.policy.max_retry_after_s
            if asked is not None and asked > cap:
                self._closed[host] = (
                    f"{host} asked for no requests for {asked:.0f} s (Retry-After), longer than a run waits"
                )
                self.pacer.back_off(host, cap)
                raise RateLimited(str(exc), asked) from exc
            if attempt >= self.policy.max_attempts:
                if asked is not None:
                    self.pacer.back_off(host, asked)
                    raise RateLimited(str(exc), asked) from exc
                raise
            self.pacer.back_off(host, asked if asked is not None else self.policy.backoff_s * 2 ** (attempt - 1))
            raise _RetryLater from exc

    # -- robots.txt ---------------------------------------------------------------------------------
    def _robots_for(self, url: str, source_id: str, report: CrawlReport, get: _Get) -> Protego | None:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root in self._robots:
            return self._robots[root]
        robots_url = root + "/robots.txt"
        parser: Protego | None
        now = self.clock.now()
        try:
            resp = get(robots_url, None)
            parser = parse_robots(resp.body.decode("utf-8", errors="replace"))
            delay = parser.crawl_delay(self.policy.user_agent)
            if delay is not None:
                host = host_of(robots_url)
                self.pacer.delays[host] = max(self.pacer.delays.get(host, 0.0), float(delay))
            optouts = ai_training_optouts(parser, root + "/")
            reason = "ok" + (f"; AI-training opt-out: {', '.join(optouts)}" if optouts else "")
            report.decisions.append(
                FetchDecision(robots_url, source_id, "robots", FetchOutcome.FETCHED, reason, now, resp.status)
            )
        except PermanentError as exc:
            # 4xx on robots.txt means no restrictions (RFC 9309 §2.3.1.3).
            log.info("no robots.txt at %s (%s): allowing all", robots_url, exc)
            parser = None
        except TransientError as exc:
            # Unreachable robots.txt: assume complete disallow for this run (RFC 9309 §2.3.1.4).
            report.decisions.append(
                FetchDecision(robots_url, source_id, "robots", FetchOutcome.FAILED, f"{exc}; disallowing all", now)
            )
            parser = parse_robots("User-agent: *\nDisallow: /\n")
        self._robots[root] = parser
        return parser

    def _allowed(self, url: str, source_id: str, report: CrawlReport, get: _Get | None = None) -> bool:
        parser = self._robots_for(url, source_id, report, get or self._get)
        return parser is None or bool(parser.can_fetch(url, self.policy.user_agent))

    # -- feeds ------------------------------------------------------------------------------------
    def discover(self, source: Source, report: CrawlReport) -> list[FeedItem]:
        """Items from the source's feeds and news sitemaps (each fetch conditional and recorded)."""
        items: list[FeedItem] = []
        for feed_url in source.feeds:
            items.extend(self._listing(feed_url, "feed", source, report))
        pending = list(source.sitemaps)
        seen: set[str] = set()
        while pending and len(seen) < MAX_CHILD_SITEMAPS + len(source.sitemaps):
            sitemap_url = pending.pop(0)
            if sitemap_url in seen:
                continue
            seen.add(sitemap_url)
            found, children = self._sitemap(sitemap_url, source, report)
            items.extend(found)
            pending.extend(children)
        return items

    def _sitemap(self, url: str, source: Source, report: CrawlReport) -> tuple[list[FeedItem], list[str]]:
        children: list[str] = []

        def parse(body: bytes, where: str, fetched_at: datetime) -> list[FeedItem]:
            found, nested = parse_sitemap(body, where, fetched_at)
            children.extend(nested)
            return found

        return self._listing(url, "sitemap", source, report, parse), children

    def _listing(
        self,
        feed_url: str,
        kind: str,
        source: Source,
        report: CrawlReport,
        parse: Callable[[bytes, str, datetime], list[FeedItem]] = parse_feed,
    ) -> list[FeedItem]:
        """Fetch one feed or sitemap with its stored validators; record the decision; return its items."""
        now = self.clock.now()
        base = timedelta(minutes=source.schedule_minutes or self.policy.poll_minutes)
        due = next_poll_due(self.fetch_log.poll_history(feed_url), base, base * self.policy.max_poll_backoff)
        if due is not None and now < due:
            reason = f"unchanged for several polls; polled adaptively, next after {due.isoformat(timespec='minutes')}"
            report.decisions.append(FetchDecision(feed_url, source.id, kind, FetchOutcome.SKIPPED, reason, now))
            return []
        if not self._allowed(feed_url, source.id, report):
            report.decisions.append(
                FetchDecision(feed_url, source.id, kind, FetchOutcome.DISALLOWED, "disallowed by robots.txt", now)
            )
            return []
        etag, modified = self.fetch_log.validators(feed_url)
        headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", modified)) if v}
        try:
            resp = self._get(feed_url, headers)
            if resp.status == 304:
                report.decisions.append(
                    FetchDecision(feed_url, source.id, kind, FetchOutcome.NOT_MODIFIED, "304 Not Modified", now, 304)
                )
                return []
            found = parse(resp.body, feed_url, now)[: self.policy.max_items_per_feed]
        except StorylineError as exc:
            report.decisions.append(FetchDecision(feed_url, source.id, kind, _outcome(exc), f"{exc.kind}: {exc}", now))
            log.warning("%s %s of %s failed: %s", kind, feed_url, source.id, exc)
            return []
        except Exception as exc:  # a bug or an unmapped error: this feed's failure on record, not the run's end
            report.decisions.append(
                FetchDecision(feed_url, source.id, kind, FetchOutcome.FAILED, _unexpected(exc), now)
            )
            log.exception("%s %s of %s failed", kind, feed_url, source.id)
            return []
        report.decisions.append(
            FetchDecision(
                feed_url,
                source.id,
                kind,
                FetchOutcome.FETCHED,
                f"{len(found)} items",
                now,
                resp.status,
                len(resp.body),
                etag=resp.header("etag"),
                last_modified=resp.header("last-modified"),
            )
        )
        return found

    # -- pages ------------------------------------------------------------------------------------
    def new_items(self, items: Sequence[FeedItem], source: Source, report: CrawlReport) -> list[tuple[FeedItem, str]]:
        """Items not yet in the warehouse and not dead-lettered: a re-run requests nothing it already has."""
        pairs: list[tuple[FeedItem, str]] = []
        seen: set[str] = set()
        for item in items:
            try:
                canonical = canonicalize(item.url)
            except PermanentError as exc:
                report.decisions.append(
                    FetchDecision(
                        item.url, source.id, "page", FetchOutcome.FAILED, f"{exc.kind}: {exc}", self.clock.now()
                    )
                )
                continue
            if canonical not in seen:
                seen.add(canonical)
                pairs.append((item, canonical))
        known = self.articles.known_urls(c for _, c in pairs)
        known |= self.dead_letters.dead_lettered("extract", (c for _, c in pairs))
        # Fetched and archived but perhaps not extracted yet (streaming): the archive has it already.
        fetched = self.fetch_log.fetched_pages(item.url for item, _ in pairs)
        return [(item, c) for item, c in pairs if c not in known and item.url not in fetched]

    def fetch_page(
        self, source: Source, item: FeedItem, canonical: str, report: CrawlReport, get: _Get | None = None
    ) -> ArticleFetched | None:
        """Fetch and archive one page (with `get`, e.g. a step of `fetch_steps`); its decision is recorded whatever
        happens, unless `get` raises `_RetryLater` (the page is not done yet)."""
        now = self.clock.now()
        get = get or self._get
        try:
            if not self._allowed(item.url, source.id, report, get):
                report.decisions.append(
                    FetchDecision(item.url, source.id, "page", FetchOutcome.DISALLOWED, "disallowed by robots.txt", now)
                )
                return None
            resp = get(item.url, None)
            _check_html(resp)
            key = object_key(resp.body)
            self.blobs.put(key, resp.body)
        except StorylineError as exc:
            report.decisions.append(
                FetchDecision(item.url, source.id, "page", _outcome(exc), f"{exc.kind}: {exc}", now)
            )
            log.warning("page %s failed: %s", item.url, exc)
            return None
        except _RetryLater:
            raise
        except Exception as exc:  # a bug or an unmapped error: this page's failure on record, not the run's end
            report.decisions.append(
                FetchDecision(item.url, source.id, "page", FetchOutcome.FAILED, _unexpected(exc), now)
            )
            log.exception("page %s failed", item.url)
            return None
        fetched = ArticleFetched(
            event_time=item.published_at or now,
            article_id=article_id(canonical),
            url=item.url,
            canonical_url=canonical,
            source_id=source.id,
            source_name=source.name,
            raw_object_key=key,
            content_type=resp.header("content-type"),
            http_status=resp.status,
            byte_size=len(resp.body),
            feed_title=item.title,
            feed_published_at=item.published_at,
            fetched_at=now,
        )
        report.decisions.append(
            FetchDecision(
                item.url,
                source.id,
                "page",
                FetchOutcome.FETCHED,
                "ok",
                now,
                resp.status,
                len(resp.body),
                key,
                resp.header("etag"),
                resp.header("last-modified"),
                # On record with the fetch: a run that dies before storing the page resumes it from the archive.
                fetched.model_dump(mode="json"),
            )
        )
        return fetched

    def plan(
        self, sources: Sequence[Source], report: CrawlReport, since: datetime | None = None
    ) -> list[tuple[Source, FeedItem, str]]:
        """Discover the sources' items and keep those to fetch: (source, item, canonical URL). With `since` (a DAG
        run's data interval start), items dated before it are left to the runs that covered them (undated items
        are always considered)."""
        self._closed = {}  # a new run: hosts that closed the last one are asked again
        plan: list[tuple[Source, FeedItem, str]] = []
        for source in sources:
            if not source.enabled:
                continue
            if source.min_delay_s is not None:
                for url in (*source.feeds, *source.sitemaps):
                    self.pacer.delays[host_of(url)] = max(self.pacer.delays.get(host_of(url), 0.0), source.min_delay_s)
            items = self.discover(source, report)
            if since is not None:
                items = [i for i in items if i.published_at is None or i.published_at >= since]
            plan.extend((source, item, canonical) for item, canonical in self.new_items(items, source, report))
        return interleave_by_host(plan, lambda p: host_of(p[1].url))

    def fetch_planned(
        self,
        plan: Sequence[tuple[Source, FeedItem, str]],
        report: CrawlReport,
        on_page: Callable[[int, int], None] | None = None,
        offload: Offload | None = None,
    ) -> Iterator[ArticleFetched]:
        """Fetch and archive the planned pages, yielding each as soon as it is archived, so an embedded run can
        analyse pages while the rest are still being fetched. Every fetch decision is recorded when the stream
        ends, however it ends (a consumer that stops early still leaves the fetches it caused on record). With an
        `offload`, the fetching runs there (an embedded run's crawl process, ADR 0012) and streams back here."""
        steps = self._steps_elsewhere(offload, plan, report) if offload else self.fetch_steps(plan, report)
        with closing(steps):
            for done, fetched in steps:
                if fetched is not None:
                    yield fetched
                if on_page:
                    on_page(done, len(plan))

    def _steps_elsewhere(
        self, offload: Offload, plan: Sequence[tuple[Source, FeedItem, str]], report: CrawlReport
    ) -> Generator[tuple[int, ArticleFetched | None]]:
        """`fetch_steps` run by the offload on this crawler's state as it is (robots.txt, pacing); its events and
        decisions join `report` here."""

        def produce() -> Iterator[_Step]:
            # The planning's decisions (feeds, robots.txt) are recorded with the pages', in one go when the stream
            # ends, as in-process: if the crawl process dies first, none is, so the next run reads the feeds again
            # in full (not a 304) and plans every page this one did not deliver.
            planned = len(report.decisions)
            own = CrawlReport(decisions=list(report.decisions))
            for done, fetched in self.fetch_steps(plan, own):
                yield _Step(done, fetched)
            yield _Step(len(plan), decisions=own.decisions[planned:])  # recorded in the fetch log by now

        stream = offload.stream(produce)
        with closing(stream):  # stopped early here: the crawl process stops too
            for step in stream:
                if step.decisions is not None:
                    report.decisions.extend(step.decisions)
                else:
                    if step.fetched is not None:
                        report.events.append(step.fetched)
                    yield step.done, step.fetched

    def fetch_steps(
        self, plan: Sequence[tuple[Source, FeedItem, str]], report: CrawlReport
    ) -> Generator[tuple[int, ArticleFetched | None]]:
        """`fetch_planned` one plan position at a time: (pages done, the page's event or None if it was not
        fetched). Also what an embedded run's crawl process streams back to the analysing one.

        Pages go in plan order, except that a host not ready yet (its delay, a back-off it asked for) is passed over
        for the next page of one that is: a slow or throttling host holds up only its own pages, and the crawl
        sleeps only when no host is ready. A host that asks for a longer pause than a run waits has its remaining
        pages recorded as rate-limited, for the next run."""
        try:
            queues: dict[str, list[int]] = {}
            for index, (_, item, _) in enumerate(plan):
                queues.setdefault(host_of(item.url), []).append(index)
            turns = _Turns(self)
            done = 0
            while queues:
                host = self._next_host(queues)
                source, item, canonical = plan[queues[host][0]]
                try:
                    fetched = self.fetch_page(source, item, canonical, report, turns.step())
                except _RetryLater:
                    continue  # backed off, or its request this turn went to robots.txt: the page stays first in line
                queues[host].pop(0)
                if not queues[host]:
                    del queues[host]
                if fetched is not None:
                    report.events.append(fetched)
                done += 1
                yield done, fetched
        finally:
            self.fetch_log.record_fetches(report.decisions)

    def _next_host(self, queues: dict[str, list[int]]) -> str:
        """The host to send to next: of those ready, the one whose next page comes first in the plan. Sleeps only
        when none is ready, until the first one is. A closed host is always ready: its pages are recorded unsent."""
        while True:
            ready_at = {h: self.pacer.ready_at(h) for h in queues if h not in self._closed}
            now = self.clock.now()  # after ready_at, which says "now" for a host that is ready: no later than this
            ready_at.update((h, now) for h in queues if h in self._closed)
            host = next_ready({h: q[0] for h, q in queues.items()}, ready_at, now)
            if host is None:
                self.pacer.sleep((min(ready_at.values()) - now).total_seconds())
            elif host in self._closed or self.pacer.reserve(host) <= self.clock.now():
                return host
            # else another crawler process holds the host's next slot: its start is the host's ready time now.

    def crawl(
        self,
        sources: Sequence[Source],
        on_page: Callable[[int, int], None] | None = None,
        since: datetime | None = None,
    ) -> CrawlReport:
        """Plan and fetch in one go; the fetched events are in the report."""
        report = CrawlReport()
        for _ in self.fetch_planned(self.plan(sources, report, since), report, on_page):
            pass
        return report


@dataclass(frozen=True)
class _Step:
    """What an offloaded crawl sends back: a plan position (with its page, if fetched), or, last, its decisions."""

    done: int
    fetched: ArticleFetched | None = None
    decisions: list[FetchDecision] | None = None


_Get = Callable[[str, dict[str, str] | None], HttpResult]


class _RetryLater(Exception):
    """A request was not made, or failed in a way another attempt may mend; the host is backed off meanwhile."""


class _Turns:
    """The requests of `fetch_steps`: one per step, so a host's next request (a page after its robots.txt, or a
    retry) waits for the host's turn in the loop, never in a sleep that would hold up other hosts. Attempts are
    counted per URL across steps."""

    def __init__(self, crawler: CrawlService) -> None:
        self.crawler = crawler
        self.attempts: dict[str, int] = {}

    def step(self) -> _Get:
        sent = False

        def get(url: str, headers: dict[str, str] | None) -> HttpResult:
            nonlocal sent
            if sent:
                raise _RetryLater
            sent = True
            self.attempts[url] = self.attempts.get(url, 0) + 1
            return self.crawler._request(url, headers, self.attempts[url])

        return get


class RateLimited(TransientError):
    """The host keeps answering 429/503: recorded as rate-limited; the next run tries again."""

    kind = "rate_limited"

    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message, retry_after_s=retry_after_s)


def _unexpected(exc: Exception) -> str:
    return f"unexpected: {exc.__class__.__name__}: {exc}"


def _outcome(exc: StorylineError) -> FetchOutcome:
    return FetchOutcome.RATE_LIMITED if isinstance(exc, RateLimited) else FetchOutcome.FAILED


def _check_html(resp: HttpResult) -> None:
    ctype = (resp.header("content-type") or "").split(";")[0].strip().lower()
    if ctype and ctype not in _HTML_TYPES:
        raise PermanentError(f"{resp.final_url} is {ctype}, not HTML", kind="not_html")
    if not resp.body.strip():
        raise PermanentError(f"{resp.final_url} returned an empty body", kind="empty")
