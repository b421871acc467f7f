"""Bad input never stops a run: each bad item gets a recorded, readable reason and the rest goes through."""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from storyline.adapters.warehouse.tables import FetchRow
from storyline.bootstrap import App
from storyline.domain.records import Source

ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ferry service resumes</title>
<script type="application/ld+json">{"@type":"NewsArticle","headline":"Ferry service resumes",
"datePublished":"2026-02-03T08:00:00+00:00"}</script></head><body><nav>Home | News | Sport</nav>
<article><h1>Ferry service resumes after storm</h1>
<p>Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of cancellations
caused by the storm that swept the coast over the weekend.</p>
<p>The operator, Bluewater Lines, said the first sailing left at seven o'clock with about eighty passengers
on board and that extra crossings would run through Wednesday to clear the backlog.</p>
<p>Harbour master Ines Okafor said the channel had been surveyed overnight and was safe for traffic.</p>
</article><footer>Copyright The Test Gazette</footer></body></html>"""

PAGES = ["good", "report.pdf", "huge", "declared", "bomb", "garbage", "slow", "loop", "missing"]


def _feed(base: str, names: list[str]) -> bytes:
    items = "".join(
        f"<item><title>{n}</title><link>{base}/{n}</link><pubDate>Tue, 03 Feb 2026 08:00:00 +0000</pubDate></item>"
        for n in names
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


class BadSite(BaseHTTPRequestHandler):
    base = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        # The client may stop reading at its cap: that is the behaviour under test.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif path == "/site/feed.xml":
            self._send(200, _feed(self.base + "/site", PAGES) + b"", "application/rss+xml")
        elif path == "/priv/feed.xml":
            self._send(200, _feed(self.base + "/private", ["secret"]), "application/rss+xml")
        elif path == "/broken/feed.xml":
            self._send(200, b"<rss><channel><item><title>unterminated", "application/rss+xml")
        elif path == "/site/good":
            self._send(200, ARTICLE.encode())
        elif path == "/site/report.pdf":
            self._send(200, b"%PDF-1.7 binary", "application/pdf")
        elif path == "/site/huge":
            # 50 MB with no Content-Length, streamed: the cap must stop the stream, not trust a header.
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            chunk = b"<p>" + b"x" * (1024 * 1024 - 7) + b"</p>"
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for _ in range(50):
                    self.wfile.write(chunk)
        elif path == "/site/declared":
            # 50 MB announced by Content-Length: refused from the header, before the body is read.
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(b"<p>" + b"x" * (1024 * 1024))
        elif path == "/site/bomb":
            self._send(200, gzip.compress(b"\0" * (60 * 1024 * 1024), 9), Content_Encoding="gzip")
        elif path == "/site/garbage":
            self._send(200, bytes(range(128, 256)) * 400)
        elif path == "/site/slow":
            time.sleep(3)
            self._send(200, ARTICLE.encode())
        elif path == "/site/loop":
            self._send(302, b"", Location="/site/loop")
        else:
            self._send(404, b"not here")


@pytest.fixture
def bad_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BadSite)
    server.daemon_threads = True
    BadSite.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield BadSite.base
    server.shutdown()
    server.server_close()


def test_each_bad_input_is_recorded_and_the_rest_goes_through(bad_site: str, app_factory: Callable[..., App]) -> None:
    app = app_factory(fetch_timeout_s=1.0)
    sources = [
        Source("site", "Test Gazette", (f"{bad_site}/site/feed.xml",)),
        Source("broken", "Broken Feed", (f"{bad_site}/broken/feed.xml",)),
        Source("priv", "Private", (f"{bad_site}/priv/feed.xml",)),
    ]
    summary = app.pipeline.run(sources)

    # The one good article made it all the way into a story.
    assert summary.articles_new == 1 and summary.stories_new == 1
    assert app.warehouse.stories_overview()[0]["headline"].startswith("Ferry service resumes")

    with app.warehouse.session() as s:
        rows = {(r.url.rsplit("/", 1)[-1], r.outcome): r.reason for r in s.scalars(select(FetchRow))}
    reasons = {name: reason for (name, _outcome), reason in rows.items()}
    assert ("feed.xml", "failed") in rows and "malformed feed" in rows[("feed.xml", "failed")]
    assert ("secret", "disallowed") in rows
    assert reasons["report.pdf"].startswith("not_html:") and "application/pdf" in reasons["report.pdf"]
    assert reasons["huge"].startswith("too_large:") and "cap" in reasons["huge"]
    assert reasons["declared"].startswith("too_large:") and "52,428,800 bytes" in reasons["declared"]
    assert reasons["bomb"].startswith("too_large:") and "after decompression" in reasons["bomb"]
    assert reasons["slow"].startswith("transient:") and "timed out" in reasons["slow"]
    assert reasons["loop"].startswith("redirect_loop:")
    assert reasons["missing"].startswith("http_404:")
    assert summary.feeds_failed == 1 and summary.pages_disallowed == 1

    # Undecodable bytes pass the fetch and fail extraction: dead-lettered with the payload to replay.
    (letter,) = app.warehouse.dead_letters("extract")
    assert letter.subject.endswith("/site/garbage") and letter.error_kind == "undecodable"
    assert "not valid utf-8" in letter.message and '"raw_object_key"' in letter.payload
    assert summary.extract_failed == 1


def test_private_addresses_are_refused_by_default(bad_site: str, app_factory: Callable[..., App]) -> None:
    app = app_factory(allow_private_addresses=False)
    summary = app.pipeline.run([Source("site", "Test Gazette", (f"{bad_site}/site/feed.xml",))])
    assert summary.feeds_failed == 1 and summary.articles_new == 0
    with app.warehouse.session() as s:
        (row,) = s.scalars(select(FetchRow).where(FetchRow.kind == "feed"))
    assert row.reason.startswith("private_address:") and "STORYLINE_ALLOW_PRIVATE_ADDRESSES" in row.reason
