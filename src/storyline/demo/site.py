"""Builds the demo news site (pages, feeds, robots.txt, sources.json) and what a crawl of it must yield."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

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


# ---------------------------------------------------------------- HTML pieces


def _h(text: str) -> str:
    return escape(text, quote=False)


def _a(text: str) -> str:
    return escape(text, quote=True)


def _human(when: datetime) -> str:
    return f"{when.day} {_MONTHS[when.month - 1]} {when.year}, {when:%H:%M} UTC"


@dataclass(frozen=True)
class _Page:
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

    def paragraphs(self, indent: str = "", attrs: str = "") -> str:
        return "\n".join(f"{indent}<p{attrs}>{_h(p)}</p>" for p in self.article.paragraphs)

    def related_items(self, indent: str = "") -> str:
        return "\n".join(f'{indent}<li><a href="{_a(u)}">{_h(t)}</a></li>' for t, u in self.related)

    def section_link(self, name: str) -> str:
        return f'<a href="{_a(self.home)}#{name.lower()}">{_h(name)}</a>'


def _json_ld(page: _Page, shape: str) -> str:
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
    return text.replace("</", "<\\/")


def _head(page: _Page, *, ld_shape: str = "plain", extra: str = "") -> str:
    article, outlet = page.article, page.outlet
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_h(article.title)} | {_h(outlet.name)}</title>
<link rel="canonical" href="{_a(page.url)}">
<meta name="description" content="{_a(article.summary)}">
<meta name="author" content="{_a(article.author)}">
<meta name="pubdate" content="{page.iso}">
<meta property="og:type" content="{"video.other" if article.kind == "video" else "article"}">
<meta property="og:title" content="{_a(article.title)}">
<meta property="og:url" content="{_a(page.url)}">
<meta property="og:site_name" content="{_a(outlet.name)}">
<meta property="og:description" content="{_a(article.summary)}">
{extra}<script type="application/ld+json">
{_json_ld(page, ld_shape)}
</script>
</head>
"""


# ---------------------------------------------------------------- one template per outlet


def _published_meta(page: _Page) -> str:
    return f'<meta property="article:published_time" content="{page.iso}">\n'


def _herald(page: _Page) -> str:
    a = page.article
    sections = ("Port", "Coast", "Business", "Sport", "Opinion")
    nav = " ".join(f"<li>{page.section_link(s)}</li>" for s in sections)
    return (
        _head(page, extra=f'<meta property="article:section" content="{_a(a.section)}">\n')
        + f"""<body class="hh-site">
<div id="cookie-consent" class="hh-cookie-banner" role="dialog">
<span>We use cookies to improve your experience and show relevant adverts.</span>
<button type="button" class="hh-cookie-accept">Accept all</button>
<a href="{_a(page.home)}#privacy">Manage preferences</a>
</div>
<header class="hh-masthead">
<a class="hh-logo" href="{_a(page.home)}">{_h(page.outlet.name)}</a>
<span class="hh-tagline">{_h(page.outlet.tagline)}</span>
<nav class="hh-nav"><ul>{nav}</ul></nav>
</header>
<main class="hh-main">
<header class="hh-story-head">
<h1 class="hh-headline">{_h(a.title)}</h1>
<div class="hh-byline">By <span class="hh-author">{_h(a.author)}</span>
<time class="hh-time" datetime="{page.iso}">{_human(a.published)}</time></div>
</header>
<article class="hh-story">
<figure class="hh-lead-image"><img src="{_a(page.home)}img/{a.slug}.jpg" alt="">
<figcaption>Photograph: Harbour Herald</figcaption></figure>
<div class="hh-story-body">
{page.paragraphs()}
</div>
</article>
<aside class="hh-related">
<h2>Related stories</h2>
<ul>
{page.related_items()}
</ul>
</aside>
</main>
<footer class="hh-footer">
<span>&copy; 2026 {_h(page.outlet.name)}, Port Aldwyn. All rights reserved.</span>
<a href="{_a(page.home)}#contact">Contact us</a> <a href="{_a(page.home)}#advertise">Advertise</a>
</footer>
</body>
</html>
"""
    )


