"""Hostile servers on loopback: bad redirects, drip-fed answers, huge Retry-After, DNS rebinding. Each stays with
its own fetch, on record with its reason, and every other host in the run is still fetched."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import select

from storyline.adapters.blobstore import LocalBlobStore
from storyline.adapters.clock import SystemClock
from storyline.adapters.http import HttpxFetcher
from storyline.adapters.warehouse import SqlWarehouse
from storyline.adapters.warehouse.tables import FetchRow
from storyline.bootstrap import App
from storyline.domain.errors import PermanentError, StorylineError, TransientError
from storyline.domain.records import HttpResult, Source
from storyline.ports import Clock, Sleeper
from storyline.services.crawl import CrawlPolicy, CrawlService

ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ferry service resumes</title>
</head><body><article><h1>Ferry service resumes after storm</h1>
<p>Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of cancellations
caused by the storm that swept the coast over the weekend.</p>
<p>The operator, Bluewater Lines, said the first sailing left at seven o'clock with about eighty passengers
on board and that extra crossings would run through Wednesday to clear the backlog.</p>
<p>Harbour master Ines Okafor said the channel had been surveyed overnight and was safe for traffic.</p>
</article></body></html>"""

REDIRECTS = {
    "/js": "javascript:alert(document.cookie)",
    "/mailto": "mailto:editor@example.com",
    "/data": "data:text/html,<p>hi</p>",
    "/badv6": "http://[::1/x",
    "/badport": "http://example.com:99999/",
    "/jsfeed.xml": "javascript:void(0)",
}


class Hostile(BaseHTTPRequestHandler):
    """One loopback site; `feeds` maps a feed path to the page paths it lists. Requests are counted per path."""

    feeds: ClassVar[dict[str, list[str]]] = {}
    requests: ClassVar[list[tuple[str, str, float]]] = []  # (host header, path, monotonic time)
    drip_s = 0.25

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def _drip(self, data: bytes) -> None:
        # One byte at a time, each well inside any read timeout: only a deadline on the whole fetch ends this.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(self.drip_s)

    def do_GET(self) -> None:
        base = f"http://{self.headers['Host']}"
        self.requests.append((self.headers["Host"], self.path, time.monotonic()))
        page = ARTICLE.encode()
        if self.path == "/busy-feed.xml" and sum(1 for _, p, _ in self.requests if p == self.path) == 1:
            self._send(429, b"slow down", Retry_After="30")
        elif self.path in self.feeds:
            items = "".join(
                f"<item><title>{p}</title><link>{base}{p}</link>"
                "<pubDate>Tue, 03 Feb 2026 08:00:00 +0000</pubDate></item>"
                for p in self.feeds[self.path]
            )
            self._send(200, f"<rss version='2.0'><channel><title>T</title>{items}</channel></rss>".encode(), "text/xml")
        elif self.path in REDIRECTS:
            self._send(302, Location=REDIRECTS[self.path])
        elif self.path == "/drip":
            head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(page)}\r\n\r\n".encode()
            self.wfile.write(head)
            self._drip(page)
        elif self.path == "/drip-head":
            self._drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"z" * 400 + b"\r\n\r\n")
        elif self.path.startswith("/limited"):
            self._send(429, b"slow down", Retry_After="100000")
        elif self.path == "/busy" and sum(1 for _, p, _ in self.requests if p == "/busy") == 1:
            self._send(429, b"slow down", Retry_After="30")
        elif self.path == "/robots.txt":
            self._send(404)
        else:
            self._send(200, page)


@pytest.fixture
def serve() -> Iterator[Callable[[], str]]:
    """Starts loopback servers of the Hostile site: each its own host (its own port), all sharing the counts."""
    Hostile.requests, Hostile.feeds = [], {}
    servers: list[ThreadingHTTPServer] = []

    def start() -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _reasons(wh: SqlWarehouse) -> dict[str, tuple[str, str]]:
    with wh.session() as s:
        return {r.url.rsplit("/", 1)[-1]: (r.outcome, r.reason) for r in s.scalars(select(FetchRow))}


