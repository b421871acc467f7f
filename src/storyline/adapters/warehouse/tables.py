"""Warehouse schema: SQLAlchemy 2 typed models (Alembic migrations are generated from these)."""

# Written for analysts too (docs/warehouse.md): each table and column carries a comment (psql's `\d+` shows it),
# the enumerations are CHECK constraints, and the references the pipeline guarantees are foreign keys.

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from storyline.domain.dedup import Verdict
from storyline.domain.entities import KINDS
from storyline.domain.records import FetchOutcome

ID = String(64)
# jsonb on PostgreSQL: analysts can index and query into it (`->`, `@>`), and it is stored parsed. It reorders an
# object's keys, which is harmless for records read by key; stories.state is the exception (see StoryRow).
JSON_DOC = JSON().with_variant(JSONB(), "postgresql")

# The enumerations, as the code writes them. Migration 0007 holds a frozen copy; a test compares the two on a
# migrated warehouse, so a value added here without a migration fails there, not in production.
FETCH_KINDS = ("feed", "sitemap", "page", "robots")
FETCH_OUTCOMES = tuple(o.value for o in FetchOutcome)
VERDICTS = tuple(v.value for v in Verdict)
STAGES = ("extract", "dedup", "cluster", "enrich")
# "proper_noun": the kind of every entity before entity recognition (1f86544); old warehouses still hold some.
ENTITY_KINDS = (*sorted(set(KINDS.values())), "proper_noun")
LINK_KINDS = ("background", "related")