def _valley(page: _Page) -> str:
    a = page.article
    nav = "".join(
        f'<li class="site-header__item">{page.section_link(s)}</li>'
        for s in ("News", "Valleys", "Farming", "Sport", "Notices")
    )
    return (
        _head(page, ld_shape="graph", extra=_published_meta(page))
        + f"""<body>
<div class="vt-page">
<header class="site-header">
<div class="site-header__brand"><a href="{_a(page.home)}">{_h(page.outlet.name)}</a></div>
<nav class="site-header__nav"><ul>{nav}</ul></nav>
</header>
<div class="vt-layout">
<main class="vt-layout__main">
<header class="story-header">
<div class="story-header__kicker">{_h(a.section)}</div>
<h1 class="story-header__title">{_h(a.title)}</h1>
<div class="story-header__meta"><span class="story-header__author">{_h(a.author)}</span>
<time datetime="{page.iso}">{_human(a.published)}</time></div>
</header>
<article class="story">
<div class="story__content">
{page.paragraphs(attrs=' class="story__para"')}
</div>
</article>
<div class="newsletter-signup">
<h3>Get the Valley Times in your inbox</h3>
<form action="{_a(page.home)}#newsletter"><input type="email" name="email"><button>Sign up</button></form>
</div>
</main>
<aside class="vt-layout__sidebar">
<h3 class="most-read__title">Most read</h3>
<ol class="most-read">
{page.related_items()}
</ol>
</aside>
</div>
<footer class="site-footer">
<ul class="site-footer__links"><li><a href="{_a(page.home)}#about">About us</a></li>
<li><a href="{_a(page.home)}#complaints">Complaints</a></li></ul>
<small>{_h(page.outlet.name)} is published in Brackenford.</small>
</footer>
<div class="cookie-notice" role="dialog">This site uses cookies.
<a href="{_a(page.home)}#cookies">Find out more</a> <button>OK</button></div>
</div>
</body>
</html>
"""
    )


def _metro_chrome_top(page: _Page) -> str:
    nav = "".join(
        f'<a class="ml-nav__link" href="{_a(page.home)}#{s.lower()}">{_h(s)}</a>'
        for s in ("City", "Transport", "Politics", "Business", "Sport", "Video")
    )
    return f"""<body data-theme="metro">
<div id="app">
<div class="ml-topbar"><span class="ml-topbar__weather">Kestrel City 9&deg;C</span>
<a href="{_a(page.home)}#subscribe" class="ml-topbar__cta">Subscribe</a></div>
<header class="ml-header"><a class="ml-header__logo" href="{_a(page.home)}">{_h(page.outlet.name)}</a>
<nav class="ml-nav">{nav}</nav></header>
"""


def _metro_chrome_bottom(page: _Page) -> str:
    return f"""<footer class="ml-footer"><a href="{_a(page.home)}#terms">Terms</a>
<a href="{_a(page.home)}#privacy">Privacy</a> <span>&copy; Metro Ledger Media 2026</span></footer>
<div class="ml-consent-overlay" id="consent" hidden><button data-consent="all">Accept</button>
<button data-consent="none">Reject</button></div>
<script>window.__ML_STATE__ = {{"page": "{page.article.kind}", "slug": "{_a(page.article.slug)}"}};</script>
</div>
</body>
</html>
"""


def _metro(page: _Page) -> str:
    a = page.article
    if a.kind == "video":
        return _metro_video(page)
    blocks = "\n".join(
        f'<div class="ml-text-block" data-component="text-block"><p>{_h(p)}</p></div>' for p in a.paragraphs
    )
    return (
        _head(page, ld_shape="list")
        + _metro_chrome_top(page)
        + f"""<main id="main-content">
<div class="ml-article" data-article-id="{_a(a.slug)}">
<div class="ml-article__head">
<span class="ml-section">{_h(a.section)}</span>
<h1 class="ml-article__title">{_h(a.title)}</h1>
<div class="ml-meta"><span class="ml-author">{_h(a.author)}</span>
<time datetime="{page.iso}">{_human(a.published)}</time></div>
</div>
<div class="ml-share"><a href="{_a(page.url)}#share-email">Email</a>
<a href="{_a(page.url)}#share-copy">Copy link</a></div>
<section class="ml-article__body">
{blocks}
</section>
<section class="ml-more">
<h2>More from Metro Ledger</h2>
<ul>
{page.related_items()}
</ul>
</section>
</div>
</main>
"""
        + _metro_chrome_bottom(page)
    )