def _sent(path: str) -> int:
    return sum(1 for _, p, _ in Hostile.requests if p == path)


# -- 2: whatever one fetch raises stays with that fetch ------------------------------------------------------
def test_bad_redirects_are_recorded_and_every_other_source_goes_through(
    serve: Callable[[], str], app_factory: Callable[..., App], database_url: str
) -> None:
    hostile, good = serve(), serve()
    Hostile.feeds = {"/feed.xml": ["/js", "/mailto", "/data", "/badv6", "/badport"], "/good.xml": ["/a1"]}
    app = app_factory(database_url)
    summary = app.pipeline.run(
        [
            Source("hostile", "Hostile", (f"{hostile}/feed.xml",)),
            Source("jsfeed", "Feed redirecting to javascript:", (f"{hostile}/jsfeed.xml",)),
            Source("good", "Good", (f"{good}/good.xml",)),
        ]
    )
    assert summary.articles_new == 1 and summary.stories_new == 1  # the other source's page, all the way through

    reasons = _reasons(app.warehouse)
    for name in ("js", "mailto", "data"):
        outcome, reason = reasons[name]
        assert outcome == "failed" and reason.startswith("bad_redirect:") and "not an http(s) URL" in reason
        assert REDIRECTS[f"/{name}"] in reason
    for name in ("badv6", "badport"):
        outcome, reason = reasons[name]
        assert outcome == "failed" and reason.startswith("bad_redirect:"), reason
        assert _sent(f"/{name}") == 1  # permanent: not retried as if the server were down
    assert reasons["jsfeed.xml"][0] == "failed" and reasons["jsfeed.xml"][1].startswith("bad_redirect:")
    assert summary.feeds_failed == 1 and summary.pages_failed == 5


@pytest.mark.parametrize("location", sorted(set(REDIRECTS.values())))
def test_the_fetcher_raises_only_its_own_errors_on_a_bad_location(serve: Callable[[], str], location: str) -> None:
    base = serve()
    path = next(p for p, loc in REDIRECTS.items() if loc == location)
    fetcher = HttpxFetcher("StorylineBot/0.1 (+tests)", timeout_s=5.0, allow_private=True)
    with pytest.raises(PermanentError) as caught:
        fetcher.get(base + path)
    assert caught.value.kind == "bad_redirect" and repr(location) in str(caught.value)
    fetcher.close()


# -- 3: a total deadline per fetch; one host's back-off never delays another ---------------------------------
def _crawler(
    tmp_path: Path, database_url: str, clock: Clock, sleep: Sleeper, fetcher: object, **policy: float
) -> tuple[CrawlService, SqlWarehouse]:
    wh = SqlWarehouse(database_url)
    wh.upgrade()
    service = CrawlService(
        fetcher,  # type: ignore[arg-type]
        LocalBlobStore(tmp_path / "raw"),
        wh,
        wh,
        wh,
        clock,
        sleep,
        CrawlPolicy(user_agent="StorylineBot", **policy),  # type: ignore[arg-type]
        slots=wh,
    )
    return service, wh