def one_of(column: str, values: Iterable[str], name: str) -> CheckConstraint:
    """CHECK (column IN (...)): the enumeration spelled out in the DDL an analyst reads."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


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
    # Foreign keys named by rule (fk_<table>_<column>), so migrations can drop them on every backend; indexes keep
    # SQLAlchemy's default rule, which named the existing ones.
    metadata = MetaData(naming_convention={"ix": "ix_%(column_0_label)s", "fk": "fk_%(table_name)s_%(column_0_name)s"})
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON_DOC,
        list[Any]: JSON_DOC,
    }


# Foreign keys (docs/warehouse.md lists each, and the references left unenforced with the reason). Parents are
# never deleted (retention deletes only fetch rows, which nothing references), so no ON DELETE action is needed.
def _article_fk() -> ForeignKey:
    return ForeignKey("articles.article_id")


def _story_fk() -> ForeignKey:
    return ForeignKey("stories.story_id")


class SourceRow(Base):
    __tablename__ = "sources"
    __table_args__ = ({"comment": "The outlets of sources.yaml, as last loaded by a run; one row per source id."},)
    id: Mapped[str] = mapped_column(String(128), primary_key=True, comment="Source id, as in sources.yaml.")
    name: Mapped[str] = mapped_column(String(256), comment="The outlet's name, as shown to readers.")
    home: Mapped[str | None] = mapped_column(Text, comment="The outlet's home page URL.")
    feeds: Mapped[list[Any]] = mapped_column(comment="JSON array of the feed URLs crawled for this source.")
    language: Mapped[str | None] = mapped_column(String(16), comment="Declared language (BCP 47), if any.")
    country: Mapped[str | None] = mapped_column(String(8), comment="Declared country (ISO 3166), if any.")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, comment="False: kept for history, not crawled.")


class FetchRow(Base):
    """One row per fetch decision (fetched / not-modified / disallowed / failed), with its reason."""

    __tablename__ = "fetches"
    __table_args__ = (
        one_of("kind", FETCH_KINDS, "ck_fetches_kind"),
        one_of("outcome", FETCH_OUTCOMES, "ck_fetches_outcome"),
        {
            "comment": "The fetch log: one row per request decided (made, skipped or refused), with its outcome "
            "and reason. Retention deletes rows older than its horizon."
        },
    )
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
        comment="Row number, in insertion order.",
    )
    url: Mapped[str] = mapped_column(Text, index=True, comment="The URL requested (or skipped).")
    # Not a foreign key to sources: the crawl service logs without registering sources (docs/warehouse.md).
    source_id: Mapped[str] = mapped_column(String(128), index=True, comment="The source the URL was crawled for.")
    kind: Mapped[str] = mapped_column(String(16), comment="What was fetched: feed, sitemap, page or robots.")
    outcome: Mapped[str] = mapped_column(
        String(16),
        index=True,
        comment="fetched, not-modified, disallowed (robots.txt), rate-limited, failed or skipped (already stored).",
    )
    reason: Mapped[str] = mapped_column(Text, comment="Why: the error, the robots rule, the item count.")
    http_status: Mapped[int | None] = mapped_column(comment="HTTP status of the response, if one came.")
    bytes: Mapped[int | None] = mapped_column(BigInteger, comment="Size of the body received, in bytes.")
    object_key: Mapped[str | None] = mapped_column(String(128), comment="Raw archive key of a fetched page's body.")
    etag: Mapped[str | None] = mapped_column(Text, comment="ETag validator, for the next conditional GET.")
    last_modified: Mapped[str | None] = mapped_column(String(64), comment="Last-Modified validator, as sent.")
    at: Mapped[datetime] = mapped_column(index=True, comment="When the decision was made (UTC).")
    # A fetched page's event (ArticleFetched as JSON): what an embedded run resumes from after a crash.
    event: Mapped[dict[str, Any] | None] = mapped_column(
        comment="A fetched page's article.fetched event (JSON), to resume a run that died before storing it."
    )


class ArticleRow(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_canonical_url", "canonical_url"),
        one_of("verdict", VERDICTS, "ck_articles_verdict"),
        {
            "comment": "One row per stored article (a page's extracted text; a revised page is a new row that "
            "points back with revision_of). Never deleted."
        },
    )
    article_id: Mapped[str] = mapped_column(
        ID, primary_key=True, comment="blake2b of the canonical URL (of URL#rev=hash for a revision)."
    )
    canonical_url: Mapped[str] = mapped_column(Text, comment="The URL with tracking parameters removed.")
    url: Mapped[str] = mapped_column(Text, comment="The URL as fetched.")
    # Not a foreign key to sources: see docs/warehouse.md.
    source_id: Mapped[str] = mapped_column(String(128), index=True, comment="The outlet's source id.")
    source_name: Mapped[str] = mapped_column(String(256), comment="The outlet's name when the article was stored.")
    title: Mapped[str] = mapped_column(Text, comment="Headline (the page's, else the feed's).")
    text: Mapped[str] = mapped_column(Text, comment="Extracted body text.")
    authors: Mapped[list[Any]] = mapped_column(comment="JSON array of author names found on the page.")
    language: Mapped[str | None] = mapped_column(String(16), comment="Detected language code.")
    published_at: Mapped[datetime] = mapped_column(
        index=True, comment="Event time: the page's date, else the feed's, else fetched_at (UTC)."
    )
    fetched_at: Mapped[datetime] = mapped_column(index=True, comment="When the page was fetched (UTC).")
    content_hash: Mapped[str] = mapped_column(String(32), index=True, comment="xxh3 of the normalised text.")
    raw_object_key: Mapped[str] = mapped_column(String(128), comment="Raw archive key of the page's HTML.")
    paywalled: Mapped[bool] = mapped_column(Boolean, default=False, comment="The page carried paywall markers.")
    # Why published_at is not the date the page or feed claimed (an implausible one was passed over).
    published_at_note: Mapped[str | None] = mapped_column(
        Text, comment="Why published_at is not the date the page or feed claimed, when it is not."
    )
    verdict: Mapped[str | None] = mapped_column(
        String(16), comment="Dedup verdict: new, duplicate or revision; NULL until dedup has decided."
    )
    duplicate_of: Mapped[str | None] = mapped_column(
        ID, _article_fk(), index=True, comment="For a duplicate: the earliest copy (the root of its copies)."
    )
    revision_of: Mapped[str | None] = mapped_column(
        ID, _article_fk(), comment="For a revision: the earlier article of the same URL."
    )
    dedup_similarity: Mapped[float | None] = mapped_column(
        Float, comment="Jaccard similarity to the copy the verdict names (0 for new)."
    )
    # Named entities of the lead, recognised once at extraction (domain/entities.mentions_to_json).
    entities: Mapped[dict[str, Any] | None] = mapped_column(
        comment="JSON: entity mentions and descriptions recognised in the lead at extraction."
    )


class ArticleBandRow(Base):
    """LSH band keys of each article's MinHash signature: near-duplicate lookup by equality in SQL."""

    __tablename__ = "article_bands"
    __table_args__ = ({"comment": "LSH band keys of each article's MinHash signature (near-duplicate lookup)."},)
    band_key: Mapped[str] = mapped_column(String(24), primary_key=True, comment="Band number and band hash.")
    article_id: Mapped[str] = mapped_column(ID, _article_fk(), primary_key=True, comment="The article.")


