"""SQL warehouse adapter (SQLAlchemy 2): idempotent upserts on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, bindparam, create_engine, delete, event, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.orm import Session, aliased, sessionmaker

from storyline.adapters.tables import (
    ArticleBandRow,
    ArticlePassageRow,
    ArticleRow,
    Base,
    DeadLetterRow,
    EntityRow,
    ExpiredObjectRow,
    FetchRow,
    HostSlotRow,
    SourceRow,
    StoryArticleRow,
    StoryEntityRow,
    StoryLinkRow,
    StoryMergeRow,
    StoryPerspectiveRow,
    StoryRow,
    TermFrequencyRow,
)
from storyline.domain.batches import chunked
from storyline.domain.consolidation import Merge
from storyline.domain.dedup import Candidate, Decision, DedupItem, Verdict, shingles
from storyline.domain.enrichment import Sections, StoryArticle
from storyline.domain.entities import ArticleMentions, entity_id, mentions_from_json, mentions_to_json
from storyline.domain.errors import ConfigError, TransientError
from storyline.domain.features import DocumentFrequencies, normalise
from storyline.domain.links import Link, StoryProfile
from storyline.domain.records import DeadLetter, FetchDecision, Source
from storyline.events import ArticleBody, ArticleFetched
from storyline.ports import StoredStory

_N_DOCS_KEY = ""  # the row of term_df that counts articles
_CHUNK = 500


def _in_lists(values: Iterable[str]) -> Iterator[list[str]]:
    """Distinct values, sorted, in IN-lists of at most _CHUNK (drivers cap a statement's bound parameters)."""
    return chunked(sorted(set(values)), _CHUNK)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (the read API, exports) run while the pipeline writes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # A ping before each checkout finds a server connection that died while pooled (PostgreSQL restarted); a
    # SQLite file has no server, and the ping cost ~170 us per transaction there, half of a one-row lookup.
    engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _json_digest(data: object) -> str:
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class SqlWarehouse:
    """Implements every warehouse port on one engine. Database outages surface as TransientError."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    # -- plumbing ---------------------------------------------------------------------------------
    def after_fork(self) -> None:
        """In a forked child: new connections on first use. `close=False` leaves the pooled connections to the
        parent, which owns them (SQLAlchemy's pattern for engines crossing a fork)."""
        self.engine.dispose(close=False)

    def upgrade(self) -> None:
        from storyline.adapters.migrate import upgrade_to_head

        upgrade_to_head(self.engine)

    def grant_reader(self, role: str, password: str) -> None:
        """Create (or update) a PostgreSQL login role that can read every warehouse table and write none: the read
        API connects as it (STORYLINE_API_DATABASE_URL). Tables created later are covered by default privileges."""
        if self.engine.dialect.name != "postgresql":
            raise ConfigError("reader roles need PostgreSQL; on SQLite the API opens the file read-only")
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
            raise ConfigError(f"role name {role!r}: use lower-case letters, digits and underscores")
        try:
            self._grant_reader(role, password)
        except DBAPIError as exc:
            raise ConfigError(
                f"could not set up reader role {role!r} (the warehouse user needs CREATEROLE): {exc.orig}"
            ) from exc

    def _grant_reader(self, role: str, password: str) -> None:
        with self.engine.begin() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            verb = "ALTER" if exists else "CREATE"
            # Identifiers cannot be bound parameters; the name is validated above. The password is quoted by
            # the server's own quote_literal, never pasted raw.
            quoted = conn.scalar(text("SELECT quote_literal(:p)"), {"p": password})
            conn.execute(text(f"{verb} ROLE {role} LOGIN PASSWORD {quoted}"))
            conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
            conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
            conn.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {role}"))

    def create_all(self) -> None:
        """Schema without Alembic (tests only; production uses `storyline db upgrade`)."""
        Base.metadata.create_all(self.engine)

    def session(self) -> Session:
        return self._session()

    def _upsert(
        self,
        s: Session,
        model: type[Base],
        rows: Sequence[dict[str, Any]],
        keys: Sequence[str],
        update_cols: Sequence[str],
    ) -> None:
        if not rows:
            return
        table: Any = model.__table__
        dialect = self.engine.dialect.name
        ins: Any
        if dialect == "postgresql":
            ins = postgresql.insert(table)
        elif dialect == "sqlite":
            ins = sqlite.insert(table)
        else:  # pragma: no cover - other dialects: merge row by row
            for row in rows:
                s.merge(model(**row))
            return
        # executemany of one compiled statement: compiling a multi-row VALUES per call costs more than the write.
        if update_cols:
            stmt = ins.on_conflict_do_update(
                index_elements=list(keys), set_={c: getattr(ins.excluded, c) for c in update_cols}
            )
        else:
            stmt = ins.on_conflict_do_nothing(index_elements=list(keys))
        s.execute(stmt, list(rows))

    def _upsert_entities(self, s: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Entities are shared by stories: a row's description is the first one found (a story's card cites its
        own description, with its article and span, in the story's sections)."""
        if not rows:
            return
        table: Any = EntityRow.__table__
        ins: Any = postgresql.insert(table) if self.engine.dialect.name == "postgresql" else sqlite.insert(table)
        stmt = ins.on_conflict_do_update(
            index_elements=["entity_id"],
            set_={"description": func.coalesce(table.c.description, ins.excluded.description)},
        )
        s.execute(stmt, list(rows))

    def _present(self, column: Any, values: Iterable[str], *conditions: Any) -> set[str]:
        """Which of `values` occur in `column` (rows also matching `conditions`), in IN-lists of bounded size."""
        wanted = list(values)

        def q(s: Session) -> set[str]:
            found: set[str] = set()
            for chunk in _in_lists(wanted):
                found.update(s.scalars(select(column).where(column.in_(chunk), *conditions)))
            return found

        result: set[str] = self._run(q)
        return result

    def _run(self, fn: Any) -> Any:
        try:
            with self.session() as s, s.begin():
                return fn(s)
        except (OperationalError, SAInterfaceError) as exc:
            raise TransientError(f"warehouse unavailable: {exc.__class__.__name__}: {exc.orig}") from exc

    # -- sources and fetches ------------------------------------------------------------------------
    def upsert_sources(self, sources: Sequence[Source]) -> None:
        rows = [
            {
                "id": src.id,
                "name": src.name,
                "home": src.home,
                "feeds": list(src.feeds),
                "language": src.language,
                "country": src.country,
                "enabled": src.enabled,
            }
            for src in sources
        ]
        cols = ["name", "home", "feeds", "language", "country", "enabled"]
        self._run(lambda s: self._upsert(s, SourceRow, rows, ["id"], cols))

    def record_fetches(self, decisions: Sequence[FetchDecision]) -> None:
        rows = [
            {
                "url": d.url,
                "source_id": d.source_id,
                "kind": d.kind,
                "outcome": d.outcome.value,
                "reason": d.reason[:2000],
                "http_status": d.http_status,
                "bytes": d.bytes,
                "object_key": d.object_key,
                "etag": d.etag,
                "last_modified": d.last_modified,
                "at": d.at,
                "event": d.event,
            }
            for d in decisions
        ]
        if not rows:
            return
        # A page fetched again after retention deleted its object has it back: it is no longer expired.
        keys = sorted({d.object_key for d in decisions if d.object_key})

        def q(s: Session) -> None:
            s.execute(insert(FetchRow), rows)
            for chunk in _in_lists(keys):
                s.execute(delete(ExpiredObjectRow).where(ExpiredObjectRow.object_key.in_(chunk)))

        self._run(q)

    # -- politeness shared across processes ---------------------------------------------------------
    def reserve_host_slot(self, host: str, earliest: float, spacing: float) -> float:
        """Atomically take the next request slot for `host` at or after `earliest`; returns its start. One row per
        host holds the end of the last slot handed out, so concurrent crawlers queue instead of overlapping."""
        return self._advance_host_slot(host, earliest, spacing) - spacing

    def push_back_host(self, host: str, until: float) -> None:
        """Retry-After: no process sends to `host` before `until`."""
        self._advance_host_slot(host, until, 0.0)

    def _advance_host_slot(self, host: str, floor: float, spacing: float) -> float:
        """next_at = max(next_at, floor) + spacing, in one statement; returns the new next_at."""
        dialect = self.engine.dialect.name
        ins: Any = postgresql.insert(HostSlotRow) if dialect == "postgresql" else sqlite.insert(HostSlotRow)
        later = func.greatest if dialect == "postgresql" else func.max
        advanced = later(HostSlotRow.next_at, floor) + spacing
        stmt = (
            ins.values(host=host, next_at=floor + spacing)
            .on_conflict_do_update(index_elements=["host"], set_={"next_at": advanced})
            .returning(HostSlotRow.next_at)
        )
        end: float = self._run(lambda s: s.execute(stmt).scalar_one())
        return end

    def validators(self, url: str) -> tuple[str | None, str | None]:
        def q(s: Session) -> tuple[str | None, str | None]:
            row = s.execute(
                select(FetchRow.etag, FetchRow.last_modified)
                .where(FetchRow.url == url, FetchRow.outcome == "fetched")
                .order_by(FetchRow.id.desc())
                .limit(1)
            ).first()
            return (row[0], row[1]) if row else (None, None)

        result: tuple[str | None, str | None] = self._run(q)
        return result

    def fetched_pages(self, urls: Iterable[str]) -> set[str]:
        """Page URLs already fetched and archived (in streaming mode they may not be extracted yet)."""
        return self._present(FetchRow.url, urls, FetchRow.kind == "page", FetchRow.outcome == "fetched")

    def poll_history(self, url: str, limit: int = 12) -> list[tuple[str, datetime]]:
        """The newest fetch decisions for a feed: (outcome, time), newest first."""

        def q(s: Session) -> list[tuple[str, datetime]]:
            rows = s.execute(
                select(FetchRow.outcome, FetchRow.at)
                .where(FetchRow.url == url)
                .order_by(FetchRow.id.desc())
                .limit(limit)
            )
            return [(r.outcome, r.at) for r in rows]

        result: list[tuple[str, datetime]] = self._run(q)
        return result

    def record_dead_letter(self, letter: DeadLetter) -> None:
        def q(s: Session) -> None:
            existing = s.get(DeadLetterRow, (letter.stage, letter.subject))
            if existing is None:
                s.add(
                    DeadLetterRow(
                        stage=letter.stage,
                        subject=letter.subject,
                        error_kind=letter.error_kind,
                        message=letter.message[:4000],
                        payload=letter.payload,
                        at=letter.at,
                        attempts=letter.attempts,
                    )
                )
            elif (existing.error_kind, existing.payload) != (letter.error_kind, letter.payload):
                existing.error_kind, existing.message = letter.error_kind, letter.message[:4000]
                existing.payload, existing.at = letter.payload, letter.at
                existing.attempts += 1

        self._run(q)

    def operations_status(self) -> dict[str, Any]:
        """What an operator checks first: per source the last crawl and its outcomes, dead letters per stage,
        and how fresh the newest article and story are (one query each, no table scans beyond indexes)."""

        def q(s: Session) -> dict[str, Any]:
            last = dict(
                s.execute(select(FetchRow.source_id, func.max(FetchRow.at)).group_by(FetchRow.source_id)).tuples().all()
            )
            outcomes: dict[str, dict[str, int]] = {}
            for sid, outcome, n in s.execute(
                select(FetchRow.source_id, FetchRow.outcome, func.count()).group_by(
                    FetchRow.source_id, FetchRow.outcome
                )
            ):
                outcomes.setdefault(sid, {})[outcome] = n
            articles = dict(
                s.execute(select(ArticleRow.source_id, func.count()).group_by(ArticleRow.source_id)).tuples().all()
            )
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
            dlq = dict(
                s.execute(select(DeadLetterRow.stage, func.count()).group_by(DeadLetterRow.stage)).tuples().all()
            )
            return {
                "sources": sources,
                "dead_letters": dlq,
                "newest_article_fetched": s.scalar(select(func.max(ArticleRow.fetched_at))),
                "newest_article_published": s.scalar(select(func.max(ArticleRow.published_at))),
                "newest_story_activity": s.scalar(select(func.max(StoryRow.last_seen))),
                "stories": s.scalar(select(func.count()).select_from(StoryRow).where(StoryRow.merged_into.is_(None))),
                "articles": s.scalar(select(func.count()).select_from(ArticleRow)),
            }

        result: dict[str, Any] = self._run(q)
        return result

    def dead_letters(self, stage: str | None = None) -> list[DeadLetter]:
        def q(s: Session) -> list[DeadLetter]:
            stmt = select(DeadLetterRow).order_by(DeadLetterRow.stage, DeadLetterRow.subject)
            if stage:
                stmt = stmt.where(DeadLetterRow.stage == stage)
            return [
                DeadLetter(r.stage, r.subject, r.error_kind, r.message, r.payload, r.at, r.attempts)
                for r in s.scalars(stmt)
            ]

        result: list[DeadLetter] = self._run(q)
        return result

    def clear_dead_letter(self, stage: str, subject: str) -> None:
        self._run(
            lambda s: s.execute(
                delete(DeadLetterRow).where(DeadLetterRow.stage == stage, DeadLetterRow.subject == subject)
            )
        )

    def dead_lettered(self, stage: str, subjects: Iterable[str]) -> set[str]:
        return self._present(DeadLetterRow.subject, subjects, DeadLetterRow.stage == stage)

    # -- articles -----------------------------------------------------------------------------------
    def known_urls(self, canonical_urls: Iterable[str]) -> set[str]:
        return self._present(ArticleRow.canonical_url, canonical_urls)

    def article_hashes(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The stored content hash of each of these articles that exists, in IN-lists of bounded size."""
        wanted = list(article_ids)

        def q(s: Session) -> dict[str, str]:
            found: dict[str, str] = {}
            for chunk in _in_lists(wanted):
                rows = s.execute(
                    select(ArticleRow.article_id, ArticleRow.content_hash).where(ArticleRow.article_id.in_(chunk))
                )
                found.update((aid, chash) for aid, chash in rows)
            return found

        result: dict[str, str] = self._run(q)
        return result

    def upsert_article(self, article: ArticleBody, entities: ArticleMentions | None = None) -> None:
        self.upsert_articles([(article, entities)])

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

        def q(s: Session) -> None:
            for rows in runs:
                self._upsert(s, ArticleRow, rows, ["article_id"], [c for c in rows[0] if c != "article_id"])

        if runs:
            self._run(q)

    def _serialise(self, s: Session, name: str) -> None:
        """Take a database-wide lock for this transaction, so concurrent workers decide one at a time."""
        if self.engine.dialect.name == "postgresql":
            key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        elif self.engine.dialect.name == "sqlite":
            # Any write statement makes SQLite take its single writer lock for the rest of the transaction.
            s.execute(update(TermFrequencyRow).where(TermFrequencyRow.term == "\x00lock").values(df=0))

    def _candidates(self, s: Session, content_hash: str, canonical_url: str, bands: Sequence[str]) -> list[Candidate]:
        ids: set[str] = set(
            s.scalars(
                select(ArticleRow.article_id).where(
                    (ArticleRow.content_hash == content_hash) | (ArticleRow.canonical_url == canonical_url)
                )
            )
        )
        if bands:
            ids.update(s.scalars(select(ArticleBandRow.article_id).where(ArticleBandRow.band_key.in_(list(bands)))))
        if not ids:
            return []
        rows = s.execute(
            select(
                ArticleRow.article_id,
                ArticleRow.canonical_url,
                ArticleRow.text,
                ArticleRow.published_at,
                ArticleRow.duplicate_of,
                ArticleRow.verdict,
            ).where(ArticleRow.article_id.in_(sorted(ids)))
        ).all()
        # Only articles that already have a verdict are earlier copies; the rest are in flight.
        return [
            Candidate(
                article_id=r.article_id,
                canonical_url=r.canonical_url,
                shingles=shingles(r.text),
                published_at_iso=r.published_at.isoformat(),
                root_id=r.duplicate_of or r.article_id,
            )
            for r in rows
            if r.verdict is not None
        ]

    def dedup_candidates(self, content_hash: str, canonical_url: str, bands: Sequence[str]) -> list[Candidate]:
        result: list[Candidate] = self._run(lambda s: self._candidates(s, content_hash, canonical_url, bands))
        return result

    def _write_verdict(self, s: Session, article_id: str, bands: Sequence[str], decision: Decision) -> None:
        s.execute(
            update(ArticleRow)
            .where(ArticleRow.article_id == article_id)
            .values(
                verdict=decision.verdict.value,
                duplicate_of=decision.duplicate_of,
                revision_of=decision.revision_of,
                dedup_similarity=round(decision.similarity, 4),
            )
        )
        rows = [{"band_key": b, "article_id": article_id} for b in bands]
        self._upsert(s, ArticleBandRow, rows, ["band_key", "article_id"], [])
        if decision.adopts:
            # A late-arriving earlier copy: the former originals and their copies now point at it.
            roots = list(decision.adopts)
            s.execute(
                update(ArticleRow)
                .where((ArticleRow.article_id.in_(roots)) | (ArticleRow.duplicate_of.in_(roots)))
                .values(verdict="duplicate", duplicate_of=article_id)
            )

    def dedup_batch(
        self, items: Sequence[DedupItem], decide: Callable[[int, list[Candidate]], Decision]
    ) -> list[Decision]:
        """Look up candidates, decide and record each item in turn, in one serialised transaction; the batch's
        candidate rows are read in four queries, whatever its size (embedded runs batch 64 articles, ADR 0010).
        A redelivered article (same id, same text) gets its stored verdict back unchanged.

        Each item sees what the items before it decided, as it would one transaction at a time: their verdicts,
        their LSH bands and the roots an earlier-published copy took over.
        """

        def q(s: Session) -> list[Decision]:
            self._serialise(s, "dedup")
            by_key: dict[str, set[str]] = {}  # "h:<hash>", "u:<url>", "b:<band>" -> article ids
            for part in _in_lists(it.content_hash for it in items):
                for aid, h in s.execute(
                    select(ArticleRow.article_id, ArticleRow.content_hash).where(ArticleRow.content_hash.in_(part))
                ):
                    by_key.setdefault(f"h:{h}", set()).add(aid)
            for part in _in_lists(it.canonical_url for it in items):
                for aid, u in s.execute(
                    select(ArticleRow.article_id, ArticleRow.canonical_url).where(ArticleRow.canonical_url.in_(part))
                ):
                    by_key.setdefault(f"u:{u}", set()).add(aid)
            for part in _in_lists(b for it in items for b in it.bands):
                for aid, b in s.execute(
                    select(ArticleBandRow.article_id, ArticleBandRow.band_key).where(ArticleBandRow.band_key.in_(part))
                ):
                    by_key.setdefault(f"b:{b}", set()).add(aid)
            wanted = {aid for ids in by_key.values() for aid in ids} | {it.article_id for it in items}
            rows: dict[str, Any] = {}
            for part in _in_lists(wanted):
                for r in s.execute(
                    select(
                        ArticleRow.article_id,
                        ArticleRow.canonical_url,
                        ArticleRow.text,
                        ArticleRow.published_at,
                        ArticleRow.content_hash,
                        ArticleRow.verdict,
                        ArticleRow.duplicate_of,
                        ArticleRow.revision_of,
                        ArticleRow.dedup_similarity,
                    ).where(ArticleRow.article_id.in_(part))
                ):
                    rows[r.article_id] = r._asdict()
            texts: dict[str, frozenset[int]] = {}
            out: list[Decision] = []
            pending: list[dict[str, Any]] = []
            bands: list[dict[str, str]] = []

            def flush_verdicts() -> None:
                if pending:
                    # Core executemany on the session's connection (the ORM's bulk UPDATE takes no WHERE).
                    s.connection().execute(
                        update(ArticleRow)
                        .where(ArticleRow.article_id == bindparam("aid"))
                        .values(
                            verdict=bindparam("v"),
                            duplicate_of=bindparam("d"),
                            revision_of=bindparam("r"),
                            dedup_similarity=bindparam("sim"),
                        ),
                        pending,
                    )
                    pending.clear()

            for index, it in enumerate(items):
                row = rows.get(it.article_id)
                if row is not None and row["verdict"] is not None and row["content_hash"] == it.content_hash:
                    out.append(
                        Decision(
                            Verdict(row["verdict"]),
                            row["duplicate_of"],
                            row["revision_of"],
                            row["dedup_similarity"] or 0.0,
                        )
                    )
                    continue
                ids = by_key.get(f"h:{it.content_hash}", set()) | by_key.get(f"u:{it.canonical_url}", set())
                for b in it.bands:
                    ids |= by_key.get(f"b:{b}", set())
                candidates = []
                for cid in sorted(ids):
                    found = rows.get(cid)
                    if found is None or found["verdict"] is None:
                        continue  # in flight (a later item of this batch, or another run's)
                    if cid not in texts:
                        texts[cid] = shingles(found["text"])
                    candidates.append(
                        Candidate(
                            article_id=cid,
                            canonical_url=found["canonical_url"],
                            shingles=texts[cid],
                            published_at_iso=found["published_at"].isoformat(),
                            root_id=found["duplicate_of"] or cid,
                        )
                    )
                decision = decide(index, candidates)
                out.append(decision)
                similarity = round(decision.similarity, 4)
                mine = rows.get(it.article_id)
                if mine is not None:  # no stored row, no row to update
                    mine.update(
                        verdict=decision.verdict.value,
                        duplicate_of=decision.duplicate_of,
                        revision_of=decision.revision_of,
                        dedup_similarity=similarity,
                    )
                pending.append(
                    {
                        "aid": it.article_id,
                        "v": decision.verdict.value,
                        "d": decision.duplicate_of,
                        "r": decision.revision_of,
                        "sim": similarity,
                    }
                )
                for b in it.bands:
                    by_key.setdefault(f"b:{b}", set()).add(it.article_id)
                    bands.append({"band_key": b, "article_id": it.article_id})
                if decision.adopts:
                    # The same statement as one article at a time, after the verdicts before it are written; the
                    # rows read here follow it too, for the items after this one.
                    flush_verdicts()
                    roots = list(decision.adopts)
                    s.execute(
                        update(ArticleRow)
                        .where((ArticleRow.article_id.in_(roots)) | (ArticleRow.duplicate_of.in_(roots)))
                        .values(verdict="duplicate", duplicate_of=it.article_id)
                    )
                    for known in rows.values():
                        if known["article_id"] in decision.adopts or known["duplicate_of"] in decision.adopts:
                            known.update(verdict="duplicate", duplicate_of=it.article_id)
            flush_verdicts()
            self._upsert(s, ArticleBandRow, bands, ["band_key", "article_id"], [])
            return out

        result: list[Decision] = self._run(q)
        return result

    def record_dedup(self, article_id: str, bands: Sequence[str], decision: Decision) -> None:
        self._run(lambda s: self._write_verdict(s, article_id, bands, decision))

    # -- stories: clustering state ------------------------------------------------------------------
    def assignment_of(self, article_id: str) -> tuple[str, float, bool] | None:
        def q(s: Session) -> tuple[str, float, bool] | None:
            row = s.execute(
                select(StoryArticleRow.story_id, StoryArticleRow.score, StoryArticleRow.is_seed).where(
                    StoryArticleRow.article_id == article_id
                )
            ).first()
            return (row[0], row[1], row[2]) if row else None

        result: tuple[str, float, bool] | None = self._run(q)
        return result

    def assignments_of(self, article_ids: Iterable[str]) -> dict[str, tuple[str, float, bool]]:
        """`assignment_of` for many articles in one transaction (embedded clustering reads a batch's at once)."""
        wanted = list(article_ids)

        def q(s: Session) -> dict[str, tuple[str, float, bool]]:
            out: dict[str, tuple[str, float, bool]] = {}
            for chunk in _in_lists(wanted):
                for aid, sid, score, seed in s.execute(
                    select(
                        StoryArticleRow.article_id,
                        StoryArticleRow.story_id,
                        StoryArticleRow.score,
                        StoryArticleRow.is_seed,
                    ).where(StoryArticleRow.article_id.in_(chunk))
                ):
                    out[aid] = (sid, score, seed)
            return out

        result: dict[str, tuple[str, float, bool]] = self._run(q)
        return result

    def active_stories(self, since: datetime) -> list[StoredStory]:
        def q(s: Session) -> list[StoredStory]:
            rows = s.scalars(
                select(StoryRow)
                .where(StoryRow.last_seen >= since, StoryRow.merged_into.is_(None))
                .order_by(StoryRow.story_id)
            )
            return [StoredStory(r.story_id, r.first_seen, r.last_seen, dict(r.state)) for r in rows]

        result: list[StoredStory] = self._run(q)
        return result

    def story_state(self, story_id: str) -> StoredStory | None:
        def q(s: Session) -> StoredStory | None:
            r = s.get(StoryRow, story_id)
            return StoredStory(r.story_id, r.first_seen, r.last_seen, dict(r.state)) if r is not None else None

        result: StoredStory | None = self._run(q)
        return result

    def load_document_frequencies(self) -> DocumentFrequencies:
        def q(s: Session) -> DocumentFrequencies:
            df = {r.term: r.df for r in s.execute(select(TermFrequencyRow.term, TermFrequencyRow.df))}
            n_docs = df.pop(_N_DOCS_KEY, 0)
            return DocumentFrequencies(n_docs=n_docs, df=df)

        result: DocumentFrequencies = self._run(q)
        return result

    def save_cluster_step(self, story: StoredStory, article_id: str, score: float, is_new: bool) -> None:
        self.save_cluster_steps([story], [(article_id, story.story_id, score, is_new)])

    def save_cluster_steps(
        self,
        stories: Sequence[StoredStory],
        memberships: Sequence[tuple[str, str, float, bool]],
        df: tuple[int, dict[str, int]] | None = None,
        passages: Sequence[tuple[str, int]] = (),
        merges: Sequence[Merge] = (),
        merged_at: datetime | None = None,
    ) -> None:
        """Clustering steps in one transaction: each story's latest state (its sections now owed), every (article,
        story, score, is_seed) membership, the steps' document-frequency increments `df` (articles, per-term
        counts), the articles' lead `passages` and the live `merges` the steps made. All or nothing: a run that dies
        finds the index, the statistics and the owed sections as they were after the last whole batch, so resuming
        gives the stories an uninterrupted run gives (ADR 0013)."""

        def q(s: Session) -> None:
            self._upsert(
                s,
                StoryRow,
                [
                    {
                        "story_id": st.story_id,
                        "state": st.state,
                        "first_seen": st.first_seen,
                        "last_seen": st.last_seen,
                        "article_count": int(st.state.get("article_count", 0)),
                        "sections_pending": True,
                    }
                    for st in stories
                ],
                ["story_id"],
                ["state", "first_seen", "last_seen", "article_count", "sections_pending"],
            )
            self._upsert(
                s,
                StoryArticleRow,
                [
                    {"article_id": aid, "story_id": sid, "score": round(score, 6), "is_seed": seed}
                    for aid, sid, score, seed in memberships
                ],
                ["article_id"],
                [],
            )
            if df is not None and df[0]:
                self._add_document_frequencies(s, *df)
            self._upsert(
                s,
                ArticlePassageRow,
                [{"article_id": a, "passage": p} for a, p in passages],
                ["article_id", "passage"],
                [],
            )
            if merges:
                self._record_merges(s, merges, merged_at or datetime.now(UTC))

        self._run(q)

    def passage_holders(self, passages: Iterable[int]) -> list[tuple[int, str, str]]:
        """(passage, story root, outlet) for every stored article whose lead holds one of `passages`."""
        wanted = sorted(set(passages))

        def q(s: Session) -> list[tuple[int, str, str]]:
            out: list[tuple[int, str, str]] = []
            for chunk in chunked(wanted, _CHUNK):
                out.extend(
                    (p, r, o) for p, r, o in s.execute(self._passage_rows().where(ArticlePassageRow.passage.in_(chunk)))
                )
            return out

        result: list[tuple[int, str, str]] = self._run(q)
        return result

    def family_passages(self, roots: Iterable[str]) -> list[tuple[int, str, str]]:
        """(passage, story root, outlet) for every source passage of the articles of these story families."""
        root = func.coalesce(StoryRow.merged_into, StoryRow.story_id)

        def q(s: Session) -> list[tuple[int, str, str]]:
            out: list[tuple[int, str, str]] = []
            for chunk in _in_lists(roots):
                out.extend((p, r, o) for p, r, o in s.execute(self._passage_rows().where(root.in_(chunk))))
            return out

        result: list[tuple[int, str, str]] = self._run(q)
        return result

    @staticmethod
    def _passage_rows() -> Any:
        root = func.coalesce(StoryRow.merged_into, StoryRow.story_id)
        return (
            select(ArticlePassageRow.passage, root, ArticleRow.source_id)
            .join(StoryArticleRow, StoryArticleRow.article_id == ArticlePassageRow.article_id)
            .join(StoryRow, StoryRow.story_id == StoryArticleRow.story_id)
            .join(ArticleRow, ArticleRow.article_id == ArticlePassageRow.article_id)
        )

    def add_document_frequencies(self, n_docs: int, deltas: dict[str, int]) -> None:
        """Add a batch of document-frequency increments."""
        self._run(lambda s: self._add_document_frequencies(s, n_docs, deltas))

    def _add_document_frequencies(self, s: Session, n_docs: int, deltas: dict[str, int]) -> None:
        rows = [{"term": _N_DOCS_KEY, "df": n_docs}] + [{"term": k[:256], "df": v} for k, v in sorted(deltas.items())]
        dialect = self.engine.dialect.name
        ins: Any = postgresql.insert(TermFrequencyRow) if dialect == "postgresql" else sqlite.insert(TermFrequencyRow)
        stmt = ins.on_conflict_do_update(index_elements=["term"], set_={"df": TermFrequencyRow.df + ins.excluded.df})
        s.execute(stmt, rows)

    # -- stories: enrichment ------------------------------------------------------------------------
    @staticmethod
    def _in_family(story_id: str) -> Any:
        """Articles of a story and of every story merged into it (merged_into always names the final survivor)."""
        merged = select(StoryRow.story_id).where(StoryRow.merged_into == story_id)
        return or_(StoryArticleRow.story_id == story_id, StoryArticleRow.story_id.in_(merged))

    def resolve_story(self, story_id: str) -> str:
        """A merged story id resolves to its survivor; story ids never disappear for readers."""
        merged: str | None = self._run(
            lambda s: s.scalar(select(StoryRow.merged_into).where(StoryRow.story_id == story_id))
        )
        return merged or story_id

    def story_articles(self, story_id: str) -> list[StoryArticle]:
        return self.story_articles_many([story_id])[story_id]

    def story_articles_many(self, story_ids: Sequence[str]) -> dict[str, list[StoryArticle]]:
        """Each story's articles and those of the stories merged into it, in event-time order: one transaction,
        a query per chunk of stories (not one per story)."""
        wanted = list(dict.fromkeys(story_ids))

        def q(s: Session) -> dict[str, list[StoryArticle]]:
            out: dict[str, list[StoryArticle]] = {sid: [] for sid in wanted}
            for chunk in _in_lists(wanted):
                # Member story → the requested stories whose family it is in (itself, the one it merged into).
                family: dict[str, list[str]] = {sid: [sid] for sid in chunk}
                merged = select(StoryRow.story_id, StoryRow.merged_into).where(StoryRow.merged_into.in_(chunk))
                for member, into in s.execute(merged).tuples():
                    family.setdefault(member, []).append(str(into))
                rows = s.execute(
                    select(StoryArticleRow.story_id, ArticleRow)
                    .join(ArticleRow, ArticleRow.article_id == StoryArticleRow.article_id)
                    .where(StoryArticleRow.story_id.in_(list(family)))
                    .order_by(ArticleRow.published_at, ArticleRow.article_id)
                )
                for member, r in rows:
                    art = StoryArticle(
                        article_id=r.article_id,
                        source_id=r.source_id,
                        source_name=r.source_name,
                        url=r.url,
                        title=r.title,
                        text=r.text,
                        published_at=r.published_at,
                        duplicate_of=r.duplicate_of,
                        entities=None if r.entities is None else mentions_from_json(r.article_id, r.entities),
                        language=r.language,
                    )
                    for sid in family[member]:
                        out[sid].append(art)
            return out

        result: dict[str, list[StoryArticle]] = self._run(q)
        return result

    def story_profiles(self, exclude: str) -> list[StoryProfile]:
        def q(s: Session) -> list[StoryProfile]:
            rows = s.execute(
                select(StoryRow.story_id, StoryRow.first_seen, StoryRow.state).where(
                    StoryRow.story_id != exclude, StoryRow.merged_into.is_(None)
                )
            )
            out: list[StoryProfile] = []
            for sid, first, state in rows:
                vec = dict(state.get("terms", {}))
                vec.update({"e:" + k: v for k, v in state.get("entities", {}).items()})
                out.append(StoryProfile(sid, first, normalise(vec)))
            return out

        result: list[StoryProfile] = self._run(q)
        return result

    def save_sections(self, story_id: str, sections: Sections, links: Sequence[Link]) -> bool:
        """Write a story's sections and child rows; returns False when nothing changed (no new version)."""
        return self.save_sections_many([(story_id, sections, links)])[0] is not None

    @staticmethod
    def _sections_payload(sections: Sections, links: Sequence[Link]) -> dict[str, Any]:
        return {
            **sections.to_json(),
            "perspectives": [
                {
                    "source_id": p.source_id,
                    "source_name": p.source_name,
                    "article_ids": list(p.article_ids),
                    "sentences": [c.to_json() for c in p.sentences],
                    **p.parts_json(),
                }
                for p in sections.perspectives
            ],
            "entities": [e.to_json() for e in sections.entities],
            "links": [{"story_id": lk.other_id, "kind": lk.kind, "score": lk.score} for lk in links],
            "outlets": list(sections.outlets),
        }

    def save_sections_many(
        self, items: Sequence[tuple[str, Sections, Sequence[Link]]], settled: Sequence[str] = ()
    ) -> list[dict[str, Any] | None]:
        """Write stories' sections and child rows in one transaction; per story, its snapshot (as
        `story_snapshot`) if it has a new version, None if nothing changed. Rows as one story at a time.
        `settled`: stories merged into these whose change-feed records the caller has made (ADR 0020)."""
        payloads = [(sid, sections, links, self._sections_payload(sections, links)) for sid, sections, links in items]

        def q(s: Session) -> list[dict[str, Any] | None]:
            stories = {
                r.story_id: r
                for r in s.scalars(select(StoryRow).where(StoryRow.story_id.in_([sid for sid, *_ in items])))
            }
            changed: list[str] = []
            perspectives: list[dict[str, Any]] = []
            entities: list[dict[str, Any]] = []
            story_entities: list[dict[str, Any]] = []
            story_links: list[dict[str, Any]] = []
            for sid, sections, links, payload in payloads:
                story = stories.get(sid)
                if story is None:
                    raise KeyError(sid)
                version = _json_digest(payload)
                if story.version == version:
                    continue
                changed.append(sid)
                story.headline = sections.headline
                story.sections = payload
                story.outlet_count = len(sections.outlets)
                story.article_count = (
                    s.scalar(select(func.count()).select_from(StoryArticleRow).where(self._in_family(sid))) or 0
                )
                story.version = version
                perspectives.extend(
                    {"story_id": sid, **{k: p[k] for k in ("source_id", "source_name", "article_ids", "sentences")}}
                    for p in payload["perspectives"]
                )
                for e in sections.entities:
                    eid = entity_id(e.kind, e.name)
                    entities.append(
                        {
                            "entity_id": eid,
                            "name": e.name,
                            "kind": e.kind,
                            "description": e.description.text if e.description else None,
                        }
                    )
                    story_entities.append(
                        {"story_id": sid, "entity_id": eid, "salience": e.salience, "article_count": e.article_count}
                    )
                story_links.extend(
                    {"story_id": sid, "other_id": lk.other_id, "kind": lk.kind, "score": lk.score} for lk in links
                )
            # The sections are owed no more, for the story and the settled ones merged into it (its sections cover
            # theirs). In streaming mode a member assigned meanwhile also reaches the enrich worker as an event, which
            # marks the story again there; a story merged into it meanwhile (by the cluster worker) is not settled,
            # so it stays marked and the next flush makes its record.
            ids = [sid for sid, *_ in items]
            s.execute(
                update(StoryRow)
                .where(
                    or_(
                        StoryRow.story_id.in_(ids),
                        and_(StoryRow.merged_into.in_(ids), StoryRow.story_id.in_(list(settled))),
                    )
                )
                .values(sections_pending=False)
                .execution_options(synchronize_session=False)
            )
            if changed:
                for table in (StoryPerspectiveRow, StoryEntityRow, StoryLinkRow):
                    s.execute(delete(table).where(table.story_id.in_(changed)))
                self._upsert_entities(s, entities)
                for table, rows in (
                    (StoryPerspectiveRow, perspectives),
                    (StoryEntityRow, story_entities),
                    (StoryLinkRow, story_links),
                ):
                    if rows:
                        s.execute(insert(table), rows)
            snapshots = {sid: self._snapshot(s, sid) for sid in changed}
            return [snapshots.get(sid) for sid, *_ in items]

        result: list[dict[str, Any] | None] = self._run(q)
        return result

    def _snapshot(self, s: Session, story_id: str) -> dict[str, Any]:
        story = s.get(StoryRow, story_id)
        if story is None:
            raise KeyError(story_id)
        ids = list(
            s.scalars(
                select(StoryArticleRow.article_id)
                .join(ArticleRow, ArticleRow.article_id == StoryArticleRow.article_id)
                .where(self._in_family(story_id))
                .order_by(ArticleRow.published_at, ArticleRow.article_id)
            )
        )
        return {
            "story_id": story.story_id,
            "headline": story.headline or "",
            "sections": story.sections or {},
            "first_seen": story.first_seen,
            "last_seen": story.last_seen,
            "article_count": story.article_count,
            "outlet_count": story.outlet_count,
            "merged_into": story.merged_into,
            "article_ids": ids,
        }

    def story_snapshot(self, story_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._run(lambda s: self._snapshot(s, story_id))
        return result

    # -- reads for export, eval and the CLI --------------------------------------------------------
    def assignments(self) -> list[dict[str, Any]]:
        def q(s: Session) -> list[dict[str, Any]]:
            orig = aliased(ArticleRow, name="orig")
            # A merged story's articles are reported under its survivor.
            sid = func.coalesce(StoryRow.merged_into, StoryArticleRow.story_id).label("story_id")
            rows = s.execute(
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

        result: list[dict[str, Any]] = self._run(q)
        return result

    def article_texts(self) -> dict[str, str]:
        result: dict[str, str] = self._run(
            lambda s: {r.url: r.text for r in s.execute(select(ArticleRow.url, ArticleRow.text))}
        )
        return result

    def stories_overview(self, limit: int = 50) -> list[dict[str, Any]]:
        def q(s: Session) -> list[dict[str, Any]]:
            rows = s.scalars(
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

        result: list[dict[str, Any]] = self._run(q)
        return result

    def source_quality(self) -> list[dict[str, Any]]:
        """Per source: stored articles, newest fetch time, pages without text (for the data-quality DAG)."""

        def q(s: Session) -> list[dict[str, Any]]:
            counts = {
                r.source_id: (r.n, r.newest)
                for r in s.execute(
                    select(
                        ArticleRow.source_id, func.count().label("n"), func.max(ArticleRow.fetched_at).label("newest")
                    ).group_by(ArticleRow.source_id)
                )
            }
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

        result: list[dict[str, Any]] = self._run(q)
        return result

    # -- consolidation ------------------------------------------------------------------------------
    def latest_story_time(self) -> datetime | None:
        latest: datetime | None = self._run(lambda s: s.scalar(select(func.max(StoryRow.last_seen))))
        return latest

    def story_families(self, since: datetime) -> list[tuple[str, StoredStory]]:
        """(root id, member state) for every story whose family was active since `since`; a root is its own member."""

        def q(s: Session) -> list[tuple[str, StoredStory]]:
            root = func.coalesce(StoryRow.merged_into, StoryRow.story_id)
            active = select(root).where(StoryRow.last_seen >= since)
            rows = s.execute(select(StoryRow, root.label("root")).where(root.in_(active)).order_by(StoryRow.story_id))
            return [
                (
                    r.root,
                    StoredStory(
                        r.StoryRow.story_id, r.StoryRow.first_seen, r.StoryRow.last_seen, dict(r.StoryRow.state)
                    ),
                )
                for r in rows
            ]

        result: list[tuple[str, StoredStory]] = self._run(q)
        return result

    def record_merges(self, merges: Sequence[Merge], at: datetime) -> list[Merge]:
        """Apply merges in one transaction: the loser (and anything merged into it) points at the survivor, and the
        merge log gets a row. A loser merged before is left alone (re-runs are no-ops); returns what was applied."""

        result: list[Merge] = self._run(lambda s: self._record_merges(s, merges, at))
        return result

    def _record_merges(self, s: Session, merges: Sequence[Merge], at: datetime) -> list[Merge]:
        done: list[Merge] = []
        for m in merges:
            loser = s.get(StoryRow, m.loser)
            survivor = s.get(StoryRow, m.survivor)
            if loser is None or survivor is None or loser.merged_into is not None or survivor.merged_into:
                continue
            # Pending: the merged stories owe the change feed a record saying where they went (ADR 0020); the
            # enrich stage's flush writes it and rebuilds the survivor, whose saved sections clear the mark.
            s.execute(
                update(StoryRow)
                .where(or_(StoryRow.story_id == m.loser, StoryRow.merged_into == m.loser))
                .values(merged_into=m.survivor, sections_pending=True)
            )
            # The survivor's row spans its family: pages, the front page and the online index read its extent.
            s.execute(
                update(StoryRow)
                .where(StoryRow.story_id == m.survivor)
                .values(
                    first_seen=min(survivor.first_seen, loser.first_seen),
                    last_seen=max(survivor.last_seen, loser.last_seen),
                )
            )
            self._upsert(
                s,
                StoryMergeRow,
                [{"loser": m.loser, "survivor": m.survivor, "score": m.score, "merged_at": at}],
                ["loser"],
                [],
            )
            done.append(m)
        return done

    def merge_log(self) -> list[dict[str, Any]]:
        def q(s: Session) -> list[dict[str, Any]]:
            rows = s.scalars(select(StoryMergeRow).order_by(StoryMergeRow.merged_at, StoryMergeRow.loser))
            return [
                {"loser": r.loser, "survivor": r.survivor, "score": r.score, "merged_at": r.merged_at} for r in rows
            ]

        result: list[dict[str, Any]] = self._run(q)
        return result

    # -- retention ----------------------------------------------------------------------------------
    def raw_keys_last_used_before(self, cutoff: datetime) -> list[str]:
        """Raw objects whose newest reference (a fetch or an article) is older than `cutoff` and not yet expired.
        Content-addressed keys can be shared: one recent reference keeps the object."""

        def q(s: Session) -> list[str]:
            uses = (
                select(FetchRow.object_key.label("key"), FetchRow.at.label("at"))
                .where(FetchRow.object_key.is_not(None))
                .union_all(select(ArticleRow.raw_object_key, ArticleRow.fetched_at))
                .subquery()
            )
            expired = select(ExpiredObjectRow.object_key)
            stmt = (
                select(uses.c.key)
                .where(uses.c.key.not_in(expired))
                .group_by(uses.c.key)
                .having(func.max(uses.c.at) < cutoff)
                .order_by(uses.c.key)
            )
            return [str(k) for k in s.scalars(stmt)]

        result: list[str] = self._run(q)
        return result

    def mark_objects_expired(self, keys: Sequence[str], at: datetime) -> None:
        rows = [{"object_key": k, "expired_at": at} for k in keys]
        self._run(lambda s: self._upsert(s, ExpiredObjectRow, rows, ["object_key"], []))

    def delete_fetch_rows_before(self, cutoff: datetime) -> int:
        """Retention of the fetch log; returns how many rows went."""

        def q(s: Session) -> int:
            result: Any = s.execute(delete(FetchRow).where(FetchRow.at < cutoff))
            return int(result.rowcount or 0)

        result: int = self._run(q)
        return result

    # -- resuming what a run left unfinished (ADR 0013) ----------------------------------------------
    def unstored_pages(self) -> list[ArticleFetched]:
        """Pages archived with their event on record but never stored nor dead-lettered at extraction (a run that
        died after its crawl was recorded), whose raw object is still there: each page once, as fetched."""

        def q(s: Session) -> list[ArticleFetched]:
            rows = s.execute(
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
            letters = set(s.scalars(select(DeadLetterRow.subject).where(DeadLetterRow.stage == "extract")))
            return [e for _, e in sorted(events.items()) if e.canonical_url not in letters]

        result: list[ArticleFetched] = self._run(q)
        return result

    def unfinished_articles(self) -> list[ArticleBody]:
        """Stored articles without a story (no dedup verdict yet, or no membership: a run died between the stages),
        except those dead-lettered at dedup or clustering, which wait for `replay`."""

        def q(s: Session) -> list[ArticleBody]:
            member = select(StoryArticleRow.article_id).where(StoryArticleRow.article_id == ArticleRow.article_id)
            letters = select(DeadLetterRow.subject).where(DeadLetterRow.stage.in_(("dedup", "cluster")))
            rows = s.scalars(
                select(ArticleRow)
                .where(~member.exists(), ArticleRow.article_id.not_in(letters))
                .order_by(ArticleRow.published_at, ArticleRow.article_id)
            )
            return [ArticleBody(**{f: getattr(r, f) for f in ArticleBody.model_fields}) for r in rows]

        result: list[ArticleBody] = self._run(q)
        return result

    def pending_sections(self) -> list[str]:
        """Stories whose membership changed after their sections were last written."""
        result: list[str] = self._run(
            lambda s: list(
                s.scalars(select(StoryRow.story_id).where(StoryRow.sections_pending.is_(True)).order_by("story_id"))
            )
        )
        return result

    def archived_pages(self) -> list[ArticleFetched]:
        """Fetched events rebuilt from the warehouse, to re-extract from the raw archive without the network:
        every stored article (its own time and title standing in for the feed's), and every page that was
        dead-lettered at extraction (its original event)."""

        def q(s: Session) -> list[ArticleFetched]:
            sizes = {
                r.object_key: (r.bytes, r.http_status)
                for r in s.execute(
                    select(FetchRow.object_key, FetchRow.bytes, FetchRow.http_status).where(
                        FetchRow.object_key.is_not(None)
                    )
                )
            }
            events = []
            expired = select(ExpiredObjectRow.object_key)
            for a in s.scalars(
                select(ArticleRow)
                .where(ArticleRow.revision_of.is_(None), ArticleRow.raw_object_key.not_in(expired))
                .order_by(ArticleRow.article_id)
            ):
                size, status = sizes.get(a.raw_object_key, (0, 200))
                events.append(
                    ArticleFetched(
                        event_time=a.published_at,
                        article_id=a.article_id,
                        url=a.url,
                        canonical_url=a.canonical_url,
                        source_id=a.source_id,
                        source_name=a.source_name,
                        raw_object_key=a.raw_object_key,
                        http_status=status or 200,
                        byte_size=size or 0,
                        feed_title=a.title,
                        feed_published_at=a.published_at,
                        fetched_at=a.fetched_at,
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

        result: list[ArticleFetched] = self._run(q)
        return result

    def table_digest(self) -> dict[str, str]:
        """A digest of every content table (not the fetch log): equal digests mean no row changed."""
        tables = [
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
        ]

        def q(s: Session) -> dict[str, str]:
            out: dict[str, str] = {}
            for model in tables:
                table: Any = model.__table__
                pk = list(table.primary_key.columns)
                rows = s.execute(select(table).order_by(*pk)).all()
                out[table.name] = _json_digest([list(r) for r in rows])
            return out

        result: dict[str, str] = self._run(q)
        return result