def test_a_drip_fed_answer_ends_at_the_fetch_deadline(
    serve: Callable[[], str], tmp_path: Path, database_url: str
) -> None:
    """200 bytes at one every 0.25 s would take 50 s per attempt; the 1 s deadline ends each attempt, whether the
    body or the headers drip, and the other host's page is fetched."""
    slow, good = serve(), serve()
    Hostile.feeds = {"/feed.xml": ["/drip", "/drip-head"], "/good.xml": ["/a1"]}
    fetcher = HttpxFetcher("StorylineBot/0.1 (+tests)", timeout_s=1.0, allow_private=True)
    service, wh = _crawler(
        tmp_path, database_url, SystemClock(), time.sleep, fetcher, min_host_delay_s=0.0, backoff_s=0.1
    )
    started = time.monotonic()
    report = service.crawl(
        [Source("slow", "Slow", (f"{slow}/feed.xml",)), Source("good", "Good", (f"{good}/good.xml",))]
    )
    elapsed = time.monotonic() - started
    fetcher.close()

    assert [e.url for e in report.events] == [f"{good}/a1"]
    reasons = _reasons(wh)
    for name in ("drip", "drip-head"):
        outcome, reason = reasons[name]
        assert outcome == "failed" and "timed out" in reason and "within 1 s" in reason, reason
        assert _sent(f"/{name}") == 3  # a transient failure: tried again, each attempt within its deadline
    assert elapsed < 25  # 2 pages x 3 attempts x ~1 s plus back-offs, against 300 s without a deadline
    wh.engine.dispose()


class FakeClock:
    """Time that only moves when the crawler sleeps: back-offs of hours are checked without waiting."""

    def __init__(self) -> None:
        self.t = datetime(2026, 3, 1, tzinfo=UTC)
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += timedelta(seconds=seconds)


class TimedFetcher:
    """The real HTTP fetcher, noting the (fake) time each URL was requested at."""

    def __init__(self, clock: FakeClock) -> None:
        self.inner, self.clock = HttpxFetcher("StorylineBot/0.1 (+tests)", allow_private=True), clock
        self.at: dict[str, list[float]] = {}

    def get(self, url: str, headers: dict[str, str] | None = None) -> HttpResult:
        since = (self.clock.now() - datetime(2026, 3, 1, tzinfo=UTC)).total_seconds()
        self.at.setdefault(url.rsplit("/", 1)[-1], []).append(since)
        return self.inner.get(url, headers)


def test_one_hosts_back_off_never_delays_another(serve: Callable[[], str], tmp_path: Path, database_url: str) -> None:
    limited, busy, good = serve(), serve(), serve()
    Hostile.feeds = {
        "/l-feed.xml": ["/limited1", "/limited2", "/limited3"],
        "/busy.xml": ["/busy", "/b2"],
        "/good.xml": ["/g1", "/g2", "/g3", "/g4"],
    }
    clock = FakeClock()
    fetcher = TimedFetcher(clock)
    service, wh = _crawler(tmp_path, database_url, clock, clock.sleep, fetcher, min_host_delay_s=2.0)
    report = service.crawl(
        [
            Source("limited", "Limited", (f"{limited}/l-feed.xml",)),
            Source("busy", "Busy", (f"{busy}/busy.xml",)),
            Source("good", "Good", (f"{good}/good.xml",)),
        ]
    )
    fetcher.inner.close()

    # Retry-After: 100000 is more than a run waits: that host's other pages are not requested, and are on record
    # as rate-limited for the next run; nobody waited for it.
    reasons = _reasons(wh)
    assert _sent("/limited1") == 1 and _sent("/limited2") == _sent("/limited3") == 0
    assert reasons["limited1"][0] == "rate-limited" and "Retry-After 100000" in reasons["limited1"][1]
    for name in ("limited2", "limited3"):
        assert reasons[name][0] == "rate-limited" and "not requested" in reasons[name][1]
    # Retry-After: 30 is waited out for that host only: the other host's pages went meanwhile, 2 s apart.
    assert max(fetcher.at["g4"]) < 30 and fetcher.at["busy"][1] >= fetcher.at["busy"][0] + 30
    good_times = [fetcher.at[g][0] for g in ("g1", "g2", "g3", "g4")]
    assert min(b - a for a, b in itertools.pairwise(good_times)) >= 2.0
    assert {e.url.rsplit("/", 1)[-1] for e in report.events} == {"busy", "b2", "g1", "g2", "g3", "g4"}
    assert sum(clock.slept) < 60  # against 120 s per page of the limited host before
    wh.engine.dispose()