class StoryRow(Base):
    __tablename__ = "stories"
    __table_args__ = (
        {
            "comment": "One row per story ever opened. A story merged into another keeps its row, with merged_into "
            "naming the survivor; read merged_into IS NULL for the live stories. Never deleted."
        },
    )
    story_id: Mapped[str] = mapped_column(
        ID, primary_key=True, comment="st_ + a hash of the article that opened it; never re-keyed."
    )
    headline: Mapped[str | None] = mapped_column(Text, comment="The story's headline, once sections are built.")
    sections: Mapped[dict[str, Any] | None] = mapped_column(
        comment="JSON: the story page's sections, every sentence with its article and span."
    )
    # Plain json on PostgreSQL, not jsonb: the clustering vectors are summed in their stored key order, and a story
    # read back must score exactly as it did in memory (a resumed run gives the stories an uninterrupted one does).
    state: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="JSON: clustering state (summed term, entity and title vectors; article count)."
    )
    first_seen: Mapped[datetime] = mapped_column(comment="Earliest published_at of its articles (UTC).")
    last_seen: Mapped[datetime] = mapped_column(index=True, comment="Latest published_at of its articles (UTC).")
    article_count: Mapped[int] = mapped_column(
        Integer, default=0, comment="Articles in the story and the stories merged into it."
    )
    outlet_count: Mapped[int] = mapped_column(
        Integer, default=0, comment="Outlets in the sections (0 until sections are built)."
    )
    # Indexed: a family's members are the stories merged into its root (`queries.in_families`).
    merged_into: Mapped[str | None] = mapped_column(
        ID,
        _story_fk(),
        index=True,
        comment="The story this one was merged into (always the final survivor); NULL if live.",
    )
    version: Mapped[str | None] = mapped_column(String(32), comment="Digest of the sections last written.")
    # Membership changed since the sections were last built (set with the membership, cleared with the sections).
    sections_pending: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        index=True,
        comment="Membership changed since the sections were last built.",
    )


class StoryArticleRow(Base):
    __tablename__ = "story_articles"
    __table_args__ = (
        {
            "comment": "Membership: the story each clustered article was assigned to (the story it opened or joined; "
            "a merge leaves it under the loser, whose merged_into names the survivor)."
        },
    )
    article_id: Mapped[str] = mapped_column(
        ID, _article_fk(), primary_key=True, comment="The article (an article belongs to one story)."
    )
    story_id: Mapped[str] = mapped_column(ID, _story_fk(), index=True, comment="The story it was assigned to.")
    score: Mapped[float] = mapped_column(Float, comment="Similarity to the story when assigned (0 for a seed).")
    is_seed: Mapped[bool] = mapped_column(Boolean, default=False, comment="The article opened the story.")


class ArticlePassageRow(Base):
    """Each clustered article's source passages (hashed 8-word runs): shared ones link stories that rewrote one
    source (ADR 0015). Written with the article's membership; looked up by passage."""

    __tablename__ = "article_passages"
    __table_args__ = ({"comment": "Hashed 8-word runs of each clustered article's lead (shared source passages)."},)
    article_id: Mapped[str] = mapped_column(ID, _article_fk(), primary_key=True, comment="The article.")
    passage: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, index=True, comment="Hash of an 8-word run."
    )


class StoryMergeRow(Base):
    """The merge log: which story the consolidation pass folded into which, when and on what score."""

    __tablename__ = "story_merges"
    __table_args__ = ({"comment": "The merge log: one row per story merged into another."},)
    loser: Mapped[str] = mapped_column(
        ID, _story_fk(), primary_key=True, comment="The story merged away (a story merges once)."
    )
    survivor: Mapped[str] = mapped_column(ID, _story_fk(), index=True, comment="The story it was merged into.")
    score: Mapped[float] = mapped_column(Float, comment="The merge score.")
    merged_at: Mapped[datetime] = mapped_column(comment="When the merge was recorded (UTC).")


class ExpiredObjectRow(Base):
    """Raw objects deleted by retention: re-extraction and backfill skip their pages."""

    __tablename__ = "expired_objects"
    __table_args__ = ({"comment": "Raw archive objects deleted by retention (re-extraction skips their pages)."},)
    object_key: Mapped[str] = mapped_column(String(128), primary_key=True, comment="Raw archive key.")
    expired_at: Mapped[datetime] = mapped_column(comment="When retention deleted it (UTC).")


class HostSlotRow(Base):
    """Cross-process politeness: the earliest time (epoch seconds) the next request to a host may start."""

    __tablename__ = "host_slots"
    __table_args__ = ({"comment": "Politeness shared by crawl processes: one row per host."},)
    host: Mapped[str] = mapped_column(String(255), primary_key=True, comment="Host name.")
    next_at: Mapped[float] = mapped_column(Float, comment="Earliest start of the next request (epoch seconds).")


