"""The maintenance repository: retention (the raw archive's index, the fetch log), what a run that died left to
resume (ADR 0013), the raw archive replayed as fetched events, and a digest of the content tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from storyline.adapters.warehouse.engine import Repository, json_digest
from storyline.adapters.warehouse.records import article_body, columns
from storyline.adapters.warehouse.tables import (
    ArticleBandRow,
    ArticleRow,
    Base,
    DeadLetterRow,
    EntityRow,
    ExpiredObjectRow,
    FetchRow,
    SourceRow,
    StoryArticleRow,
    StoryEntityRow,
    StoryLinkRow,
    StoryPerspectiveRow,
    StoryRow,
    TermFrequencyRow,
)
from storyline.events import ArticleBody, ArticleFetched

# The columns an article row shares with the fetched event it came from.
_FETCHED_COLUMNS = ("article_id", "url", "canonical_url", "source_id", "source_name", "raw_object_key", "fetched_at")
# Every content table (not the fetch log), for `table_digest`.
_CONTENT: tuple[type[Base], ...] = (
    ArticleRow,
    ArticleBandRow,
    StoryRow,
    StoryArticleRow,
    EntityRow,
    StoryEntityRow,
    StoryPerspectiveRow,
    StoryLinkRow,
    TermFrequencyRow,
    SourceRow,
    DeadLetterRow,
)


class SqlMaintenance(Repository):
    # -- retention ----------------------------------------------------------------------------------
    def raw_keys_last_used_before(self, cutoff: datetime) -> list[str]:
        """Raw objects whose newest reference (a fetch or an article) is older than `cutoff` and not yet expired.
        Content-addressed keys can be shared: one recent reference keeps the object."""
        uses = (
            select(FetchRow.object_key.label("key"), FetchRow.at.label("at"))
            .where(FetchRow.object_key.is_not(None))
            .union_all(select(ArticleRow.raw_object_key, ArticleRow.fetched_at))
            .subquery()
        )
        stmt = (
            select(uses.c.key)
            .where(uses.c.key.not_in(select(ExpiredObjectRow.object_key)))
            .group_by(uses.c.key)
            .having(func.max(uses.c.at) < cutoff)
            .order_by(uses.c.key)
        )
        with self.db.transaction() as tx:
            return [str(k) for k in tx.session.scalars(stmt)]

    def mark_objects_expired(self, keys: Sequence[str], at: datetime) -> None:
        with self.db.transaction() as tx:
            tx.upsert(ExpiredObjectRow, [{"object_key": k, "expired_at": at} for k in keys], ["object_key"])

    def delete_fetch_rows_before(self, cutoff: datetime) -> int:
        """Retention of the fetch log; returns how many rows went."""
        with self.db.transaction() as tx:
            result: Any = tx.session.execute(delete(FetchRow).where(FetchRow.at < cutoff))
            return int(result.rowcount or 0)

    # -- resuming what a run left unfinished (ADR 0013) ----------------------------------------------
    def unstored_pages(self) -> list[ArticleFetched]:
        """Pages archived with their event on record but never stored nor dead-lettered at extraction (a run that
        died after its crawl was recorded), whose raw object is still there: each page once, as fetched."""
        with self.db.transaction() as tx:
            rows = tx.session.execute(
                select(FetchRow.event).where(
                    FetchRow.kind == "page",
                    FetchRow.outcome == "fetched",
                    FetchRow.object_key.is_not(None),
                    FetchRow.object_key.not_in(select(ExpiredObjectRow.object_key)),
                    FetchRow.url.not_in(select(ArticleRow.url)),
                )
            ).scalars()
            # A JSON null and SQL NULL both read back as None: rows from before events were recorded have none.
            events = {e.article_id: e for e in (ArticleFetched.model_validate(r) for r in rows if r)}
            letters = set(tx.session.scalars(select(DeadLetterRow.subject).where(DeadLetterRow.stage == "extract")))
        return [e for _, e in sorted(events.items()) if e.canonical_url not in letters]

    def unfinished_articles(self) -> list[ArticleBody]:
        """Stored articles without a story (no dedup verdict yet, or no membership: a run died between the stages),
        except those dead-lettered at dedup or clustering, which wait for `replay`."""
        member = select(StoryArticleRow.article_id).where(StoryArticleRow.article_id == ArticleRow.article_id)
        letters = select(DeadLetterRow.subject).where(DeadLetterRow.stage.in_(("dedup", "cluster")))
        with self.db.transaction() as tx:
            rows = tx.session.scalars(
                select(ArticleRow)
                .where(~member.exists(), ArticleRow.article_id.not_in(letters))
                .order_by(ArticleRow.published_at, ArticleRow.article_id)
            )
            return [article_body(r) for r in rows]

    def archived_pages(self) -> list[ArticleFetched]:
        """Fetched events rebuilt from the warehouse, to re-extract from the raw archive without the network:
        every stored article (its own time and title standing in for the feed's), and every page that was
        dead-lettered at extraction (its original event)."""
        expired = select(ExpiredObjectRow.object_key)
        events: list[ArticleFetched] = []
        with self.db.transaction() as tx:
            s = tx.session
            sizes = {
                r.object_key: (r.bytes, r.http_status)
                for r in s.execute(
                    select(FetchRow.object_key, FetchRow.bytes, FetchRow.http_status).where(
                        FetchRow.object_key.is_not(None)
                    )
                )
            }
            for a in s.scalars(
                select(ArticleRow)
                .where(ArticleRow.revision_of.is_(None), ArticleRow.raw_object_key.not_in(expired))
                .order_by(ArticleRow.article_id)
            ):
                size, status = sizes.get(a.raw_object_key, (0, 200))
                events.append(
                    ArticleFetched(
                        **columns(a, _FETCHED_COLUMNS),
                        event_time=a.published_at,
                        http_status=status or 200,
                        byte_size=size or 0,
                        feed_title=a.title,
                        feed_published_at=a.published_at,
                    )
                )
            gone = set(s.scalars(expired))
            for d in s.scalars(select(DeadLetterRow).where(DeadLetterRow.stage == "extract")):
                try:
                    event = ArticleFetched.model_validate_json(d.payload)
                except ValueError:
                    continue  # a poison record: nothing to re-extract
                if event.raw_object_key not in gone:
                    events.append(event)
        return events

    def table_digest(self) -> dict[str, str]:
        """A digest of every content table (not the fetch log): equal digests mean no row changed."""
        out: dict[str, str] = {}
        with self.db.transaction() as tx:
            for model in _CONTENT:
                table: Any = model.__table__
                rows = tx.session.execute(select(table).order_by(*table.primary_key.columns)).all()
                out[table.name] = json_digest([list(r) for r in rows])
        return out
