"""Fictional outlets and articles of the demo news site: typed records, read from `site.yaml` beside this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any, Literal

import yaml

FeedFormat = Literal["rss", "atom", "broken"]
Style = Literal["herald", "valley", "metro", "courier", "wire", "gazette", "post"]
# article: a normal story in a feed; video: a feed item whose page has no article text;
# private: a feed item under a robots-disallowed path; unlisted: a page no feed links to.
Kind = Literal["article", "video", "private", "unlisted"]

WIRE_OUTLET = "civic-wire"
WIRE_NAME = "Civic Wire"


@dataclass(frozen=True)
class Outlet:
    """One fictional news site."""

    id: str
    name: str
    city: str
    tagline: str
    style: Style
    feed_format: FeedFormat
    disallow: str | None = None  # a folder under the outlet that robots.txt disallows, e.g. "private"


@dataclass(frozen=True)
class Article:
    """One page of the demo site. `copy_of` is the slug of the Civic Wire original for republished copy."""

    outlet: str
    slug: str
    title: str
    author: str
    published: datetime
    summary: str
    paragraphs: tuple[str, ...]
    story: str | None = None
    kind: Kind = "article"
    section: str = "News"
    copy_of: str | None = None


@dataclass(frozen=True)
class WireCopy:
    """An outlet republishing a Civic Wire story: new headline, dateline prefix, small edits."""

    outlet: str
    slug: str
    original: str  # slug of the Civic Wire article
    title: str
    summary: str
    delay: timedelta
    dateline: str
    trim_last_paragraph: bool = False
    credit: str | None = None


def _article(row: dict[str, Any]) -> Article:
    published = datetime.fromisoformat(row["published"])
    return Article(**{**row, "published": published, "paragraphs": tuple(row["paragraphs"])})


def _wire_copy(row: dict[str, Any]) -> WireCopy:
    fields = {k: v for k, v in row.items() if k != "delay_minutes"}
    return WireCopy(**fields, delay=timedelta(minutes=row["delay_minutes"]))


_SITE: dict[str, Any] = yaml.safe_load(files("storyline.demo").joinpath("site.yaml").read_text(encoding="utf-8"))
OUTLETS: tuple[Outlet, ...] = tuple(Outlet(**row) for row in _SITE["outlets"])
ARTICLES: tuple[Article, ...] = tuple(_article(row) for row in _SITE["articles"])
WIRE_COPIES: tuple[WireCopy, ...] = tuple(_wire_copy(row) for row in _SITE["wire_copies"])


def outlet_by_id(outlet_id: str) -> Outlet:
    """The outlet with this id (KeyError if there is none)."""
    for outlet in OUTLETS:
        if outlet.id == outlet_id:
            return outlet
    raise KeyError(outlet_id)


def wire_original(slug: str) -> Article:
    """The Civic Wire article with this slug (KeyError if there is none)."""
    for article in ARTICLES:
        if article.outlet == WIRE_OUTLET and article.slug == slug:
            return article
    raise KeyError(slug)


def republish(copy: WireCopy) -> Article:
    """An outlet's page made from wire copy: same text, a dateline prefix, maybe trimmed or credited."""
    original = wire_original(copy.original)
    first, *rest = original.paragraphs
    if copy.trim_last_paragraph:
        rest = rest[:-1]
    paragraphs = (f"{copy.dateline} ({WIRE_NAME}) \u2014 {first}", *rest)
    if copy.credit:
        paragraphs += (copy.credit,)
    return Article(
        outlet=copy.outlet,
        slug=copy.slug,
        title=copy.title,
        author=WIRE_NAME,
        published=original.published + copy.delay,
        summary=copy.summary,
        paragraphs=paragraphs,
        story=original.story,
        section=original.section,
        copy_of=original.slug,
    )


def all_articles() -> tuple[Article, ...]:
    """Every page of the site: written articles, the non-article pages and the republished wire copy."""
    return ARTICLES + tuple(republish(copy) for copy in WIRE_COPIES)
