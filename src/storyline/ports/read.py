"""Ports of the read side: one page of stories, and the read-only queries of the API and story pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from storyline.domain.pages import StoryBrief

MAX_PAGE = 200  # the most stories (or entities) one read returns
# The largest offset a read takes: the SQL engines' (a signed 64-bit integer); no table can hold more rows.
MAX_OFFSET = 2**63 - 1


@dataclass(frozen=True)
class StoryFilter:
    """One page of the story list, as the read API and the front page ask for it."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    entity: str | None = None
    query: str | None = None
    limit: int = 20
    offset: int = 0
    language: str | None = None
    # "recent": last updated first; "significance": the front page's ranking (domain/ranking.py).
    sort: str = "recent"


class StoryReader(Protocol):
    """The read side (read-only): what the read API, the story pages and the editorial self-check query. Every
    query resolves merged stories to their survivor."""

    def list_stories(self, f: StoryFilter) -> tuple[int, list[dict[str, Any]]]: ...
    def story(self, story_id: str) -> dict[str, Any] | None: ...
    def briefs(self, story_ids: Sequence[str]) -> dict[str, StoryBrief]: ...
    def articles(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    def article(self, article_id: str) -> dict[str, Any] | None: ...
    def entities(
        self, query: str | None, kind: str | None, limit: int, offset: int
    ) -> tuple[int, list[dict[str, Any]]]: ...
    def sources(self) -> list[dict[str, Any]]: ...