class EntityRow(Base):
    __tablename__ = "entities"
    __table_args__ = (
        one_of("kind", ENTITY_KINDS, "ck_entities_kind"),
        {"comment": "People, organisations, places... named in stories: one row per (kind, name)."},
    )
    entity_id: Mapped[str] = mapped_column(ID, primary_key=True, comment="blake2b of kind and case-folded name.")
    name: Mapped[str] = mapped_column(Text, comment="The name, as first written.")
    kind: Mapped[str] = mapped_column(
        String(32),
        comment="person, organisation, place, group, event, product, work, law; proper_noun in old warehouses.",
    )
    description: Mapped[str | None] = mapped_column(Text, comment="First description found in the coverage.")


class StoryEntityRow(Base):
    __tablename__ = "story_entities"
    __table_args__ = ({"comment": "A story's entity cards: one row per (story, entity), rewritten with the sections."},)
    story_id: Mapped[str] = mapped_column(ID, _story_fk(), primary_key=True, comment="The story.")
    entity_id: Mapped[str] = mapped_column(
        ID, ForeignKey("entities.entity_id"), primary_key=True, index=True, comment="The entity."
    )
    salience: Mapped[float] = mapped_column(Float, comment="How central the entity is to the story, in [0, 1].")
    article_count: Mapped[int] = mapped_column(Integer, comment="The story's articles that name it.")


class StoryPerspectiveRow(Base):
    """What the papers say: one row per (story, outlet), built from that outlet's own sentences."""

    __tablename__ = "story_perspectives"
    __table_args__ = ({"comment": "What the papers say: one row per (story, outlet), rewritten with the sections."},)
    story_id: Mapped[str] = mapped_column(ID, _story_fk(), primary_key=True, comment="The story.")
    # Not a foreign key to sources: an article's source_id is not one (docs/warehouse.md).
    source_id: Mapped[str] = mapped_column(String(128), primary_key=True, comment="The outlet's source id.")
    source_name: Mapped[str] = mapped_column(String(256), comment="The outlet's name.")
    article_ids: Mapped[list[Any]] = mapped_column(comment="JSON array of the outlet's article ids in the story.")
    sentences: Mapped[list[Any]] = mapped_column(comment="JSON array of cited sentences (text, article, span).")


class StoryLinkRow(Base):
    __tablename__ = "story_links"
    __table_args__ = (
        one_of("kind", LINK_KINDS, "ck_story_links_kind"),
        {"comment": "Related stories of a story (How we got here, Go deeper), rewritten with the sections."},
    )
    story_id: Mapped[str] = mapped_column(ID, _story_fk(), primary_key=True, comment="The story.")
    other_id: Mapped[str] = mapped_column(ID, _story_fk(), primary_key=True, comment="The related story.")
    kind: Mapped[str] = mapped_column(String(16), comment="background (the other began earlier) or related.")
    score: Mapped[float] = mapped_column(Float, comment="Cosine similarity of the two stories.")


class TermFrequencyRow(Base):
    """Document frequencies of terms/entities over all clustered articles (key '' holds the article count)."""

    __tablename__ = "term_df"
    __table_args__ = ({"comment": "Document frequencies over clustered articles (the row with term '' counts them)."},)
    term: Mapped[str] = mapped_column(String(256), primary_key=True, comment="A term, or e:<entity>; '' = total.")
    df: Mapped[int] = mapped_column(Integer, comment="Clustered articles containing it.")


class DeadLetterRow(Base):
    """Items a stage could not process, with the payload to replay them after a fix (embedded-mode DLQ)."""

    __tablename__ = "dead_letters"
    __table_args__ = (
        one_of("stage", STAGES, "ck_dead_letters_stage"),
        {"comment": "Items a stage could not process, with the payload to replay them (`storyline replay`)."},
    )
    stage: Mapped[str] = mapped_column(String(32), primary_key=True, comment="extract, dedup, cluster or enrich.")
    # Not a foreign key: the subject is a URL or an id whose row, by definition, may never have been written.
    subject: Mapped[str] = mapped_column(String(512), primary_key=True, comment="The article id or URL.")
    error_kind: Mapped[str] = mapped_column(String(64), comment="Error class (no_text, not_html, ...).")
    message: Mapped[str] = mapped_column(Text, comment="The error message (truncated).")
    payload: Mapped[str] = mapped_column(Text, comment="The input to replay (an event as JSON).")
    at: Mapped[datetime] = mapped_column(comment="When it was last dead-lettered (UTC).")
    attempts: Mapped[int] = mapped_column(Integer, default=1, comment="Times it failed.")
