"""Query fragments the repositories and the read side share: story families and their source passages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storyline.adapters.warehouse.tables import ArticlePassageRow, ArticleRow, StoryArticleRow, StoryRow


def family_root() -> Any:
    """A story's family root: the survivor it was merged into, else itself (merged_into names the final one)."""
    return func.coalesce(StoryRow.merged_into, StoryRow.story_id)


def passage_rows() -> Any:
    """(passage, family root, outlet) for each source passage of a clustered article."""
    return (
        select(ArticlePassageRow.passage, family_root(), ArticleRow.source_id)
        .join(StoryArticleRow, StoryArticleRow.article_id == ArticlePassageRow.article_id)
        .join(StoryRow, StoryRow.story_id == StoryArticleRow.story_id)
        .join(ArticleRow, ArticleRow.article_id == ArticlePassageRow.article_id)
    )
