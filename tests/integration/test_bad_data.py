"""Bad data inside feeds and pages (absurd dates, credentials in links, relative links, UTF-16 without a BOM)
goes through a real embedded run: each item is stored with sane values, and no credential reaches a table or page."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from storyline.adapters.warehouse import SqlReader
from storyline.adapters.warehouse.tables import ArticleRow, FetchRow, StoryArticleRow
from storyline.bootstrap import App
from storyline.domain.records import Source

# Six unrelated reports, so each is its own article (no dedup verdict hides one) and its own story.
TOPICS = {
    "relative": (
        "Ferry service resumes after storm",
        "Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of cancellations "
        "caused by the storm that swept the coast. The operator said extra crossings would run through Wednesday.",
    ),
    "atom": (
        "Orchard growers report record apple harvest",
        "Growers in the Kessel valley picked more apples this autumn than in any year on record, the regional "
        "cooperative said, crediting a mild spring and late rain. Prices at the market fell by a fifth.",
    ),
    "creds": (
        "Library reopens with longer evening hours",
        "The central library in Dunmore reopened on Monday after a year of renovation, with a new reading room "
        "and opening hours extended to ten at night on weekdays, the city council announced.",
    ),
    "future": (
        "Chess prodigy wins national title at fourteen",
        "A fourteen-year-old from Halden won the national chess championship on Sunday, beating the defending "
        "champion in a tense final round that lasted nearly six hours, organisers said.",
    ),
    "ancient": (
        "Observatory captures rare comet images",
        "Astronomers at the Corran hill observatory photographed a faint comet that passes the inner solar "
        "system once every two centuries, releasing the images to schools across the country.",
    ),
    "utf16": (
        "Glassworks museum opens new wing",
        "The glassworks museum in Stavby opened a wing devoted to the town's furnaces, with working "
        "demonstrations every afternoon and a café overlooking the old canal, curators said.",
    ),
    "utf16meta": (
        "Cyclists ride coastal route for charity",
        "More than two thousand cyclists rode the hundred-kilometre coastal route from Brede to Sollen on "
        "Saturday, raising money for the children's hospital, which plans a new ward next year.",
    ),
}


def _page(name: str, published: str, charset: str = "utf-8") -> str:
    title, text = TOPICS[name]
    return (
        f'<!doctype html><html lang="en"><head><meta charset="{charset}"><title>{title}</title>'
        f'<meta property="article:published_time" content="{published}"></head><body>'
        f"<nav>Home | News</nav><article><h1>{title}</h1><p>{text}</p><p>{text}</p></article>"
        "<footer>Copyright The Test Gazette</footer></body></html>"
    )


class BadDataSite(BaseHTTPRequestHandler):
    base = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _send(self, body: bytes, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def do_GET(self) -> None:
        host = self.base.removeprefix("http://")
        now = "Tue, 03 Feb 2026 08:00:00 +0000"
        pages = {
            "/news/relative": _page("relative", "2026-02-03T08:00:00+00:00"),
            "/news/atom": _page("atom", "2026-02-03T09:00:00+00:00"),
            "/news/creds": _page("creds", "2026-02-03T10:00:00+00:00"),
            "/news/future": _page("future", "9999-12-31T23:59:59+00:00"),
            "/news/ancient": _page("ancient", "0001-01-01T00:00:00+01:00"),
        }
        if self.path == "/robots.txt":
            self._send(b"User-agent: *\nAllow: /\n", "text/plain")
        elif self.path == "/rss/feed.xml":
            items = [
                ("relative", "/news/relative", now),  # RSS has no base: relative to the feed's URL
                ("creds", f"http://reader:s3cret@{host}/news/creds", now),
                ("future", f"{self.base}/news/future", "Fri, 31 Dec 9999 23:59:59 +0000"),
                ("ancient", f"{self.base}/news/ancient", "0001-01-01T00:00:00+01:00"),
                ("utf16", f"{self.base}/news/utf16", now),
                ("utf16meta", "../news/utf16meta", now),  # relative to the feed's directory
            ]
            xml = "".join(
                f"<item><title>{TOPICS[n][0]}</title><link>{link}</link><pubDate>{date}</pubDate></item>"
                for n, link, date in items
            )
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{xml}</channel></rss>'
            self._send(body.encode(), "application/rss+xml")
        elif self.path == "/atom/feed.xml":
            body = (
                '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
                f"<entry><title>{TOPICS['atom'][0]}</title><link href='/news/atom'/><id>urn:x:atom</id>"
                "<updated>2026-02-03T09:00:00Z</updated></entry></feed>"
            )
            self._send(body.encode(), "application/atom+xml")
        elif self.path in pages:
            self._send(pages[self.path].encode(), "text/html; charset=utf-8")
        elif self.path == "/news/utf16":
            # Declared by the HTTP header only; no byte-order mark.
            self._send(_page("utf16", "2026-02-03T11:00:00+00:00").encode("utf-16-le"), "text/html; charset=utf-16")
        elif self.path == "/news/utf16meta":
            # Declared by <meta charset> only, big-endian, no byte-order mark.
            page = _page("utf16meta", "2026-02-03T12:00:00+00:00", charset="utf-16")
            self._send(page.encode("utf-16-be"), "text/html")
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture
def bad_data_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BadDataSite)
    server.daemon_threads = True
    BadDataSite.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield BadDataSite.base
    server.shutdown()
    server.server_close()


def test_bad_item_data_is_stored_sanely_and_never_leaks_credentials(
    bad_data_site: str, database_url: str, app_factory: Callable[..., App]
) -> None:
    app = app_factory(database_url)
    started = datetime.now(UTC)
    sources = [
        Source("rss", "RSS Gazette", (f"{bad_data_site}/rss/feed.xml",)),
        Source("atom", "Atom Herald", (f"{bad_data_site}/atom/feed.xml",)),
    ]
    summary = app.pipeline.run(sources)
    finished = datetime.now(UTC)

    with app.warehouse.session() as s:
        articles = {r.url.rsplit("/", 1)[-1]: r for r in s.scalars(select(ArticleRow))}
        members = {r.article_id: r.story_id for r in s.scalars(select(StoryArticleRow))}
        fetch_log = [(r.url, r.reason) for r in s.scalars(select(FetchRow))]

    # Every item made it: relative links resolved, UTF-16 pages decoded, absurd dates replaced.
    assert set(articles) == set(TOPICS), (set(TOPICS) - set(articles), fetch_log)
    assert summary.extract_failed == 0 and summary.pages_failed == 0
    assert articles["relative"].url == f"{bad_data_site}/news/relative"
    assert articles["atom"].url == f"{bad_data_site}/news/atom"
    assert articles["utf16meta"].url == f"{bad_data_site}/news/utf16meta"
    assert articles["utf16"].title == TOPICS["utf16"][0] and "café" in articles["utf16"].text
    assert articles["utf16meta"].title == TOPICS["utf16meta"][0]

    # Implausible dates fall back to the fetch time; each such article still gets a story.
    for name in ("future", "ancient"):
        published = articles[name].published_at.replace(tzinfo=UTC)
        assert started - timedelta(seconds=1) <= published <= finished, (name, published)
        note = articles[name].published_at_note or ""
        assert note.startswith("page date") and note.endswith("the fetch time is used"), note
    assert articles["relative"].published_at_note is None  # a plausible date needs no note
    assert all(a.article_id in members for a in articles.values())

    # Credentials are in no column of any table the crawl writes, and the fetch went out without them.
    assert articles["creds"].url == f"{bad_data_site}/news/creds"
    stored = [a.url for a in articles.values()] + [a.canonical_url for a in articles.values()]
    stored += [f"{url} {reason}" for url, reason in fetch_log]
    assert not [text for text in stored if "s3cret" in text or "reader:" in text]

    # Nor on the story pages.
    reader = SqlReader(database_url)
    try:
        from storyline.web.app import create_app

        with TestClient(create_app(reader)) as client:
            front = client.get("/")
            assert front.status_code == 200
            story_pages = [client.get(f"/stories/{sid}") for sid in set(members.values())]
            api = client.get(f"/api/articles/{articles['creds'].article_id}")
    finally:
        reader.close()
    assert all(p.status_code == 200 for p in story_pages)
    assert api.status_code == 200 and "s3cret" not in api.text
    assert not [p for p in [front, *story_pages] if "s3cret" in p.text or "reader:" in p.text]