def _metro_video(page: _Page) -> str:
    """The slim player layout: logo image, title, player; no nav, no text besides the title."""
    a = page.article
    video_id = f"mlv-{a.published:%Y%m%d-%H%M}"
    return (
        _head(page, ld_shape="list")
        + f"""<body data-theme="metro-video">
<div id="app">
<header class="ml-header ml-header--slim"><a class="ml-header__logo" href="{_a(page.home)}">
<img src="{_a(page.home)}static/logo.svg" alt="{_a(page.outlet.name)}" width="160" height="32"></a></header>
<main id="main-content">
<div class="ml-video">
<h1 class="ml-video__title">{_h(a.title)}</h1>
<div id="player" class="ml-player" data-video-id="{video_id}"></div>
<script src="{_a(page.home)}static/player.js"></script>
<script>mlPlayer.mount("player", {{"videoId": "{video_id}", "autoplay": false}});</script>
</div>
</main>
<footer class="ml-footer"><a href="{_a(page.home)}#terms">Terms</a>
<a href="{_a(page.home)}#privacy">Privacy</a> <span>&copy; Metro Ledger Media 2026</span></footer>
</div>
</body>
</html>
"""
    )


def _courier(page: _Page) -> str:
    a = page.article
    post_id = 4000 + sum(ord(c) for c in a.slug)
    sections = ("News", "Thornbury", "Business", "Sport")
    menu = "".join(f'<li class="menu-item">{page.section_link(s)}</li>' for s in sections)
    previous = page.related[0] if page.related else ("Home", page.home)
    return (
        _head(page, extra=_published_meta(page))
        + f"""<body class="post-template-default single single-post postid-{post_id}">
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="{_a(page.url)}#content">Skip to content</a>
<header id="masthead" class="site-header">
<div class="site-branding">
<span class="site-title"><a href="{_a(page.home)}" rel="home">{_h(page.outlet.name)}</a></span>
<span class="site-description">{_h(page.outlet.tagline)}</span></div>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu">{menu}</ul></nav>
</header>
<div id="content" class="site-content">
<div id="primary" class="content-area">
<main id="main" class="site-main">
<article id="post-{post_id}" class="post-{post_id} post type-post status-publish format-standard hentry">
<header class="entry-header">
<h1 class="entry-title">{_h(a.title)}</h1>
<div class="entry-meta"><span class="posted-on">Posted on
<time class="entry-date published" datetime="{page.iso}">{_human(a.published)}</time></span>
<span class="byline"> by <span class="author vcard">{_h(a.author)}</span></span></div>
</header>
<div class="entry-content">
{page.paragraphs()}
</div>
<footer class="entry-footer"><span class="cat-links">Posted in {page.section_link(a.section)}</span>
<span class="comments-link"><a href="{_a(page.url)}#respond">Leave a comment</a></span></footer>
</article>
<nav class="navigation post-navigation" aria-label="Posts">
<div class="nav-links">
<div class="nav-previous"><a href="{_a(previous[1])}" rel="prev">{_h(previous[0])}</a></div>
</div>
</nav>
</main>
</div>
<aside id="secondary" class="widget-area">
<section class="widget widget_recent_entries"><h2 class="widget-title">Recent Posts</h2>
<ul>
{page.related_items()}
</ul>
</section>
</aside>
</div>
<footer id="colophon" class="site-footer">
<div class="site-info">{_h(page.outlet.name)}, independent since 1889.</div>
</footer>
<div id="gdpr-cookie-notice" class="cookie-bar">Cookies help us run this site.
<button class="cookie-bar__accept">Accept</button></div>
</div>
</body>
</html>
"""
    )


