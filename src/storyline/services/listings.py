"""Feeds and sitemaps as the crawl reads them: their items (URL, title, date), child sitemaps, and bad dates."""

from __future__ import annotations

import io
import logging
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree

from storyline.domain.dates import implausible
from storyline.domain.errors import PermanentError
from storyline.domain.records import FeedItem
from storyline.domain.urls import without_userinfo

log = logging.getLogger(__name__)


def parse_feed(body: bytes, url: str, fetched_at: datetime) -> list[FeedItem]:
    """RSS/Atom items with absolute links (relative ones resolved against xml:base and the feed's URL, as feed
    readers do), without credentials, dated only when plausible at `fetched_at`; a feed that parses to nothing is
    a permanent error."""
    # A stream, never bytes: feedparser opens bytes that name an existing file as that file (a local-file read
    # chosen by a hostile feed). Content-Location is the base for relative links; application/xml without a
    # charset leaves the encoding to the XML declaration, as parsing without headers does.
    parsed = feedparser.parse(
        io.BytesIO(body), response_headers={"content-location": url, "content-type": "application/xml"}
    )
    entries = parsed.get("entries", [])
    bozo = parsed.get("bozo_exception")
    if not parsed.get("version") and not entries:
        detail = f"{bozo.__class__.__name__}: {bozo}" if bozo else "not RSS or Atom"
        raise PermanentError(f"malformed feed {url}: {detail}", kind="malformed_feed")
    items: list[FeedItem] = []
    for entry in entries:
        link = entry.get("link") or entry.get("id")
        if not link:
            continue
        link = without_userinfo(str(link))
        published = None
        for key in ("published", "updated"):
            published = _aware(entry.get(key) or "", fetched_at, link)
            if published:
                break
        items.append(FeedItem(url=link, title=entry.get("title"), published_at=published, summary=entry.get("summary")))
    if bozo and not items:
        # A feed that broke before its first usable item is broken, not empty.
        raise PermanentError(f"malformed feed {url}: {bozo.__class__.__name__}: {bozo}", kind="malformed_feed")
    return items


_SITEMAP_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
MAX_CHILD_SITEMAPS = 20


def _xml_root(body: bytes, url: str) -> Any:
    # No entities, no network, no huge trees: a sitemap is untrusted input (billion-laughs, XXE).
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        return etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise PermanentError(f"malformed sitemap {url}: {exc}", kind="malformed_sitemap") from exc


def parse_sitemap(body: bytes, url: str, fetched_at: datetime) -> tuple[list[FeedItem], list[str]]:
    """A (news) sitemap's items, or, for a sitemap index, the child sitemaps to read (at most 20). Locations are
    resolved against the sitemap's URL and lose any credentials; dates are kept only when plausible at
    `fetched_at`."""
    root = _xml_root(body, url)
    tag = etree.QName(root).localname
    if tag == "sitemapindex":
        locs = [
            without_userinfo(urljoin(url, str(t).strip()))
            for t in root.xpath("sm:sitemap/sm:loc/text()", namespaces=_SITEMAP_NS)
        ]
        return [], locs[:MAX_CHILD_SITEMAPS]
    if tag != "urlset":
        raise PermanentError(f"malformed sitemap {url}: root element <{tag}>, not <urlset>", kind="malformed_sitemap")
    items: list[FeedItem] = []
    for node in root.xpath("sm:url", namespaces=_SITEMAP_NS):
        loc = "".join(node.xpath("sm:loc/text()", namespaces=_SITEMAP_NS)).strip()
        if not loc:
            continue
        loc = without_userinfo(urljoin(url, loc))
        title = "".join(node.xpath("news:news/news:title/text()", namespaces=_SITEMAP_NS)).strip() or None
        raw_date = "".join(
            node.xpath("news:news/news:publication_date/text()", namespaces=_SITEMAP_NS)
            or node.xpath("sm:lastmod/text()", namespaces=_SITEMAP_NS)
        ).strip()
        items.append(FeedItem(url=loc, title=title, published_at=_aware(raw_date, fetched_at, loc)))
    return items, []


def _aware(text: str, fetched_at: datetime, item_url: str) -> datetime | None:
    """A listing's date (RFC 822 or ISO 8601) if it has a zone and is plausible at `fetched_at`; else None, so the
    item counts as undated and the fetch time stands in (as the event time, and unless the page has a date)."""
    if not text:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        return None  # never guess a zone for an event time
    reason = implausible(parsed, fetched_at)
    if reason is not None:
        log.warning("item %s: listed date %s; using the fetch time instead", item_url, reason)
        return None
    return parsed
