"""Ports of the stories aggregate: clustering state, memberships, sections and snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from storyline.domain.consolidation import Merge
from storyline.domain.enrichment import Sections, StoryArticle
from storyline.domain.features import DocumentFrequencies
from storyline.domain.links import Link, StoryProfile


@dataclass(frozen=True)
class StoredStory:
    """The clustering state of one story as the warehouse keeps it."""

    story_id: str
    first_seen: datetime
    last_seen: datetime
    state: dict[str, Any]


@dataclass(frozen=True)
class ClusterSteps:
    """What a batch of clustering steps writes, all or nothing: each story's latest state (its sections now owed),
    every (article, story, score, is_seed) membership, the document-frequency increments `df` (articles, per-term
    counts), the articles' lead `passages` and the live `merges` the steps made at `merged_at`."""

    stories: Sequence[StoredStory] = ()
    memberships: Sequence[tuple[str, str, float, bool]] = ()
    df: tuple[int, dict[str, int]] | None = None
    passages: Sequence[tuple[str, int]] = ()
    merges: Sequence[Merge] = ()
    merged_at: datetime | None = None


class StoryStore(Protocol):
    def active_stories(self, since: datetime) -> list[StoredStory]: ...
    def story_state(self, story_id: str) -> StoredStory | None: ...
    def load_document_frequencies(self) -> DocumentFrequencies: ...
    def assignments_of(self, article_ids: Iterable[str]) -> dict[str, tuple[str, float, bool]]: ...
    def save_cluster_steps(self, steps: ClusterSteps) -> None: ...
    def passage_holders(self, passages: Iterable[int]) -> list[tuple[int, str, str]]: ...
    def family_passages(self, roots: Iterable[str]) -> list[tuple[int, str, str]]: ...
    def story_articles_many(self, story_ids: Sequence[str]) -> dict[str, list[StoryArticle]]: ...
    def story_profiles(self, exclude: str) -> list[StoryProfile]: ...
    def save_sections_many(
        self, items: Sequence[tuple[str, Sections, Sequence[Link]]], settled: Sequence[str] = ()
    ) -> list[dict[str, Any] | None]: ...
    def story_snapshot(self, story_id: str) -> dict[str, Any]: ...
    def resolve_story(self, story_id: str) -> str: ...
    def pending_sections(self) -> list[str]: ...