def _wire(page: _Page) -> str:
    a = page.article
    story = (a.story or "general").removeprefix("demo-").upper()
    return (
        _head(page)
        + f"""<body class="wire">
<div class="wire-top"><a href="{_a(page.home)}">CIVIC WIRE</a> <span>Subscriber newswire</span></div>
<div class="wire-item">
<div class="wire-slug">CW-{a.published:%Y%m%d-%H%M} {_h(story)}</div>
<h1 class="wire-headline">{_h(a.title)}</h1>
<div class="wire-byline">{_h(a.author)}, {_h(page.outlet.name)}
<time datetime="{page.iso}">{_human(a.published)}</time></div>
<div class="wire-copy">
{page.paragraphs()}
</div>
<div class="wire-licensing">&copy; 2026 Civic Wire. Redistribution requires a licence.
<a href="{_a(page.home)}#licensing">Licensing</a></div>
</div>
<nav class="wire-latest"><ul>
{page.related_items()}
</ul></nav>
</body>
</html>
"""
    )


def _gazette(page: _Page) -> str:
    a = page.article
    menu = " | ".join(page.section_link(s) for s in ("News", "What's on", "Schools", "Sport", "Noticeboard"))
    return (
        _head(page, ld_shape="graph")
        + f"""<body class="eg-body">
<div class="eg-wrapper">
<header class="eg-header"><div class="eg-brand"><a href="{_a(page.home)}">{_h(page.outlet.name)}</a></div>
<nav class="eg-menu">{menu}</nav></header>
<div class="eg-columns">
<article class="eg-article" itemscope itemtype="https://schema.org/NewsArticle">
<h1 itemprop="headline">{_h(a.title)}</h1>
<div class="eg-meta">By <span itemprop="author">{_h(a.author)}</span>,
<time itemprop="datePublished" datetime="{page.iso}">{_human(a.published)}</time></div>
<div class="eg-article-body" itemprop="articleBody">
{page.paragraphs()}
</div>
</article>
<aside class="eg-read-next"><h3>Read next</h3>
<ul>
{page.related_items()}
</ul>
</aside>
</div>
<footer class="eg-footer">{_h(page.outlet.name)} is run by volunteers and funded by readers.
<a href="{_a(page.home)}#donate">Support us</a></footer>
</div>
<div class="eg-cookie-dialog" id="cookie-dialog">We use essential cookies only.
<button>Got it</button></div>
</body>
</html>
"""
    )


def _post(page: _Page) -> str:
    a = page.article
    return (
        _head(page)
        + f"""<body>
<table class="lp-frame">
<tr><td class="lp-masthead"><a href="{_a(page.home)}">{_h(page.outlet.name)}</a></td></tr>
<tr><td class="lp-main">
<h1 class="lp-title">{_h(a.title)}</h1>
<div class="lp-date">{_human(a.published)} &middot; {_h(a.author)}</div>
<div class="lp-text">
{page.paragraphs()}
</div>
</td></tr>
<tr><td class="lp-footer">{_h(page.outlet.name)}, Merrow</td></tr></table>
</body>
</html>
"""
    )


_TEMPLATES: dict[str, Callable[[_Page], str]] = {
    "herald": _herald,
    "valley": _valley,
    "metro": _metro,
    "courier": _courier,
    "wire": _wire,
    "gazette": _gazette,
    "post": _post,
}


def _related(base: str, article: Article) -> list[tuple[str, str]]:
    """Up to three other listed stories from the same outlet, nearest in time first."""
    others = [a for a in _feed_items(outlet_by_id(article.outlet)) if a.kind == "article" and a != article]
    others.sort(key=lambda a: (abs((a.published - article.published).total_seconds()), a.slug))
    return [(a.title, article_url(base, a)) for a in others[:3]]


def render_article(base_url: str, article: Article) -> str:
    """The HTML of one page, in its outlet's own template."""
    base = _base(base_url)
    outlet = outlet_by_id(article.outlet)
    page = _Page(base, outlet, article, article_url(base, article), _related(base, article))
    return _TEMPLATES[outlet.style](page)


