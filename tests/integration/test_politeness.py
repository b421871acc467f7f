"""Politeness against a local server that counts requests: pacing, robots.txt, conditional GET, Retry-After."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from storyline.adapters.blobstore import LocalBlobStore
from storyline.adapters.http import HttpxFetcher
from storyline.adapters.warehouse import SqlWarehouse
from storyline.domain.records import FetchOutcome, HttpResult, Source
from storyline.services.crawl import CrawlPolicy, CrawlService

PAGE = (
    "<html lang='en'><head><title>T</title></head><body><article>"
    + "<p>Harbour officials in Port Ellis reopened the north channel on Tuesday after divers cleared debris.</p>" * 4
    + "</article></body></html>"
)
LAST_MODIFIED = formatdate(1767225600, usegmt=True)  # fixed, so the second crawl can be answered 304


class FakeClock:
    """Time that only moves when the crawler sleeps: pacing is checked without waiting."""

    def __init__(self) -> None:
        self.t = datetime(2026, 3, 1, tzinfo=UTC)
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += timedelta(seconds=seconds)


class CountingSite(BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 - shared by the handler threads of one test
    conditional: list[str] = []  # noqa: RUF012
    limited_once: set[str] = set()  # noqa: RUF012
    base = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: str = "", ctype: str = "text/html; charset=utf-8", **headers: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.requests.append(self.path)
        if self.path == "/robots.txt":
            self._send(
                200,
                "User-agent: *\nDisallow: /private/\nCrawl-delay: 3\n\nUser-agent: GPTBot\nDisallow: /\n",
                "text/plain",
            )
        elif self.path == "/feed.xml":
            if self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                self.conditional.append(self.path)
                self._send(304)
                return
            items = "".join(
                f"<item><title>{p}</title><link>{self.base}/{p}</link>"
                "<pubDate>Sun, 01 Mar 2026 08:00:00 +0000</pubDate></item>"
                for p in ("a1", "a2", "a3", "private/secret", "busy", "closed")
            )
            self._send(
                200,
                f"<rss version='2.0'><channel><title>T</title>{items}</channel></rss>",
                "application/rss+xml",
                Last_Modified=LAST_MODIFIED,
            )
        elif self.path == "/news-sitemap.xml":
            self._send(
                200,
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
                f"<loc>{self.base}/a1</loc><lastmod>2026-03-01T08:00:00Z</lastmod></url></urlset>",
                "application/xml",
            )
        elif self.path == "/bad-sitemap.xml":
            self._send(200, "<urlset><url><loc>oops", "application/xml")
        elif self.path == "/busy" and self.path not in self.limited_once:
            self.limited_once.add(self.path)
            self._send(429, "slow down", Retry_After="7")
        elif self.path == "/closed":
            self._send(503, "maintenance", Retry_After="86400")
        else:
            self._send(200, PAGE)


@pytest.fixture
def site() -> Iterator[str]:
    CountingSite.requests, CountingSite.conditional, CountingSite.limited_once = [], [], set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingSite)
    CountingSite.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield CountingSite.base
    server.shutdown()
    server.server_close()


class RecordingFetcher:
    """The real HTTP fetcher, noting the (fake) time of every request it makes."""

    def __init__(self, inner: HttpxFetcher, clock: FakeClock) -> None:
        self.inner, self.clock = inner, clock
        self.times: list[datetime] = []

    def get(self, url: str, headers: dict[str, str] | None = None) -> HttpResult:
        self.times.append(self.clock.now())
        return self.inner.get(url, headers)


def _crawler(
    tmp_path: Path, clock: FakeClock, min_delay: float = 0.0
) -> tuple[CrawlService, RecordingFetcher, SqlWarehouse]:
    wh = SqlWarehouse(f"sqlite:///{tmp_path / 'w.db'}")
    wh.upgrade()
    fetcher = RecordingFetcher(HttpxFetcher("StorylineBot/0.1 (+tests)", allow_private=True), clock)
    service = CrawlService(
        fetcher,
        LocalBlobStore(tmp_path / "raw"),
        wh,
        wh,
        wh,
        clock,
        clock.sleep,
        CrawlPolicy(user_agent="StorylineBot", min_host_delay_s=min_delay, backoff_s=1.0),
        slots=wh,  # as wired by bootstrap: the pace is shared through the warehouse
    )
    return service, fetcher, wh


def test_politeness_end_to_end(site: str, tmp_path: Path) -> None:
    clock = FakeClock()
    service, fetcher, wh = _crawler(tmp_path, clock)
    report = service.crawl([Source("t", "Test", (f"{site}/feed.xml",))])
    by_url = {(d.url.removeprefix(site), d.kind): d for d in report.decisions}

    # robots.txt: crawl-delay honoured between every two requests to the host (fake time, no waiting).
    gaps = [(b - a).total_seconds() for a, b in zip(fetcher.times, fetcher.times[1:], strict=False)]
    assert gaps and min(gaps) >= 3.0
    # The disallowed path is recorded and never requested.
    assert by_url[("/private/secret", "page")].outcome == FetchOutcome.DISALLOWED
    assert "/private/secret" not in CountingSite.requests
    # AI-training opt-outs are recorded with the robots.txt fetch.
    assert "AI-training opt-out: GPTBot" in by_url[("/robots.txt", "robots")].reason
    # 429 with Retry-After: 7 → waited at least that long, then fetched.
    assert by_url[("/busy", "page")].outcome == FetchOutcome.FETCHED
    busy = [i for i, p in enumerate(CountingSite.requests) if p == "/busy"]
    assert len(busy) == 2 and (fetcher.times[busy[1]] - fetcher.times[busy[0]]).total_seconds() >= 7
    # A Retry-After beyond the cap is not waited out: recorded as rate-limited for the next run.
    closed = by_url[("/closed", "page")]
    assert closed.outcome == FetchOutcome.RATE_LIMITED and "Retry-After 86400" in closed.reason
    assert CountingSite.requests.count("/closed") == 1
    assert len(report.events) == 4  # a1, a2, a3, busy

    # Second crawl: the feed answers 304 to our stored validator; known pages are not requested again.
    before = len(CountingSite.requests)
    again = service.crawl([Source("t", "Test", (f"{site}/feed.xml",))])
    assert [d.outcome for d in again.decisions if d.kind == "feed"] == [FetchOutcome.NOT_MODIFIED]
    assert CountingSite.conditional == ["/feed.xml"]
    assert CountingSite.requests[before:] == ["/feed.xml"]
    wh.engine.dispose()


def test_source_override_slows_a_host_down(site: str, tmp_path: Path) -> None:
    clock = FakeClock()
    service, fetcher, wh = _crawler(tmp_path, clock)
    service.crawl([Source("t", "Test", (f"{site}/feed.xml",), min_delay_s=10.0)])
    gaps = [(b - a).total_seconds() for a, b in zip(fetcher.times, fetcher.times[1:], strict=False)]
    assert min(gaps) >= 10.0
    wh.engine.dispose()


def test_no_delay_when_configured_off(tmp_path: Path) -> None:
    """STORYLINE_MIN_HOST_DELAY_S=0 and no crawl-delay: the pacer never sleeps (the replay server case)."""
    from storyline.services.pacing import HostPacer

    clock = FakeClock()
    pacer = HostPacer(clock, clock.sleep, 0.0)
    for _ in range(50):
        pacer.wait("127.0.0.1:8765")
    assert clock.slept == []


def test_news_sitemaps_are_crawled_and_a_malformed_one_is_recorded(site: str, tmp_path: Path) -> None:
    clock = FakeClock()
    service, _, wh = _crawler(tmp_path, clock)
    source = Source("t", "Test", (), sitemaps=(f"{site}/news-sitemap.xml", f"{site}/bad-sitemap.xml"))
    report = service.crawl([source])
    kinds = {(d.url.removeprefix(site), d.outcome): d.reason for d in report.decisions if d.kind == "sitemap"}
    assert ("/news-sitemap.xml", FetchOutcome.FETCHED) in kinds
    assert kinds[("/bad-sitemap.xml", FetchOutcome.FAILED)].startswith("malformed_sitemap:")
    assert [e.url for e in report.events] == [f"{site}/a1"]
    assert report.events[0].feed_published_at == datetime(2026, 3, 1, 8, tzinfo=UTC)
    wh.engine.dispose()


def test_two_crawler_processes_share_a_hosts_pace(tmp_path: Path) -> None:
    """Two mapped DAG tasks crawling one host each have their own pacer; the warehouse's host slots space their
    requests as if they were one crawler, and a Retry-After seen by one holds back the other."""
    from storyline.services.pacing import HostPacer

    clock = FakeClock()
    wh = SqlWarehouse(f"sqlite:///{tmp_path / 'w.db'}")
    wh.upgrade()
    first, second = HostPacer(clock, clock.sleep, 3.0, wh), HostPacer(clock, clock.sleep, 3.0, wh)
    sent: list[float] = []
    for pacer in (first, second, first, second, second):
        pacer.wait("news.example")
        sent.append((clock.now() - datetime(2026, 3, 1, tzinfo=UTC)).total_seconds())
    assert sent == [0.0, 3.0, 6.0, 9.0, 12.0]
    first.back_off("news.example", 60.0)  # the host answered 429, Retry-After: 60
    second.wait("news.example")
    assert (clock.now() - datetime(2026, 3, 1, tzinfo=UTC)).total_seconds() >= 12.0 + 60.0
    # Without shared slots (a per-process pacer), the second process would not have waited at all.
    alone = HostPacer(clock, clock.sleep, 3.0)
    before = len(clock.slept)
    alone.wait("news.example")
    assert len(clock.slept) == before
    wh.engine.dispose()
