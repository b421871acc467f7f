"""Query fragments the repositories and the read side share: story families and their source passages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select

from storyline.adapters.warehouse.tables import ArticlePassageRow, ArticleRow, StoryArticleRow, StoryRow


def family_root() -> Any:
    """A story's family root: the survivor it was merged into, else itself (merged_into names the final one)."""
    return func.coalesce(StoryRow.merged_into, StoryRow.story_id)


def in_families(roots: Any) -> Any:
    """The stories whose family root is among `roots` (a list, or a subquery of ids): the rows of
    `family_root().in_(roots)`, written so that the story id and `merged_into` indexes find them. The coalesce
    itself matches no index, so each family lookup scanned every stored passage: 47 ms a call on replay-dev's
    113,577 passages, 3 ms with this, and it grew with the warehouse."""
    return or_(and_(StoryRow.merged_into.is_(None), StoryRow.story_id.in_(roots)), StoryRow.merged_into.in_(roots))


def passage_rows() -> Any:
    """(passage, family root, outlet) for each source passage of a clustered article."""
    return (
        select(ArticlePassageRow.passage, family_root(), ArticleRow.source_id)
        .join(StoryArticleRow, StoryArticleRow.article_id == ArticlePassageRow.article_id)
        .join(StoryRow, StoryRow.story_id == StoryArticleRow.story_id)
        .join(ArticleRow, ArticleRow.article_id == ArticlePassageRow.article_id)
    )
