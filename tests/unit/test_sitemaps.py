"""News sitemaps: items with publication dates, sitemap indexes, and malformed or hostile XML refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storyline.domain.errors import PermanentError
from storyline.services.listings import MAX_CHILD_SITEMAPS, parse_sitemap

FETCHED = datetime(2026, 3, 3, tzinfo=UTC)

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://news.example/a</loc>
    <news:news><news:publication><news:name>Ex</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2026-03-01T08:30:00+01:00</news:publication_date><news:title>Bridge reopens</news:title>
    </news:news></url>
  <url><loc>https://news.example/b</loc><lastmod>2026-03-02T10:00:00Z</lastmod></url>
  <url><loc>https://news.example/c</loc><lastmod>2026-03-02</lastmod></url>
</urlset>"""


def test_news_sitemap_items() -> None:
    items, children = parse_sitemap(NEWS, "https://news.example/sitemap.xml", FETCHED)
    assert children == []
    assert [i.url for i in items] == ["https://news.example/a", "https://news.example/b", "https://news.example/c"]
    assert items[0].title == "Bridge reopens"
    assert items[0].published_at == datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
    assert items[1].published_at == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert items[2].published_at is None  # a date without a zone is not an event time


def test_sitemap_index_lists_children_with_a_cap() -> None:
    locs = "".join(f"<sitemap><loc>https://news.example/s{i}.xml</loc></sitemap>" for i in range(50))
    body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</sitemapindex>'.encode()
    items, children = parse_sitemap(body, "https://news.example/index.xml", FETCHED)
    assert items == [] and len(children) == MAX_CHILD_SITEMAPS and children[0] == "https://news.example/s0.xml"


@pytest.mark.parametrize(
    "body",
    [
        b"<urlset><url><loc>unterminated",
        b"<html><body>Not found</body></html>",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><urlset><url><loc>&c;</loc></url></urlset>',
    ],
)
def test_malformed_or_hostile_sitemaps_are_refused(body: bytes) -> None:
    try:
        items, _ = parse_sitemap(body, "https://news.example/bad.xml", FETCHED)
    except PermanentError as exc:
        assert exc.kind == "malformed_sitemap" and "news.example/bad.xml" in str(exc)
        return
    # Entities are never expanded: a billion-laughs document yields no inflated text.
    assert all("aaaa" not in i.url for i in items)
