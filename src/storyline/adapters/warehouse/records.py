"""Rows to records: the one mapping from a row's columns to the records that share their names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from storyline.adapters.warehouse.tables import ArticleRow, Base, StoryRow
from storyline.domain.enrichment import StoryArticle
from storyline.domain.entities import mentions_from_json
from storyline.events import ArticleBody
from storyline.ports import StoredStory

# The columns an article row shares with each record built from it, by name (entities are stored as JSON).
STORY_ARTICLE_COLUMNS = tuple(f.name for f in fields(StoryArticle) if f.name != "entities")


def columns(row: Base, names: Iterable[str]) -> dict[str, Any]:
    """The named columns of a row, in the order named."""
    return {name: getattr(row, name) for name in names}


def article_body(row: ArticleRow) -> ArticleBody:
    return ArticleBody(**columns(row, ArticleBody.model_fields))


def story_article(row: ArticleRow) -> StoryArticle:
    entities = None if row.entities is None else mentions_from_json(row.article_id, row.entities)
    return StoryArticle(**columns(row, STORY_ARTICLE_COLUMNS), entities=entities)


def stored_story(row: StoryRow) -> StoredStory:
    return StoredStory(row.story_id, row.first_seen, row.last_seen, dict(row.state))
