"""The articles repository: stored articles, and what dedup decides on and decided (the decision itself is the
pure `domain.dedup_batch.decide_batch`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import bindparam, select, update

from storyline.adapters.warehouse.engine import Repository, Tx, in_lists
from storyline.adapters.warehouse.tables import ArticleBandRow, ArticleRow
from storyline.domain.dedup_batch import DedupItem, Held, Ruling, StoredArticle
from storyline.domain.entities import ArticleMentions, mentions_to_json
from storyline.events import ArticleBody

# What dedup reads of a stored article: the columns named as StoredArticle's fields.
_STORED = [getattr(ArticleRow, f.name) for f in fields(StoredArticle)]


class SqlArticles(Repository):
    def known_urls(self, canonical_urls: Iterable[str]) -> set[str]:
        with self.db.transaction() as tx:
            return tx.present(ArticleRow.canonical_url, canonical_urls)

    def article_hashes(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The stored content hash of each of these articles that exists, in IN-lists of bounded size."""
        found: dict[str, str] = {}
        with self.db.transaction() as tx:
            for chunk in in_lists(article_ids):
                rows = tx.session.execute(
                    select(ArticleRow.article_id, ArticleRow.content_hash).where(ArticleRow.article_id.in_(chunk))
                )
                found.update(rows.all())
        return found

    def upsert_articles(self, items: Sequence[tuple[ArticleBody, ArticleMentions | None]]) -> None:
        """Store articles in one transaction (with their entities where given). Written in order: for an id
        given twice, the later row wins, as it would one call at a time."""
        # Rows with and without entities update different columns (a row re-stored without entities keeps the
        # ones it has): one executemany per run of rows of one shape, in the given order.
        runs: list[list[dict[str, Any]]] = []
        for article, entities in items:
            row = article.model_dump()
            if entities is not None:
                row["entities"] = mentions_to_json(entities)
            if not runs or runs[-1][0].keys() != row.keys():
                runs.append([])
            runs[-1].append(row)
        if not runs:
            return
        with self.db.transaction() as tx:
            for rows in runs:
                tx.upsert(ArticleRow, rows, ["article_id"], [c for c in rows[0] if c != "article_id"])

    def dedup_candidates(self, items: Sequence[DedupItem]) -> Held:
        """What a batch's verdicts are decided on, in a query per kind of key whatever the batch's size (embedded
        runs batch 64 articles, ADR 0010): the stored articles sharing a content hash, a canonical URL or an LSH
        band with an item, and the items' own rows. Takes the dedup lock until the unit of work ends, so that two
        workers never both call two copies of one text new (ADR 0004): hence only inside `unit_of_work()`, with the
        verdicts stored in the same unit."""
        tx = self.db.current
        if tx is None:
            raise RuntimeError("dedup_candidates outside a unit of work: the lock would end before the verdicts")
        tx.lock("dedup")
        by_hash = _ids_by(tx, ArticleRow.content_hash, ArticleRow.article_id, (it.content_hash for it in items))
        by_url = _ids_by(tx, ArticleRow.canonical_url, ArticleRow.article_id, (it.canonical_url for it in items))
        by_band = _ids_by(tx, ArticleBandRow.band_key, ArticleBandRow.article_id, (b for it in items for b in it.bands))
        wanted = {aid for found in (by_hash, by_url, by_band) for ids in found.values() for aid in ids}
        articles: dict[str, StoredArticle] = {}
        for chunk in in_lists(wanted | {it.article_id for it in items}):
            for row in tx.session.execute(select(*_STORED).where(ArticleRow.article_id.in_(chunk))):
                articles[row.article_id] = StoredArticle(**row._asdict())
        return Held(by_hash, by_url, by_band, articles)

    def store_verdicts(self, rulings: Sequence[Ruling]) -> None:
        """Write a batch's verdicts and LSH bands, in the order decided; a redelivered article's verdict stays as
        stored. An adoption rewrites the roots it took over after the verdicts before it are written, as it would
        one article at a time."""
        pending: list[dict[str, Any]] = []
        bands: list[dict[str, str]] = []
        with self.db.transaction() as tx:
            for ruling in rulings:
                if ruling.replayed:
                    continue
                aid, decision = ruling.item.article_id, ruling.decision
                pending.append(
                    {
                        "aid": aid,
                        "v": decision.verdict.value,
                        "d": decision.duplicate_of,
                        "r": decision.revision_of,
                        "sim": round(decision.similarity, 4),
                    }
                )
                bands.extend({"band_key": b, "article_id": aid} for b in ruling.item.bands)
                if decision.adopts:
                    _write_verdicts(tx, pending)
                    pending.clear()
                    roots = list(decision.adopts)
                    tx.session.execute(
                        update(ArticleRow)
                        .where((ArticleRow.article_id.in_(roots)) | (ArticleRow.duplicate_of.in_(roots)))
                        .values(verdict="duplicate", duplicate_of=aid)
                    )
            _write_verdicts(tx, pending)
            tx.upsert(ArticleBandRow, bands, ["band_key", "article_id"])


def _ids_by(tx: Tx, key: Any, article_id: Any, values: Iterable[str]) -> dict[str, frozenset[str]]:
    """Article ids by each of `values` found in the `key` column."""
    found: dict[str, set[str]] = {}
    for chunk in in_lists(values):
        for aid, value in tx.session.execute(select(article_id, key).where(key.in_(chunk))):
            found.setdefault(value, set()).add(aid)
    return {value: frozenset(ids) for value, ids in found.items()}


def _write_verdicts(tx: Tx, verdicts: list[dict[str, Any]]) -> None:
    if verdicts:
        # Core executemany on the session's connection (the ORM's bulk UPDATE takes no WHERE).
        tx.session.connection().execute(
            update(ArticleRow)
            .where(ArticleRow.article_id == bindparam("aid"))
            .values(
                verdict=bindparam("v"),
                duplicate_of=bindparam("d"),
                revision_of=bindparam("r"),
                dedup_similarity=bindparam("sim"),
            ),
            verdicts,
        )
