"""One-item writes and reads of the warehouse for tests that set up a story or two by hand: the repositories work
in batches (the pipeline never stores one article at a time), and these say one item in the tests' own words."""

from __future__ import annotations

from collections.abc import Sequence

from storyline.adapters.warehouse import SqlWarehouse
from storyline.domain.enrichment import Sections, StoryArticle
from storyline.domain.entities import ArticleMentions
from storyline.domain.links import Link
from storyline.events import ArticleBody
from storyline.ports import ClusterSteps, StoredStory


def upsert_article(warehouse: SqlWarehouse, article: ArticleBody, entities: ArticleMentions | None = None) -> None:
    warehouse.upsert_articles([(article, entities)])


def assignment_of(warehouse: SqlWarehouse, article_id: str) -> tuple[str, float, bool] | None:
    return warehouse.assignments_of([article_id]).get(article_id)


def save_cluster_step(warehouse: SqlWarehouse, story: StoredStory, article_id: str, score: float, is_new: bool) -> None:
    warehouse.save_cluster_steps(ClusterSteps([story], [(article_id, story.story_id, score, is_new)]))


def add_document_frequencies(warehouse: SqlWarehouse, n_docs: int, deltas: dict[str, int]) -> None:
    warehouse.save_cluster_steps(ClusterSteps(df=(n_docs, deltas)))


def story_articles(warehouse: SqlWarehouse, story_id: str) -> list[StoryArticle]:
    return warehouse.story_articles_many([story_id])[story_id]


def save_sections(warehouse: SqlWarehouse, story_id: str, sections: Sections, links: Sequence[Link]) -> bool:
    """Write a story's sections; False when nothing changed (no new version)."""
    return warehouse.save_sections_many([(story_id, sections, links)])[0] is not None
