"""Typed records passed between services and ports (frozen: a record never changes after creation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from storyline.domain.entities import ArticleMentions


@dataclass(frozen=True)
class Source:
    """One outlet in the registry."""

    id: str
    name: str
    feeds: tuple[str, ...]
    home: str | None = None
    language: str | None = None
    country: str | None = None
    enabled: bool = True
    min_delay_s: float | None = None  # per-source politeness override (seconds between requests to its hosts)
    sitemaps: tuple[str, ...] = ()  # news sitemaps (or sitemap indexes), read beside the feeds
    schedule_minutes: int | None = None  # how often the crawl DAG polls this source (None: the DAG default)


class FetchOutcome(StrEnum):
    FETCHED = "fetched"
    NOT_MODIFIED = "not-modified"
    DISALLOWED = "disallowed"
    RATE_LIMITED = "rate-limited"
    FAILED = "failed"
    SKIPPED = "skipped"  # already in the warehouse: not requested again


@dataclass(frozen=True)
class FetchDecision:
    """One row of the fetch log: what was asked, what happened, and why."""

    url: str
    source_id: str
    kind: str  # "feed" | "page" | "robots"
    outcome: FetchOutcome
    reason: str
    at: datetime
    http_status: int | None = None
    bytes: int | None = None
    object_key: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # A fetched page's event as JSON (what an embedded run resumes from if it dies before storing the page).
    event: dict[str, Any] | None = None


@dataclass(frozen=True)
class HttpResult:
    """A completed HTTP exchange as the fetcher port reports it."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class FeedItem:
    url: str
    title: str | None
    published_at: datetime | None
    summary: str | None = None


@dataclass(frozen=True)
class Extracted:
    """What extraction gets out of one page."""

    title: str
    text: str
    authors: tuple[str, ...] = field(default_factory=tuple)
    published_at: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    paywalled: bool = False


@dataclass(frozen=True)
class PageJob:
    """One raw page to analyse; `fallback_title` is the feed's title for pages that carry none."""

    raw: bytes
    url: str
    content_type: str | None = None
    fallback_title: str | None = None


@dataclass(frozen=True)
class PageAnalysis:
    """The CPU-bound part of extraction: the page's text and metadata, and the entities named in its lead."""

    page: Extracted
    title: str
    entities: ArticleMentions


@dataclass(frozen=True)
class InRecord:
    """A consumed record: where it came from, and its original bytes and headers (a DLQ keeps them untouched)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class DeadLetter:
    """An item a stage could not process: kept with its payload so it can be replayed after a fix."""

    stage: str
    subject: str  # article id or URL
    error_kind: str
    message: str
    payload: str
    at: datetime
    attempts: int = 1
    origin: InRecord | None = None
