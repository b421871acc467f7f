"""Warehouse schema: SQLAlchemy 2 typed models (Alembic migrations are generated from these)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Dialect, Float, Index, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ID = String(64)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the warehouse")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class SourceRow(Base):
    __tablename__ = "sources"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    home: Mapped[str | None] = mapped_column(Text)
    feeds: Mapped[list[Any]]
    language: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class FetchRow(Base):
    """One row per fetch decision (fetched / not-modified / disallowed / failed), with its reason."""

    __tablename__ = "fetches"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text, index=True)
    source_id: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text)
    http_status: Mapped[int | None]
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    object_key: Mapped[str | None] = mapped_column(String(128))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
    # A fetched page's event (ArticleFetched as JSON): what an embedded run resumes from after a crash.
    event: Mapped[dict[str, Any] | None]


class ArticleRow(Base):
    __tablename__ = "articles"
    article_id: Mapped[str] = mapped_column(ID, primary_key=True)
    canonical_url: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    source_id: Mapped[str] = mapped_column(String(128), index=True)
    source_name: Mapped[str] = mapped_column(String(256))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[Any]]
    language: Mapped[str | None] = mapped_column(String(16))
    published_at: Mapped[datetime] = mapped_column(index=True)
    fetched_at: Mapped[datetime]
    content_hash: Mapped[str] = mapped_column(String(32), index=True)
    raw_object_key: Mapped[str] = mapped_column(String(128))
    paywalled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why published_at is not the date the page or feed claimed (an implausible one was passed over).
    published_at_note: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[str | None] = mapped_column(String(16))
    duplicate_of: Mapped[str | None] = mapped_column(ID, index=True)
    revision_of: Mapped[str | None] = mapped_column(ID)
    dedup_similarity: Mapped[float | None] = mapped_column(Float)
    # Named entities of the lead, recognised once at extraction (domain/entities.mentions_to_json).
    entities: Mapped[dict[str, Any] | None]
    __table_args__ = (Index("ix_articles_canonical_url", "canonical_url"),)


class ArticleBandRow(Base):
    """LSH band keys of each article's MinHash signature: near-duplicate lookup by equality in SQL."""

    __tablename__ = "article_bands"
    band_key: Mapped[str] = mapped_column(String(24), primary_key=True)
    article_id: Mapped[str] = mapped_column(ID, primary_key=True)


class StoryRow(Base):
    __tablename__ = "stories"
    story_id: Mapped[str] = mapped_column(ID, primary_key=True)
    headline: Mapped[str | None] = mapped_column(Text)
    sections: Mapped[dict[str, Any] | None]
    state: Mapped[dict[str, Any]]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime] = mapped_column(index=True)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    outlet_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into: Mapped[str | None] = mapped_column(ID)
    version: Mapped[str | None] = mapped_column(String(32))
    # Membership changed since the sections were last built (set with the membership, cleared with the sections).
    sections_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)


class StoryArticleRow(Base):
    __tablename__ = "story_articles"
    article_id: Mapped[str] = mapped_column(ID, primary_key=True)  # an article belongs to one story
    story_id: Mapped[str] = mapped_column(ID, index=True)
    score: Mapped[float] = mapped_column(Float)
    is_seed: Mapped[bool] = mapped_column(Boolean, default=False)


class ArticlePassageRow(Base):
    """Each clustered article's source passages (hashed 8-word runs): shared ones link stories that rewrote one
    source (ADR 0015). Written with the article's membership; looked up by passage."""

    __tablename__ = "article_passages"
    article_id: Mapped[str] = mapped_column(ID, primary_key=True)
    passage: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, index=True)


class StoryMergeRow(Base):
    """The merge log: which story the consolidation pass folded into which, when and on what score."""

    __tablename__ = "story_merges"
    loser: Mapped[str] = mapped_column(ID, primary_key=True)  # a story merges once
    survivor: Mapped[str] = mapped_column(ID, index=True)
    score: Mapped[float] = mapped_column(Float)
    merged_at: Mapped[datetime]


class ExpiredObjectRow(Base):
    """Raw objects deleted by retention: re-extraction and backfill skip their pages."""

    __tablename__ = "expired_objects"
    object_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    expired_at: Mapped[datetime]


class HostSlotRow(Base):
    """Cross-process politeness: the earliest time (epoch seconds) the next request to a host may start."""

    __tablename__ = "host_slots"
    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


class EntityRow(Base):
    __tablename__ = "entities"
    entity_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)


class StoryEntityRow(Base):
    __tablename__ = "story_entities"
    story_id: Mapped[str] = mapped_column(ID, primary_key=True)
    entity_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    salience: Mapped[float] = mapped_column(Float)
    article_count: Mapped[int] = mapped_column(Integer)


class StoryPerspectiveRow(Base):
    """What the papers say: one row per (story, outlet), built from that outlet's own sentences."""

    __tablename__ = "story_perspectives"
    story_id: Mapped[str] = mapped_column(ID, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    source_name: Mapped[str] = mapped_column(String(256))
    article_ids: Mapped[list[Any]]
    sentences: Mapped[list[Any]]


class StoryLinkRow(Base):
    __tablename__ = "story_links"
    story_id: Mapped[str] = mapped_column(ID, primary_key=True)
    other_id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)


class TermFrequencyRow(Base):
    """Document frequencies of terms/entities over all clustered articles (key '' holds the article count)."""

    __tablename__ = "term_df"
    term: Mapped[str] = mapped_column(String(256), primary_key=True)
    df: Mapped[int] = mapped_column(Integer)


class DeadLetterRow(Base):
    """Items a stage could not process, with the payload to replay them after a fix (embedded-mode DLQ)."""

    __tablename__ = "dead_letters"
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[str] = mapped_column(String(512), primary_key=True)
    error_kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=1)
