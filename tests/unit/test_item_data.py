"""Bad data in listings and pages: relative and credential-bearing item links, absurd dates, UTF-16 without a BOM."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from storyline.domain.errors import PermanentError
from storyline.domain.urls import canonicalize, without_userinfo
from storyline.extraction import decode_html, extract
from storyline.services.listings import parse_feed, parse_sitemap

FETCHED = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
FEED_URL = "https://news.example/feeds/world.xml"


def _rss(*items: tuple[str, str]) -> bytes:
    xml = "".join(f"<item><title>t</title><link>{link}</link><pubDate>{date}</pubDate></item>" for link, date in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{xml}</channel></rss>'.encode()


def test_relative_rss_links_resolve_against_the_feed_url() -> None:
    body = _rss(("/2026/ferry", ""), ("local.html", ""), ("https://other.example/a", ""))
    assert [i.url for i in parse_feed(body, FEED_URL, FETCHED)] == [
        "https://news.example/2026/ferry",
        "https://news.example/feeds/local.html",
        "https://other.example/a",
    ]


@pytest.mark.parametrize(
    ("base_attr", "expected"),
    [
        ("", "https://news.example/world/ferry"),  # no xml:base: the feed's URL is the base
        (' xml:base="https://cdn.example/x/"', "https://cdn.example/world/ferry"),
        (' xml:base="/sections/"', "https://news.example/world/ferry"),  # a relative base, itself resolved
    ],
)
def test_relative_atom_links_resolve_against_xml_base_and_the_feed_url(base_attr: str, expected: str) -> None:
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"{base_attr}><title>A</title>'
        '<entry><title>e</title><link href="/world/ferry"/><id>urn:x:1</id></entry></feed>'
    ).encode()
    assert [i.url for i in parse_feed(body, FEED_URL, FETCHED)] == [expected]


def test_credentials_never_leave_a_listing() -> None:
    feed = _rss(("http://reader:s3cret@news.example/a", ""), ("https://token@news.example/b?x=1", ""))
    assert [i.url for i in parse_feed(feed, FEED_URL, FETCHED)] == [
        "http://news.example/a",
        "https://news.example/b?x=1",
    ]
    sitemap = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://u:p@news.example/c</loc></url><url><loc>/d</loc></url></urlset>"
    )
    items, _ = parse_sitemap(sitemap, "https://news.example/sitemap.xml", FETCHED)
    assert [i.url for i in items] == ["https://news.example/c", "https://news.example/d"]
    index = b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://u:p@news.example/s1.xml</loc></sitemap></sitemapindex>'
    assert parse_sitemap(index, "https://news.example/index.xml", FETCHED)[1] == ["https://news.example/s1.xml"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:pw@host.example/a?x=1#f", "http://host.example/a?x=1#f"),
        ("https://a@b@host.example:8443/p", "https://host.example:8443/p"),  # the last '@' ends the userinfo
        ("http://u:p@[::1/x", "http://[::1/x"),  # too malformed to parse, and still cleaned
        ("http://host.example/a@b?c=d@e", "http://host.example/a@b?c=d@e"),  # an '@' past the authority stays
    ],
)
def test_without_userinfo(url: str, expected: str) -> None:
    assert without_userinfo(url) == expected


def test_canonical_urls_never_hold_credentials() -> None:
    assert canonicalize("HTTP://user:pw@News.Example:80/a") == "http://news.example/a"


def test_a_feed_body_naming_a_local_file_is_parsed_as_a_feed_not_opened(tmp_path: Path) -> None:
    local = tmp_path / "feed.xml"
    local.write_bytes(_rss(("https://news.example/leaked", "")))
    with pytest.raises(PermanentError) as caught:
        parse_feed(str(local).encode(), FEED_URL, FETCHED)
    assert caught.value.kind == "malformed_feed"


def test_implausible_listing_dates_leave_the_item_undated() -> None:
    body = _rss(
        ("https://news.example/a", "Fri, 31 Dec 9999 23:59:59 +0000"),
        ("https://news.example/b", "0001-01-01T00:00:00+01:00"),  # RFC 822 reads a year 0001 as 2001
        ("https://news.example/c", "Tue, 03 Feb 2026 07:00:00 +0000"),
        ("https://news.example/d", "2026-02-03T06:00:00Z"),
    )
    assert [i.published_at for i in parse_feed(body, FEED_URL, FETCHED)] == [
        None,
        None,
        datetime(2026, 2, 3, 7, tzinfo=UTC),
        datetime(2026, 2, 3, 6, tzinfo=UTC),
    ]
    sitemap = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://news.example/a</loc><lastmod>9999-12-31T23:00:00-05:00</lastmod></url>"
        b"<url><loc>https://news.example/b</loc><lastmod>0001-01-01T00:00:00+01:00</lastmod></url>"
        b"<url><loc>https://news.example/c</loc><lastmod>2026-02-03T07:00:00Z</lastmod></url></urlset>"
    )
    items, _ = parse_sitemap(sitemap, "https://news.example/sitemap.xml", FETCHED)
    assert [i.published_at for i in items] == [None, None, datetime(2026, 2, 3, 7, tzinfo=UTC)]


PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="{charset}"><title>Glassworks museum opens</title></head>'
    "<body><article><h1>Glassworks museum opens new wing</h1><p>The glassworks museum in Stavby opened a wing "
    "devoted to the town's furnaces, with demonstrations every afternoon and a café by the old canal.</p>"
    "<p>Curators said the furnaces had been restored over three winters by volunteers from the town.</p>"
    "</article></body></html>"
)


@pytest.mark.parametrize(
    ("codec", "content_type", "meta"),
    [
        ("utf-16-le", "text/html; charset=utf-16", "utf-8"),  # the header wins over a wrong <meta>
        ("utf-16-be", "text/html; charset=UTF-16", "utf-16"),
        ("utf-16-le", "text/html; charset=utf-16le", "utf-16"),
        ("utf-16-be", "text/html; charset=utf-16be", "utf-16be"),
        ("utf-16-le", "text/html", "utf-16"),  # declared by <meta> only
        ("utf-16-be", None, "UTF-16"),
        ("utf-16-le", None, "utf-16le"),
    ],
)
def test_utf16_without_a_byte_order_mark_decodes_by_its_declared_charset(
    codec: str, content_type: str | None, meta: str
) -> None:
    html = PAGE.format(charset=meta)
    assert decode_html(html.encode(codec), content_type) == html
    page = extract(html.encode(codec), "https://news.example/glass", content_type)
    assert page.title == "Glassworks museum opens new wing" and "café" in page.text


def test_nul_bytes_without_a_utf16_declaration_are_still_binary() -> None:
    for content_type, meta in (("text/html", "utf-8"), ("text/html; charset=utf-8", "utf-16")):
        with pytest.raises(PermanentError) as caught:
            decode_html(PAGE.format(charset=meta).encode("utf-16-le"), content_type)
        assert caught.value.kind == "not_html"


def test_a_utf16_label_on_ascii_compatible_bytes_is_read_as_utf8() -> None:
    html = PAGE.format(charset="utf-16")
    assert decode_html(html.encode("utf-8"), "text/html; charset=utf-16") == html