def _index(base: str, outlet: Outlet) -> str:
    home = home_url(base, outlet)
    prefix = {"herald": "hh", "valley": "vt", "metro": "ml", "courier": "nc", "wire": "cw", "gazette": "eg"}
    cls = prefix.get(outlet.style, "lp")
    feed_type = "application/atom+xml" if outlet.feed_format == "atom" else "application/rss+xml"
    items = "\n".join(
        f'<li class="{cls}-teaser"><a href="{_a(article_url(base, a))}">{_h(a.title)}</a>'
        f' <time datetime="{a.published.isoformat()}">{_human(a.published)}</time>'
        f'<p class="{cls}-teaser__summary">{_h(a.summary)}</p></li>'
        for a in _pages(outlet)
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_h(outlet.name)}: {_h(outlet.tagline)}</title>
<link rel="canonical" href="{_a(home)}">
<link rel="alternate" type="{feed_type}" title="{_a(outlet.name)}" href="{_a(feed_url(base, outlet))}">
</head>
<body class="{cls}-home">
<header class="{cls}-masthead"><h1>{_h(outlet.name)}</h1><p>{_h(outlet.tagline)}</p></header>
<main class="{cls}-front">
<ul class="{cls}-teasers">
{items}
</ul>
</main>
<footer class="{cls}-footer">{_h(outlet.name)}, {_h(outlet.city)}. A Storyline demo outlet.</footer>
</body>
</html>
"""


# ---------------------------------------------------------------- feeds and robots.txt


def _rss(base: str, outlet: Outlet) -> str:
    items = _feed_items(outlet)
    newest = format_datetime(items[0].published, usegmt=True)
    entries = "\n".join(
        f"""<item>
<title>{xml_escape(a.title)}</title>
<link>{xml_escape(article_url(base, a))}</link>
<guid isPermaLink="true">{xml_escape(article_url(base, a))}</guid>
<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>
<description>{xml_escape(a.summary)}</description>
<category>{xml_escape(a.section)}</category>
</item>"""
        for a in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{xml_escape(outlet.name)}</title>
<link>{xml_escape(home_url(base, outlet))}</link>
<description>{xml_escape(outlet.tagline)}</description>
<language>en</language>
<lastBuildDate>{newest}</lastBuildDate>
<atom:link href={quoteattr(feed_url(base, outlet))} rel="self" type="application/rss+xml"/>
{entries}
</channel>
</rss>
"""


def _atom(base: str, outlet: Outlet) -> str:
    items = _feed_items(outlet)
    entries = "\n".join(
        f"""<entry>
<title>{xml_escape(a.title)}</title>
<link rel="alternate" type="text/html" href={quoteattr(article_url(base, a))}/>
<id>{xml_escape(article_url(base, a))}</id>
<published>{a.published.isoformat()}</published>
<updated>{a.published.isoformat()}</updated>
<author><name>{xml_escape(a.author)}</name></author>
<summary>{xml_escape(a.summary)}</summary>
</entry>"""
        for a in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<title>{xml_escape(outlet.name)}</title>
<subtitle>{xml_escape(outlet.tagline)}</subtitle>
<link rel="alternate" type="text/html" href={quoteattr(home_url(base, outlet))}/>
<link rel="self" type="application/atom+xml" href={quoteattr(feed_url(base, outlet))}/>
<id>{xml_escape(home_url(base, outlet))}</id>
<updated>{items[0].published.isoformat()}</updated>
{entries}
</feed>
"""


def _broken_feed(base: str, outlet: Outlet) -> str:
    """A feed cut off mid-transfer: the channel header, then nothing parseable (no item at all)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>{xml_escape(outlet.name)}</title>
<link>{xml_escape(home_url(base, outlet))}</link>
<description>{xml_escape(outlet.tagline)}</descr"""


def _feed(base: str, outlet: Outlet) -> str:
    if outlet.feed_format == "atom":
        return _atom(base, outlet)
    if outlet.feed_format == "broken":
        return _broken_feed(base, outlet)
    return _rss(base, outlet)


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


def _root_index(base: str) -> str:
    items = "\n".join(
        f'<li><a href="{_a(home_url(base, o))}">{_h(o.name)}</a> ({_h(o.city)}) '
        f'<a href="{_a(feed_url(base, o))}">feed</a></li>'
        for o in OUTLETS
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Storyline demo news site</title></head>
<body>
<h1>Storyline demo news site</h1>
<p>Fictional outlets and articles written for the Storyline demo and tests.</p>
<ul>
{items}
</ul>
</body>
</html>
"""


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
