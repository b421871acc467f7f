"""Ports of maintenance: consolidation, retention and resuming what a run left unfinished."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from storyline.domain.consolidation import Merge
from storyline.events import ArticleBody, ArticleFetched
from storyline.ports.stories import StoredStory


class ResumeStore(Protocol):
    """What a run that died left between the stages: the next embedded run takes each item up where it stopped."""

    def unstored_pages(self) -> list[ArticleFetched]: ...
    def unfinished_articles(self) -> list[ArticleBody]: ...


class ConsolidationStore(Protocol):
    """What the consolidation pass reads and writes: story families (a root and what merged into it)."""

    def latest_story_time(self) -> datetime | None: ...
    def story_families(self, since: datetime) -> list[tuple[str, StoredStory]]: ...
    def family_passages(self, roots: Iterable[str]) -> list[tuple[int, str, str]]: ...
    def record_merges(self, merges: Sequence[Merge], at: datetime) -> list[Merge]: ...


class RawArchiveIndex(Protocol):
    """Which raw objects the warehouse still refers to, for retention."""

    def raw_keys_last_used_before(self, cutoff: datetime) -> list[str]: ...
    def mark_objects_expired(self, keys: Sequence[str], at: datetime) -> None: ...


class FetchLogRetention(Protocol):
    """Retention of the fetch log."""

    def delete_fetch_rows_before(self, cutoff: datetime) -> int: ...
