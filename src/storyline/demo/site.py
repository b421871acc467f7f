"""Builds the demo news site (pages, feeds, robots.txt, sources.json) and what a crawl of it must yield.

The content is data (`content.py`); the pages and feeds are Jinja2 templates (`templates/`, autoescaped), one
article template per outlet style, so each outlet's markup reads as the HTML it is."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from storyline.demo.content import OUTLETS, Article, Outlet, all_articles, outlet_by_id, wire_original

CORPUS = "demo"
SITE_MTIME = 1774310400  # 2026-03-24T00:00:00Z, after the last demo article
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True)
class DemoSite:
    """What `build_site` wrote: the folder, and the source registry entries pointing into it."""

    root: Path
    sources: list[dict[str, str]]


# ---------------------------------------------------------------- URLs


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def home_url(base_url: str, outlet: Outlet) -> str:
    return f"{_base(base_url)}/{outlet.id}/"


def feed_url(base_url: str, outlet: Outlet) -> str:
    return f"{_base(base_url)}/{outlet.id}/feed.xml"


def article_path(article: Article) -> str:
    """The page's path relative to the site root, e.g. `valley-times/2026/03/03/slug.html`."""
    private = f"{outlet_by_id(article.outlet).disallow}/" if article.kind == "private" else ""
    day = article.published
    return f"{article.outlet}/{private}{day:%Y/%m/%d}/{article.slug}.html"


def article_url(base_url: str, article: Article) -> str:
    return f"{_base(base_url)}/{article_path(article)}"


def _feed_items(outlet: Outlet) -> list[Article]:
    """What the outlet's feed lists, newest first (unlisted pages are reachable from no feed)."""
    items = [a for a in all_articles() if a.outlet == outlet.id and a.kind != "unlisted"]
    return sorted(items, key=lambda a: (a.published, a.slug), reverse=True)


def _pages(outlet: Outlet) -> list[Article]:
    items = [a for a in all_articles() if a.outlet == outlet.id]
    return sorted(items, key=lambda a: (a.published, a.slug), reverse=True)


def _is_gold(article: Article) -> bool:
    return article.kind == "article" and outlet_by_id(article.outlet).feed_format != "broken"


# ---------------------------------------------------------------- templates


@cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("storyline.demo", "templates"),
        autoescape=True,  # every template, HTML and XML alike: content is data, never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["human"] = _human
    env.filters["rfc822"] = lambda when: format_datetime(when, usegmt=True)
    return env


def _render(template: str, **context: Any) -> str:
    return _templates().get_template(template).render(**context)


def _human(when: datetime) -> str:
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}, {when:%H:%M} UTC"


# Each outlet style's shape of JSON-LD (a plain object unless named here) and prefix of its home page's classes.
_LD_SHAPES = {"valley": "graph", "gazette": "graph", "metro": "list"}
_HOME_CLASSES = {"herald": "hh", "valley": "vt", "metro": "ml", "courier": "nc", "wire": "cw", "gazette": "eg"}


@dataclass(frozen=True)
class _Page:
    """What an article template is given besides the article and its outlet."""

    base: str
    outlet: Outlet
    article: Article
    url: str
    related: list[tuple[str, str]]  # (title, url) of other stories from the same outlet

    @property
    def home(self) -> str:
        return home_url(self.base, self.outlet)

    @property
    def iso(self) -> str:
        return self.article.published.isoformat()

    @property
    def stamp(self) -> str:
        """Minute of publication, as wire slugs and video ids spell it."""
        return f"{self.article.published:%Y%m%d-%H%M}"

    @property
    def story_code(self) -> str:
        return (self.article.story or "general").removeprefix("demo-").upper()

    @property
    def post_id(self) -> int:
        return 4000 + sum(ord(c) for c in self.article.slug)

    @property
    def previous(self) -> tuple[str, str]:
        return self.related[0] if self.related else ("Home", self.home)


def _json_ld(page: _Page, shape: str) -> Markup:
    """The page's schema.org data, serialised here (it is a script's data, not HTML; `</` cannot end it)."""
    article = page.article
    # Republished wire copy is credited to the agency, not to a person.
    person = {"@type": "Organization" if article.copy_of else "Person", "name": article.author}
    publisher = {"@type": "Organization", "name": page.outlet.name, "url": page.home}
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "VideoObject" if article.kind == "video" else "NewsArticle",
        "headline": article.title,
        "datePublished": page.iso,
        "dateModified": page.iso,
        "author": [person] if shape == "list" else person,
        "publisher": publisher,
        "mainEntityOfPage": page.url,
        "description": article.summary,
        "inLanguage": "en",
    }
    if article.kind == "video":
        data["name"] = article.title
        data["uploadDate"] = page.iso
    payload: object = data
    if shape == "graph":
        webpage = {"@type": "WebPage", "@id": page.url, "name": article.title}
        payload = {
            "@context": "https://schema.org",
            "@graph": [webpage, {k: v for k, v in data.items() if k != "@context"}],
        }
    text = json.dumps(payload, ensure_ascii=True, indent=1, sort_keys=True)
    return Markup(text.replace("</", "<\\/"))  # noqa: S704 - JSON with every "</" escaped


def _related(base: str, article: Article) -> list[tuple[str, str]]:
    """Up to three other listed stories from the same outlet, nearest in time first."""
    others = [a for a in _feed_items(outlet_by_id(article.outlet)) if a.kind == "article" and a != article]
    others.sort(key=lambda a: (abs((a.published - article.published).total_seconds()), a.slug))
    return [(a.title, article_url(base, a)) for a in others[:3]]


