"""a warehouse an analyst can read: foreign keys, CHECKed enumerations, comments, jsonb, time indexes

Create Date: 2026-12-07 10:00:00

Upgrades a warehouse with its data in place. Before a constraint is added, rows that would break it are handled:

- Rows of the derived child tables (article_bands, article_passages, story_articles, story_entities,
  story_perspectives, story_links, story_merges) whose parent row does not exist are deleted. The pipeline
  rewrites them: an article whose membership goes is "stored without a story", and the next embedded run
  clusters it again (ADR 0013); sections (entities, perspectives, links) are rewritten with the next version.
- A dangling articles.duplicate_of / revision_of or stories.merged_into is set to NULL (the row it named is not
  in the warehouse; the article keeps its verdict, the story becomes live again).
- An enumeration value outside the CHECK's list stops the migration with the values and their counts: it was
  written by no released version, so an operator decides what it means; nothing is rewritten silently.
  entities.kind 'proper_noun' (every entity before entity recognition) is a listed value, not an error.

Each repair is logged with its count. The downgrade drops what this adds; the repaired rows stay repaired.

Not enforced, on purpose (docs/warehouse.md):
- articles.source_id, story_perspectives.source_id -> sources: the sources table is the registry as a crawl
  last loaded it, not every outlet stored (`storyline reextract --into` rebuilds into a warehouse no crawl
  registered a source in; the extract stage stores whatever outlet a fetched event names).
- fetches.source_id -> sources: runs register their sources before crawling, but the crawl service that writes
  the log does not (Crawler.crawl takes the sources it is given): the guarantee would be the caller's.
- dead_letters.subject: an id or URL whose row, by definition, may never have been written.
- story_perspectives.article_ids (a JSON array): no SQL foreign key can reach into it.
- fetches.object_key / articles.raw_object_key -> expired_objects: that table lists keys that are gone.

SQLite: the engine turns foreign keys on for every connection (adapters/warehouse/engine.py), so SQLite enforces
them too; migrations run with them off and check them all before committing (migrations/env.py).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"

log = logging.getLogger("alembic.runtime.migration")

# (table, column, parent table, parent column): every foreign key this revision adds, named fk_<table>_<column>.
# The repairs never delete a parent row (an article, story or entity), so one repair cannot undo another.
FOREIGN_KEYS = (
    ("articles", "duplicate_of", "articles", "article_id"),
    ("articles", "revision_of", "articles", "article_id"),
    ("stories", "merged_into", "stories", "story_id"),
    ("article_bands", "article_id", "articles", "article_id"),
    ("article_passages", "article_id", "articles", "article_id"),
    ("story_articles", "article_id", "articles", "article_id"),
    ("story_articles", "story_id", "stories", "story_id"),
    ("story_entities", "story_id", "stories", "story_id"),
    ("story_entities", "entity_id", "entities", "entity_id"),
    ("story_perspectives", "story_id", "stories", "story_id"),
    ("story_links", "story_id", "stories", "story_id"),
    ("story_links", "other_id", "stories", "story_id"),
    ("story_merges", "loser", "stories", "story_id"),
    ("story_merges", "survivor", "stories", "story_id"),
)
# A dangling value in these nullable pointers is set to NULL; in any other column its row is deleted.
NULLED = {("articles", "duplicate_of"), ("articles", "revision_of"), ("stories", "merged_into")}

# The enumerations as of this revision (frozen here: the models' lists may grow in a later revision).
CHECKS = (
    ("fetches", "ck_fetches_kind", "kind", ("feed", "sitemap", "page", "robots")),
    (
        "fetches",
        "ck_fetches_outcome",
        "outcome",
        ("fetched", "not-modified", "disallowed", "rate-limited", "failed", "skipped"),
    ),
    ("articles", "ck_articles_verdict", "verdict", ("new", "duplicate", "revision")),
    (
        "entities",
        "ck_entities_kind",
        "kind",
        ("event", "group", "law", "organisation", "person", "place", "product", "work", "proper_noun"),
    ),
    ("story_links", "ck_story_links_kind", "kind", ("background", "related")),
    ("dead_letters", "ck_dead_letters_stage", "stage", ("extract", "dedup", "cluster", "enrich")),
)

# Indexes for the time queries analysts run (the fetch log by time, articles by arrival).
INDEXES = (("fetches", "ix_fetches_at", "at"), ("articles", "ix_articles_fetched_at", "fetched_at"))

# jsonb on PostgreSQL. Not stories.state: its vectors are summed in stored key order, which jsonb would change.
JSONB_COLUMNS = (
    ("sources", "feeds", False),
    ("fetches", "event", True),
    ("articles", "authors", False),
    ("articles", "entities", True),
    ("stories", "sections", True),
    ("story_perspectives", "article_ids", False),
    ("story_perspectives", "sentences", False),
)

# Table and column comments (PostgreSQL keeps them: `\d+ stories`); SQLite has nowhere to put them.
COMMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "article_bands": (
        "LSH band keys of each article's MinHash signature (near-duplicate lookup).",
        {"band_key": "Band number and band hash.", "article_id": "The article."},
    ),
    "article_passages": (
        "Hashed 8-word runs of each clustered article's lead (shared source passages).",
        {"article_id": "The article.", "passage": "Hash of an 8-word run."},
    ),
    "articles": (
        "One row per stored article (a page's extracted text; a revised page is a new row that points back "
        "with revision_of). Never deleted.",
        {
            "article_id": "blake2b of the canonical URL (of URL#rev=hash for a revision).",
            "canonical_url": "The URL with tracking parameters removed.",
            "url": "The URL as fetched.",
            "source_id": "The outlet's source id.",
            "source_name": "The outlet's name when the article was stored.",
            "title": "Headline (the page's, else the feed's).",
            "text": "Extracted body text.",
            "authors": "JSON array of author names found on the page.",
            "language": "Detected language code.",
            "published_at": "Event time: the page's date, else the feed's, else fetched_at (UTC).",
            "fetched_at": "When the page was fetched (UTC).",
            "content_hash": "xxh3 of the normalised text.",
            "raw_object_key": "Raw archive key of the page's HTML.",
            "paywalled": "The page carried paywall markers.",
            "published_at_note": "Why published_at is not the date the page or feed claimed, when it is not.",
            "verdict": "Dedup verdict: new, duplicate or revision; NULL until dedup has decided.",
            "duplicate_of": "For a duplicate: the earliest copy (the root of its copies).",
            "revision_of": "For a revision: the earlier article of the same URL.",
            "dedup_similarity": "Jaccard similarity to the copy the verdict names (0 for new).",
            "entities": "JSON: entity mentions and descriptions recognised in the lead at extraction.",
        },
    ),
    "dead_letters": (
        "Items a stage could not process, with the payload to replay them (`storyline replay`).",
        {
            "stage": "extract, dedup, cluster or enrich.",
            "subject": "The article id or URL.",
            "error_kind": "Error class (no_text, not_html, ...).",
            "message": "The error message (truncated).",
            "payload": "The input to replay (an event as JSON).",
            "at": "When it was last dead-lettered (UTC).",
            "attempts": "Times it failed.",
        },
    ),
    "entities": (
        "People, organisations, places... named in stories: one row per (kind, name).",
        {
            "entity_id": "blake2b of kind and case-folded name.",
            "name": "The name, as first written.",
            "kind": "person, organisation, place, group, event, product, work, law; proper_noun in old warehouses.",
            "description": "First description found in the coverage.",
        },
    ),
    "expired_objects": (
        "Raw archive objects deleted by retention (re-extraction skips their pages).",
        {"object_key": "Raw archive key.", "expired_at": "When retention deleted it (UTC)."},
    ),
    "fetches": (
        "The fetch log: one row per request decided (made, skipped or refused), with its outcome and reason. "
        "Retention deletes rows older than its horizon.",
        {
            "id": "Row number, in insertion order.",
            "url": "The URL requested (or skipped).",
            "source_id": "The source the URL was crawled for.",
            "kind": "What was fetched: feed, sitemap, page or robots.",
            "outcome": "fetched, not-modified, disallowed (robots.txt), rate-limited, failed or skipped (already "
            "stored).",
            "reason": "Why: the error, the robots rule, the item count.",
            "http_status": "HTTP status of the response, if one came.",
            "bytes": "Size of the body received, in bytes.",
            "object_key": "Raw archive key of a fetched page's body.",
            "etag": "ETag validator, for the next conditional GET.",
            "last_modified": "Last-Modified validator, as sent.",
            "at": "When the decision was made (UTC).",
            "event": "A fetched page's article.fetched event (JSON), to resume a run that died before storing it.",
        },
    ),
    "host_slots": (
        "Politeness shared by crawl processes: one row per host.",
        {"host": "Host name.", "next_at": "Earliest start of the next request (epoch seconds)."},
    ),
    "sources": (
        "The outlets of sources.yaml, as last loaded by a run; one row per source id.",
        {
            "id": "Source id, as in sources.yaml.",
            "name": "The outlet's name, as shown to readers.",
            "home": "The outlet's home page URL.",
            "feeds": "JSON array of the feed URLs crawled for this source.",
            "language": "Declared language (BCP 47), if any.",
            "country": "Declared country (ISO 3166), if any.",
            "enabled": "False: kept for history, not crawled.",
        },
    ),
    "stories": (
        "One row per story ever opened. A story merged into another keeps its row, with merged_into naming "
        "the survivor; read merged_into IS NULL for the live stories. Never deleted.",
        {
            "story_id": "st_ + a hash of the article that opened it; never re-keyed.",
            "headline": "The story's headline, once sections are built.",
            "sections": "JSON: the story page's sections, every sentence with its article and span.",
            "state": "JSON: clustering state (summed term, entity and title vectors; article count).",
            "first_seen": "Earliest published_at of its articles (UTC).",
            "last_seen": "Latest published_at of its articles (UTC).",
            "article_count": "Articles in the story and the stories merged into it.",
            "outlet_count": "Outlets in the sections (0 until sections are built).",
            "merged_into": "The story this one was merged into (always the final survivor); NULL if live.",
            "version": "Digest of the sections last written.",
            "sections_pending": "Membership changed since the sections were last built.",
        },
    ),
    "story_articles": (
        "Membership: the story each clustered article was assigned to (the story it opened or joined; "
        "a merge leaves it under the loser, whose merged_into names the survivor).",
        {
            "article_id": "The article (an article belongs to one story).",
            "story_id": "The story it was assigned to.",
            "score": "Similarity to the story when assigned (0 for a seed).",
            "is_seed": "The article opened the story.",
        },
    ),
    "story_entities": (
        "A story's entity cards: one row per (story, entity), rewritten with the sections.",
        {
            "story_id": "The story.",
            "entity_id": "The entity.",
            "salience": "How central the entity is to the story, in [0, 1].",
            "article_count": "The story's articles that name it.",
        },
    ),
    "story_links": (
        "Related stories of a story (How we got here, Go deeper), rewritten with the sections.",
        {
            "story_id": "The story.",
            "other_id": "The related story.",
            "kind": "background (the other began earlier) or related.",
            "score": "Cosine similarity of the two stories.",
        },
    ),
    "story_merges": (
        "The merge log: one row per story merged into another.",
        {
            "loser": "The story merged away (a story merges once).",
            "survivor": "The story it was merged into.",
            "score": "The merge score.",
            "merged_at": "When the merge was recorded (UTC).",
        },
    ),
    "story_perspectives": (
        "What the papers say: one row per (story, outlet), rewritten with the sections.",
        {
            "story_id": "The story.",
            "source_id": "The outlet's source id.",
            "source_name": "The outlet's name.",
            "article_ids": "JSON array of the outlet's article ids in the story.",
            "sentences": "JSON array of cited sentences (text, article, span).",
        },
    ),
    "term_df": (
        "Document frequencies over clustered articles (the row with term '' counts them).",
        {"term": "A term, or e:<entity>; '' = total.", "df": "Clustered articles containing it."},
    ),
}


def upgrade() -> None:
    bind = op.get_bind()
    _refuse_unknown_values(bind)
    _repair_dangling(bind)
    if bind.dialect.name == "postgresql":
        for table, column, parent, key in FOREIGN_KEYS:
            op.create_foreign_key(f"fk_{table}_{column}", table, parent, [column], [key])
        for table, name, column, values in CHECKS:
            op.create_check_constraint(name, table, _one_of(column, values))
        for table, name, column in INDEXES:
            op.create_index(name, table, [column])
        for table, column, nullable in JSONB_COLUMNS:
            op.alter_column(
                table,
                column,
                type_=postgresql.JSONB(),
                existing_type=sa.JSON(),
                existing_nullable=nullable,
                postgresql_using=f"{column}::jsonb",
            )
        for table, (comment, columns) in COMMENTS.items():
            op.create_table_comment(table, comment)
            for column, text in columns.items():
                op.alter_column(table, column, comment=text)
        return
    # SQLite adds a constraint only by rebuilding the table (batch mode): one rebuild per table.
    for table in _tables():
        with op.batch_alter_table(table) as batch:
            for child, column, parent, key in FOREIGN_KEYS:
                if child == table:
                    batch.create_foreign_key(f"fk_{table}_{column}", parent, [column], [key])
            for checked, name, column, values in CHECKS:
                if checked == table:
                    batch.create_check_constraint(name, _one_of(column, values))
            for indexed, name, column in INDEXES:
                if indexed == table:
                    batch.create_index(name, [column])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, (comment, columns) in COMMENTS.items():
            for column, text in columns.items():
                op.alter_column(table, column, comment=None, existing_comment=text)
            op.drop_table_comment(table, existing_comment=comment)
        for table, column, nullable in JSONB_COLUMNS:
            op.alter_column(
                table,
                column,
                type_=sa.JSON(),
                existing_type=postgresql.JSONB(),
                existing_nullable=nullable,
                postgresql_using=f"{column}::json",
            )
        for table, name, _column in INDEXES:
            op.drop_index(name, table_name=table)
        for table, name, _column, _values in CHECKS:
            op.drop_constraint(name, table, type_="check")
        for table, column, _parent, _key in FOREIGN_KEYS:
            op.drop_constraint(f"fk_{table}_{column}", table, type_="foreignkey")
        return
    for table in _tables():
        with op.batch_alter_table(table) as batch:
            for indexed, name, _column in INDEXES:
                if indexed == table:
                    batch.drop_index(name)
            for checked, name, _column, _values in CHECKS:
                if checked == table:
                    batch.drop_constraint(name, type_="check")
            for child, column, _parent, _key in FOREIGN_KEYS:
                if child == table:
                    batch.drop_constraint(f"fk_{table}_{column}", type_="foreignkey")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    """The CHECK's condition, written as the models write it (so both read the same in the catalog)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({listed})"


