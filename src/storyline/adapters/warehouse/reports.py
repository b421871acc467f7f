"""Operators' reads of the warehouse: run status, source quality, the merge log, and what export and eval read."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from storyline.adapters.warehouse.engine import Repository
from storyline.adapters.warehouse.tables import (
    ArticleRow,
    DeadLetterRow,
    FetchRow,
    SourceRow,
    StoryArticleRow,
    StoryMergeRow,
    StoryRow,
)


class SqlReports(Repository):
    def operations_status(self) -> dict[str, Any]:
        """What an operator checks first: per source the last crawl and its outcomes, dead letters per stage,
        and how fresh the newest article and story are (one query each, no table scans beyond indexes)."""
        with self.db.transaction() as tx:
            s = tx.session
            last = _grouped(s, FetchRow.source_id, func.max(FetchRow.at))
            outcomes: dict[str, dict[str, int]] = {}
            per_outcome = select(FetchRow.source_id, FetchRow.outcome, func.count())
            for sid, outcome, n in s.execute(per_outcome.group_by(FetchRow.source_id, FetchRow.outcome)):
                outcomes.setdefault(sid, {})[outcome] = n
            articles = _grouped(s, ArticleRow.source_id, func.count())
            registered = s.execute(select(SourceRow.id, SourceRow.name, SourceRow.enabled)).all()
            names = {sid: name for sid, name, _ in registered}
            enabled = {sid: on for sid, _, on in registered}
            sources = [
                {
                    "source_id": sid,
                    "name": names.get(sid, sid),
                    "enabled": enabled.get(sid, True),  # fetched but not registered: judged like an enabled one
                    "last_crawl": last.get(sid),
                    "fetches": outcomes.get(sid, {}),
                    "articles": articles.get(sid, 0),
                }
                for sid in sorted(set(names) | set(last))
            ]
            dlq = _grouped(s, DeadLetterRow.stage, func.count())
            return {
                "sources": sources,
                "dead_letters": dlq,
                "newest_article_fetched": s.scalar(select(func.max(ArticleRow.fetched_at))),
                "newest_article_published": s.scalar(select(func.max(ArticleRow.published_at))),
                "newest_story_activity": s.scalar(select(func.max(StoryRow.last_seen))),
                "stories": s.scalar(select(func.count()).select_from(StoryRow).where(StoryRow.merged_into.is_(None))),
                "articles": s.scalar(select(func.count()).select_from(ArticleRow)),
            }

    def source_quality(self) -> list[dict[str, Any]]:
        """Per source: stored articles, newest fetch time, pages without text (for the data-quality DAG)."""
        per_source = select(ArticleRow.source_id, func.count(), func.max(ArticleRow.fetched_at))
        with self.db.transaction() as tx:
            s = tx.session
            counts = {sid: (n, newest) for sid, n, newest in s.execute(per_source.group_by(ArticleRow.source_id))}
            empty: dict[str, int] = {}
            for d in s.scalars(select(DeadLetterRow).where(DeadLetterRow.error_kind == "no_text")):
                try:
                    sid = str(json.loads(d.payload).get("source_id", ""))
                except ValueError:
                    continue
                empty[sid] = empty.get(sid, 0) + 1
            out = []
            for sid in s.scalars(select(SourceRow.id).where(SourceRow.enabled.is_(True)).order_by(SourceRow.id)):
                n, newest = counts.get(sid, (0, None))
                newest = newest.replace(tzinfo=UTC) if newest is not None and newest.tzinfo is None else newest
                out.append({"source_id": sid, "articles": n, "newest_fetch": newest, "empty_pages": empty.get(sid, 0)})
            return out

    def merge_log(self) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            rows = tx.session.scalars(select(StoryMergeRow).order_by(StoryMergeRow.merged_at, StoryMergeRow.loser))
            return [
                {"loser": r.loser, "survivor": r.survivor, "score": r.score, "merged_at": r.merged_at} for r in rows
            ]

    # -- reads for export and eval -------------------------------------------------------------------
    def assignments(self) -> list[dict[str, Any]]:
        orig = aliased(ArticleRow, name="orig")
        # A merged story's articles are reported under its survivor.
        sid = func.coalesce(StoryRow.merged_into, StoryArticleRow.story_id).label("story_id")
        with self.db.transaction() as tx:
            rows = tx.session.execute(
                select(ArticleRow.url, ArticleRow.article_id, sid, orig.url.label("dup_url"))
                .outerjoin(StoryArticleRow, StoryArticleRow.article_id == ArticleRow.article_id)
                .outerjoin(StoryRow, StoryRow.story_id == StoryArticleRow.story_id)
                .outerjoin(orig, orig.article_id == ArticleRow.duplicate_of)
                .order_by(ArticleRow.published_at, ArticleRow.article_id)
            )
            return [
                {"url": r.url, "article_id": r.article_id, "story_id": r.story_id, "duplicate_of": r.dup_url}
                for r in rows
            ]

    def article_texts(self) -> dict[str, str]:
        with self.db.transaction() as tx:
            return dict(tx.session.execute(select(ArticleRow.url, ArticleRow.text)).all())

    def stories_overview(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.db.transaction() as tx:
            rows = tx.session.scalars(
                select(StoryRow)
                .where(StoryRow.merged_into.is_(None))
                .order_by(StoryRow.article_count.desc(), StoryRow.last_seen.desc(), StoryRow.story_id)
                .limit(limit)
            )
            return [
                {
                    "story_id": r.story_id,
                    "headline": r.headline,
                    "article_count": r.article_count,
                    "outlets": (r.sections or {}).get("outlets", []),
                    "first_seen": r.first_seen,
                    "last_seen": r.last_seen,
                }
                for r in rows
            ]


def _grouped(s: Session, key: Any, value: Any) -> dict[Any, Any]:
    """`value` (an aggregate) per distinct `key`."""
    return dict(s.execute(select(key, value).group_by(key)).all())