def render_article(base_url: str, article: Article) -> str:
    """The HTML of one page, in its outlet's own template (Metro Ledger's videos have a player layout)."""
    base = _base(base_url)
    outlet = outlet_by_id(article.outlet)
    page = _Page(base, outlet, article, article_url(base, article), _related(base, article))
    style = "metro_video" if outlet.style == "metro" and article.kind == "video" else outlet.style
    json_ld = _json_ld(page, _LD_SHAPES.get(outlet.style, "plain"))
    return _render(f"article/{style}.html", page=page, a=article, outlet=outlet, json_ld=json_ld)


def _index(base: str, outlet: Outlet) -> str:
    """The outlet's home page: every page it has, newest first (unlisted ones too: a home page links them)."""
    teasers = [(a, article_url(base, a)) for a in _pages(outlet)]
    return _render(
        "home.html",
        outlet=outlet,
        cls=_HOME_CLASSES.get(outlet.style, "lp"),
        home=home_url(base, outlet),
        feed=feed_url(base, outlet),
        feed_type="application/atom+xml" if outlet.feed_format == "atom" else "application/rss+xml",
        teasers=teasers,
    )


def _root_index(base: str) -> str:
    return _render("index.html", outlets=[(o, home_url(base, o), feed_url(base, o)) for o in OUTLETS])


# ---------------------------------------------------------------- feeds and robots.txt


def _feed(base: str, outlet: Outlet) -> str:
    """RSS 2.0, Atom, or (the broken outlet) a feed cut off mid-transfer, with nothing parseable in it."""
    template = {"atom": "feed/atom.xml", "broken": "feed/broken.xml"}.get(outlet.feed_format, "feed/rss.xml")
    items = [(a, article_url(base, a)) for a in _feed_items(outlet)]
    return _render(template, outlet=outlet, home=home_url(base, outlet), feed=feed_url(base, outlet), items=items)


def _disallowed_paths(base: str) -> list[str]:
    prefix = urlsplit(_base(base)).path
    return [f"{prefix}/{o.id}/{o.disallow}/" for o in OUTLETS if o.disallow]


def _robots(base: str, outlet: Outlet | None) -> str:
    """`User-agent: *` with the outlet's disallowed folder, or an empty Disallow (everything allowed)."""
    prefix = urlsplit(_base(base)).path
    if outlet is None:
        paths = _disallowed_paths(base)
    else:
        paths = [f"{prefix}/{outlet.id}/{outlet.disallow}/"] if outlet.disallow else []
    rules = "\n".join(f"Disallow: {p}" for p in paths) if paths else "Disallow:"
    return f"User-agent: *\n{rules}\n"


# ---------------------------------------------------------------- public API


def sources(base_url: str) -> list[dict[str, str]]:
    """The source registry entries for every outlet (including the one whose feed is broken)."""
    base = _base(base_url)
    return [_source(base, o) for o in OUTLETS]


def _source(base: str, outlet: Outlet) -> dict[str, str]:
    feed, home = feed_url(base, outlet), home_url(base, outlet)
    return {"id": outlet.id, "name": outlet.name, "feed": feed, "home": home}


def site_files(base_url: str) -> dict[str, str]:
    """Every file of the site as relative path -> text, in a stable order."""
    base = _base(base_url)
    files: dict[str, str] = {
        "index.html": _root_index(base),
        "robots.txt": _robots(base, None),
        "sources.json": json.dumps(sources(base), indent=2) + "\n",
    }
    for outlet in OUTLETS:
        files[f"{outlet.id}/feed.xml"] = _feed(base, outlet)
        files[f"{outlet.id}/robots.txt"] = _robots(base, outlet)
        files[f"{outlet.id}/index.html"] = _index(base, outlet)
        for article in _pages(outlet):
            files[article_path(article)] = render_article(base, article)
    return dict(sorted(files.items()))


def build_site(out_dir: Path, base_url: str) -> DemoSite:
    """Write the static site under out_dir; every link in it is absolute and starts with base_url."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for relative, text in site_files(base_url).items():
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8", newline="\n")
        # A fixed modification time: rebuilding the same site leaves Last-Modified (and so 304s) unchanged.
        os.utime(target, (SITE_MTIME, SITE_MTIME))
    return DemoSite(root=out_dir, sources=sources(base_url))


def gold_rows(base_url: str) -> list[dict[str, object]]:
    """One row per article that a crawl of the site must put in the warehouse, oldest first."""
    base = _base(base_url)
    rows: list[dict[str, object]] = []
    for article in sorted(all_articles(), key=lambda a: (a.published, a.outlet, a.slug)):
        if not _is_gold(article):
            continue
        outlet = outlet_by_id(article.outlet)
        duplicate_of = None
        if article.copy_of is not None:
            duplicate_of = article_url(base, wire_original(article.copy_of))
        rows.append(
            {
                "url": article_url(base, article),
                "outlet": outlet.id,
                "outlet_name": outlet.name,
                "story": article.story,
                "duplicate_of": duplicate_of,
                "near_copies": [],
                "corpus": CORPUS,
                "title": article.title,
                "published_at": article.published.isoformat(),
                "text": "\n\n".join(article.paragraphs),
            }
        )
    return rows


def expected_failures(base_url: str) -> dict[str, str]:
    """URL -> kind of the failure a crawl must report: "disallowed", "no_text" or "malformed_feed"."""
    base = _base(base_url)
    failures: dict[str, str] = {}
    for outlet in OUTLETS:
        if outlet.feed_format == "broken":
            failures[feed_url(base, outlet)] = "malformed_feed"
            continue
        for article in _feed_items(outlet):
            if article.kind == "private":
                failures[article_url(base, article)] = "disallowed"
            elif article.kind == "video":
                failures[article_url(base, article)] = "no_text"
    return dict(sorted(failures.items()))