def _tables() -> list[str]:
    """Every table this revision constrains or indexes, each once, in a stable order."""
    named = [t for t, *_ in FOREIGN_KEYS] + [t for t, *_ in CHECKS] + [t for t, *_ in INDEXES]
    return list(dict.fromkeys(named))


def _refuse_unknown_values(bind: sa.Connection) -> None:
    """Stop, naming them, if any enumeration holds a value its CHECK would refuse (see the module docstring)."""
    found: list[str] = []
    for table, _name, column, values in CHECKS:
        t = sa.table(table, sa.column(column))
        rows = bind.execute(
            sa.select(t.c[column], sa.func.count()).where(t.c[column].not_in(values)).group_by(t.c[column])
        ).all()
        found.extend(f"{table}.{column} = {value!r}: {n} rows" for value, n in rows)
    if found:
        raise RuntimeError(
            "values no version of Storyline writes; correct or delete these rows, then upgrade again: "
            + "; ".join(found)
        )


def _repair_dangling(bind: sa.Connection) -> None:
    """Rows whose reference names a missing row: derived child rows deleted, nullable pointers set to NULL."""
    for table, column, parent, key in FOREIGN_KEYS:
        child = sa.table(table, sa.column(column))
        target = sa.table(parent, sa.column(key)).alias("target")  # aliased: a table may reference itself
        dangling = sa.and_(child.c[column].is_not(None), ~sa.exists().where(target.c[key] == child.c[column]))
        if (table, column) in NULLED:
            done = bind.execute(sa.update(child).where(dangling).values({column: None}))
            action = "set to NULL"
        else:
            done = bind.execute(sa.delete(child).where(dangling))
            action = "rows deleted"
        if done.rowcount:
            log.warning("%s.%s named a missing %s row: %d %s", table, column, parent, done.rowcount, action)