def test_a_feeds_back_off_never_holds_up_the_other_sources(
    serve: Callable[[], str], tmp_path: Path, database_url: str
) -> None:
    """Feeds are read one after the other while the run plans: a feed's Retry-After: 30 is not waited out there
    (the feed is on record as rate-limited, for the next run), and the other source's pages go at once."""
    busy, good = serve(), serve()
    Hostile.feeds = {"/busy-feed.xml": ["/b1"], "/good.xml": ["/g1", "/g2"]}
    clock = FakeClock()
    fetcher = TimedFetcher(clock)
    service, wh = _crawler(tmp_path, database_url, clock, clock.sleep, fetcher, min_host_delay_s=2.0)
    report = service.crawl(
        [Source("busy", "Busy", (f"{busy}/busy-feed.xml",)), Source("good", "Good", (f"{good}/good.xml",))]
    )
    fetcher.inner.close()

    reasons = _reasons(wh)
    assert reasons["busy-feed.xml"][0] == "rate-limited" and "not waited out" in reasons["busy-feed.xml"][1]
    assert {e.url.rsplit("/", 1)[-1] for e in report.events} == {"g1", "g2"}
    assert max(fetcher.at["g2"]) < 30 and sum(clock.slept) < 30  # nobody waited the busy host's 30 s
    wh.engine.dispose()


# -- 4: DNS rebinding ------------------------------------------------------------------------------------------
class Rebinding:
    """A name that answers a public address first and loopback after, as a rebinding attacker's DNS does."""

    def __init__(self, first: str, then: str) -> None:
        self.first, self.then = first, then
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        return [self.first if len(self.asked) == 1 else self.then]


def test_the_fetcher_connects_only_to_the_address_it_checked(serve: Callable[[], str]) -> None:
    port = serve().rsplit(":", 1)[1]
    # 192.88.99.1 is a public address; nothing of ours listens there, so the fetch fails, but never on loopback.
    resolve = Rebinding("192.88.99.1", "127.0.0.1")
    fetcher = HttpxFetcher("StorylineBot/0.1 (+tests)", timeout_s=2.0, resolve=resolve)
    with pytest.raises(StorylineError) as caught:
        fetcher.get(f"http://rebind.test:{port}/a1")
    fetcher.close()
    assert isinstance(caught.value, TransientError) and "private" not in str(caught.value)
    assert Hostile.requests == []  # the loopback server never saw a request
    assert resolve.asked == ["rebind.test"]  # resolved once: the answer checked is the answer connected to


def test_a_name_with_any_private_address_is_refused(serve: Callable[[], str]) -> None:
    port = serve().rsplit(":", 1)[1]
    fetcher = HttpxFetcher("StorylineBot/0.1 (+tests)", timeout_s=2.0, resolve=lambda host: ["8.8.8.8", "127.0.0.1"])
    with pytest.raises(PermanentError) as caught:
        fetcher.get(f"http://rebind.test:{port}/a1")
    fetcher.close()
    assert caught.value.kind == "private_address" and "127.0.0.1" in str(caught.value)
    assert Hostile.requests == []


def test_the_normal_path_connects_to_the_resolved_address_with_the_right_host(serve: Callable[[], str]) -> None:
    port = serve().rsplit(":", 1)[1]
    resolve = Rebinding("127.0.0.1", "127.0.0.1")
    fetcher = HttpxFetcher("StorylineBot/0.1 (+tests)", timeout_s=5.0, allow_private=True, resolve=resolve)
    result = fetcher.get(f"http://news.rebind.test:{port}/a1")
    fetcher.close()
    # The name exists only in our resolver: the page came over the connection to the address it answered.
    assert result.status == 200 and b"Ferry service resumes" in result.body
    assert Hostile.requests[0][:2] == (f"news.rebind.test:{port}", "/a1")
    assert resolve.asked == ["news.rebind.test"]
