"""Read-only queries for the API and the story page, on their own engine (a read-only role in production)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, create_engine, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from storyline.adapters.warehouse.queries import family_root, in_families, passage_rows
from storyline.adapters.warehouse.records import columns
from storyline.adapters.warehouse.tables import (
    ArticleRow,
    EntityRow,
    SourceRow,
    StoryArticleRow,
    StoryEntityRow,
    StoryLinkRow,
    StoryRow,
)
from storyline.domain.descriptions import RELATIVE_CLAUSE, description_rank
from storyline.domain.entities import distinct_name
from storyline.domain.links import Coverage, same_event
from storyline.domain.pages import StoryBrief
from storyline.domain.passages import between, shared_passages
from storyline.domain.ranking import StoryStats, rank
from storyline.ports import MAX_PAGE, StoryFilter

# The front page ranks the stories of the last two weeks (event time); older ones follow by recency.
RANKED_WINDOW = timedelta(days=14)
# A story's first cards that may borrow a description another story's coverage wrote, and how many of the
# entity's other stories are read for one.
DESCRIBED_CARDS = 5
OTHER_STORIES_READ = 5
# An article as a story page and the API list it (its text only when asked for the article itself).
_REF_COLUMNS = ("article_id", "url", "title", "source_id", "source_name", "published_at", "duplicate_of", "language")


def read_only_url(url: str) -> str:
    """SQLite files are opened read-only (the driver refuses writes); other databases get a read-only role via
    their URL (STORYLINE_API_DATABASE_URL)."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:") and "mode=ro" not in url:
        return f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    return url


def _contains(column: Any, needle: str) -> Any:
    """Case-insensitive substring match of the text as typed: `%`, `_` and the escape character are escaped,
    so a search for "50%" finds "50%" and not every title (needle is already case-folded)."""
    return func.lower(column).contains(needle, autoescape=True)


def _iso(value: datetime) -> str:
    return value.isoformat()


class SqlReader:
    """Every query resolves merged stories to their survivor, so a reader never sees a story id disappear."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(read_only_url(url), future=True, pool_pre_ping=True)

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Session:
        return Session(self.engine)

    @staticmethod
    def _family_articles(story_col: Any) -> Any:
        """story_articles rows of a story and of the stories merged into it."""
        member = aliased(StoryRow)
        return (
            select(StoryArticleRow.article_id)
            .join(member, member.story_id == StoryArticleRow.story_id)
            .where(func.coalesce(member.merged_into, member.story_id) == story_col)
        )

    def resolve(self, story_id: str) -> str | None:
        with self._session() as s:
            row = s.get(StoryRow, story_id)
            if row is None:
                return None
            return row.merged_into or row.story_id

    def list_stories(self, f: StoryFilter) -> tuple[int, list[dict[str, Any]]]:
        conds: list[Any] = [StoryRow.merged_into.is_(None), StoryRow.headline.is_not(None)]
        if f.since is not None:
            conds.append(StoryRow.last_seen >= f.since)
        if f.until is not None:
            conds.append(StoryRow.first_seen <= f.until)
        if f.source:
            conds.append(
                exists(
                    self._family_articles(StoryRow.story_id)
                    .join(ArticleRow, ArticleRow.article_id == StoryArticleRow.article_id)
                    .where(ArticleRow.source_id == f.source)
                )
            )
        if f.entity:
            needle = f.entity.casefold()
            conds.append(
                exists(
                    select(StoryEntityRow.entity_id)
                    .join(EntityRow, EntityRow.entity_id == StoryEntityRow.entity_id)
                    .where(
                        StoryEntityRow.story_id == StoryRow.story_id,
                        or_(func.lower(EntityRow.name) == needle, EntityRow.entity_id == f.entity),
                    )
                )
            )
        if f.query:
            needle = f.query.casefold()
            conds.append(
                or_(
                    _contains(StoryRow.headline, needle),
                    exists(
                        self._family_articles(StoryRow.story_id)
                        .join(ArticleRow, ArticleRow.article_id == StoryArticleRow.article_id)
                        .where(_contains(ArticleRow.title, needle))
                    ),
                )
            )
        if f.language:
            conds.append(
                exists(
                    self._family_articles(StoryRow.story_id)
                    .join(ArticleRow, ArticleRow.article_id == StoryArticleRow.article_id)
                    .where(func.lower(ArticleRow.language) == f.language.casefold())
                )
            )
        where = and_(*conds)
        limit = max(1, min(f.limit, MAX_PAGE))
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(StoryRow).where(where)) or 0
            if f.offset >= total:
                return total, []  # past the last row: nothing to read (and no offset too big for the engine)
            if f.sort == "significance":
                return total, self._by_significance(s, where, limit, f.offset)
            rows = s.scalars(
                select(StoryRow)
                .where(where)
                .order_by(StoryRow.last_seen.desc(), StoryRow.story_id)
                .limit(limit)
                .offset(max(0, f.offset))
            ).all()
            return total, [self._summary(r) for r in rows]

    def _by_significance(self, s: Session, where: Any, limit: int, offset: int) -> list[dict[str, Any]]:
        """A page of the ranking: every story from two or more outlets before any single-outlet one (what several
        newsrooms reported is the news), each group ranked by `_ranked`."""
        wide = and_(where, StoryRow.outlet_count >= 2)
        narrow = and_(where, or_(StoryRow.outlet_count < 2, StoryRow.outlet_count.is_(None)))
        n_wide = s.scalar(select(func.count()).select_from(StoryRow).where(wide)) or 0
        out = self._ranked(s, wide, limit, offset) if offset < n_wide else []
        if len(out) < limit:
            out += self._ranked(s, narrow, limit - len(out), max(0, offset - n_wide))
        return out

    def _ranked(self, s: Session, where: Any, limit: int, offset: int) -> list[dict[str, Any]]:
        """Stories of the last RANKED_WINDOW (before the newest one's last article) by significance
        (domain/ranking.py); older ones after them, newest first: their significance has decayed to nothing, and
        ranking only the window keeps the front page's cost flat as history grows."""
        newest = s.scalar(select(func.max(StoryRow.last_seen)).where(where))
        if newest is None:
            return []
        recent = and_(where, StoryRow.last_seen >= newest - RANKED_WINDOW)
        columns = (StoryRow.story_id, StoryRow.outlet_count, StoryRow.article_count, StoryRow.first_seen)
        stats = [
            StoryStats(sid, outlets or 0, articles or 0, first, last)
            for sid, outlets, articles, first, last in s.execute(select(*columns, StoryRow.last_seen).where(recent))
        ]
        ranked = rank(stats, newest)
        ids = ranked[offset : offset + limit]
        rows = {r.story_id: r for r in s.scalars(select(StoryRow).where(StoryRow.story_id.in_(ids)))} if ids else {}
        out = [self._summary(rows[i]) for i in ids]
        if len(out) < limit:
            older = s.scalars(
                select(StoryRow)
                .where(where, StoryRow.last_seen < newest - RANKED_WINDOW)
                .order_by(StoryRow.last_seen.desc(), StoryRow.story_id)
                .limit(limit - len(out))
                .offset(max(0, offset - len(ranked)))
            ).all()
            out += [self._summary(r) for r in older]
        return out

    @staticmethod
    def _summary(r: StoryRow) -> dict[str, Any]:
        sections = r.sections or {}
        return {
            "story_id": r.story_id,
            "headline": r.headline or "",
            "first_seen": _iso(r.first_seen),
            "last_seen": _iso(r.last_seen),
            "article_count": r.article_count,
            "outlet_count": r.outlet_count,
            "outlets": list(sections.get("outlets", [])),
        }

    def story(self, story_id: str) -> dict[str, Any] | None:
        survivor = self.resolve(story_id)
        if survivor is None:
            return None
        with self._session() as s:
            row = s.get(StoryRow, survivor)
            if row is None or row.sections is None:
                return None
            articles = s.scalars(
                select(ArticleRow)
                .where(ArticleRow.article_id.in_(self._family_articles(survivor)))
                .order_by(ArticleRow.published_at, ArticleRow.article_id)
            ).all()
            links = s.scalars(
                select(StoryLinkRow)
                .where(StoryLinkRow.story_id == survivor)
                .order_by(StoryLinkRow.score.desc(), StoryLinkRow.other_id)
            ).all()
            return {
                **self._summary(row),
                "requested_id": story_id,
                "sections": {**row.sections, "entities": self._described(s, survivor, row.sections)},
                "articles": [self._article_ref(a) for a in articles],
                "links": self._distinct_events(s, survivor, links),
            }

    @staticmethod
    def _described(s: Session, survivor: str, sections: dict[str, Any]) -> list[dict[str, Any]]:
        """The story's cards, each without a description of its own given the one another story's coverage wrote
        for the same entity (newest first), cited to that article and marked with that story's id: a story that
        only names Intel still says what Intel is when another story did."""
        cards: list[dict[str, Any]] = list(sections.get("entities", []))
        wanted = {
            str(c["entity_id"]): i
            for i, c in enumerate(cards[:DESCRIBED_CARDS])
            if not c.get("description") and c.get("entity_id") and distinct_name(str(c["name"]), str(c["kind"]))
        }
        if not wanted:
            return cards
        described = set(
            s.scalars(
                select(EntityRow.entity_id).where(EntityRow.entity_id.in_(wanted), EntityRow.description.is_not(None))
            )
        )
        for eid in sorted(described):
            others = s.execute(
                select(StoryRow.story_id, StoryRow.sections)
                .join(StoryEntityRow, StoryEntityRow.story_id == StoryRow.story_id)
                .where(StoryEntityRow.entity_id == eid, StoryRow.story_id != survivor, StoryRow.merged_into.is_(None))
                .order_by(StoryRow.last_seen.desc(), StoryRow.story_id)
                .limit(OTHER_STORIES_READ)
            )
            # Not a relative clause: it tells the entity's part in its own story ("Democrats, who have refused to
            # fund the wall"; "Intel, which had built a tight partnership with SeaMicro"), not what it is. The
            # phrase that reads best, the newest story's on ties.
            written = [
                (sid, c["description"])
                for sid, other in others
                for c in (other or {}).get("entities", [])
                if c.get("entity_id") == eid and c.get("description")
                if description_rank(str(c["description"]["text"])) < RELATIVE_CLAUSE
            ]
            found = min(written, key=lambda w: description_rank(str(w[1]["text"])), default=None)
            if found is not None:
                at = wanted[eid]
                cards[at] = {**cards[at], "description": found[1], "description_from": found[0]}
        return cards

    @staticmethod
    def _distinct_events(s: Session, survivor: str, links: Sequence[StoryLinkRow]) -> list[dict[str, Any]]:
        """Links as readers get them: each names its story's survivor, once, and only when it is another event. A
        link that a later merge made into a link to this story itself (ADR 0015), and one to a split of this
        story's event that consolidation left unmerged (`links.same_event`), are dropped."""
        ids = [lk.other_id for lk in links]
        named = select(StoryRow.story_id, family_root())
        roots: dict[str, str] = {r[0]: r[1] for r in s.execute(named.where(StoryRow.story_id.in_(ids)))}
        family = {survivor, *roots.values()}
        coverage = {
            r.story_id: Coverage(r.story_id, r.first_seen, r.last_seen, r.outlet_count)
            for r in s.execute(
                select(StoryRow.story_id, StoryRow.first_seen, StoryRow.last_seen, StoryRow.outlet_count).where(
                    StoryRow.story_id.in_(family)
                )
            )
        }
        passages = s.execute(passage_rows().where(in_families(family)))
        shared = shared_passages((p, r, o) for p, r, o in passages)
        out: list[dict[str, Any]] = []
        seen = {survivor}
        for lk in links:
            other = roots.get(lk.other_id, lk.other_id)
            if other in seen:
                continue
            seen.add(other)
            here, there = coverage.get(survivor), coverage.get(other)
            if here and there and same_event(here, there, lk.score, between(shared, survivor, other)):
                continue
            out.append({"story_id": other, "kind": lk.kind, "score": lk.score})
        return out

    def briefs(self, story_ids: Sequence[str]) -> dict[str, StoryBrief]:
        """Linked stories by the id the link names, each read as its survivor."""
        out: dict[str, StoryBrief] = {}
        with self._session() as s:
            for sid in sorted(set(story_ids)):
                row = s.get(StoryRow, sid)
                if row is not None and row.merged_into:
                    row = s.get(StoryRow, row.merged_into)
                if row is None or not row.sections:
                    continue
                out[sid] = StoryBrief.from_sections(row.story_id, row.first_seen, row.last_seen, row.sections)
        return out

    @staticmethod
    def _article_ref(a: ArticleRow) -> dict[str, Any]:
        ref = columns(a, _REF_COLUMNS)
        ref["published_at"] = _iso(a.published_at)
        return ref

    def articles(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self._session() as s:
            rows = s.scalars(select(ArticleRow).where(ArticleRow.article_id.in_(list(set(ids))))).all()
            return {r.article_id: self._article_ref(r) for r in rows}

    def article(self, article_id: str) -> dict[str, Any] | None:
        with self._session() as s:
            row = s.get(ArticleRow, article_id)
            if row is None:
                return None
            link = s.scalar(select(StoryArticleRow.story_id).where(StoryArticleRow.article_id == article_id))
            story = None
            if link is not None:
                parent = s.get(StoryRow, link)
                story = (parent.merged_into or parent.story_id) if parent else link
            return {
                **self._article_ref(row),
                "text": row.text,
                "language": row.language,
                "authors": list(row.authors or []),
                "revision_of": row.revision_of,
                "story_id": story,
            }

    def entities(
        self, query: str | None, kind: str | None, limit: int, offset: int
    ) -> tuple[int, list[dict[str, Any]]]:
        conds: list[Any] = []
        if query:
            conds.append(_contains(EntityRow.name, query.casefold()))
        if kind:
            conds.append(EntityRow.kind == kind)
        count = func.count(StoryEntityRow.story_id).label("stories")
        base = (
            select(EntityRow, count)
            .join(StoryEntityRow, StoryEntityRow.entity_id == EntityRow.entity_id)
            .join(StoryRow, StoryRow.story_id == StoryEntityRow.story_id)
            .where(StoryRow.merged_into.is_(None), *conds)
            .group_by(EntityRow.entity_id, EntityRow.name, EntityRow.kind, EntityRow.description)
        )
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
            if offset >= total:
                return total, []
            rows = s.execute(
                base.order_by(count.desc(), EntityRow.name).limit(max(1, min(limit, MAX_PAGE))).offset(max(0, offset))
            ).all()
            return total, [
                {
                    "entity_id": e.entity_id,
                    "name": e.name,
                    "kind": e.kind,
                    "description": e.description,
                    "story_count": n,
                }
                for e, n in rows
            ]

    def sources(self) -> list[dict[str, Any]]:
        with self._session() as s:
            counts = dict(s.execute(select(ArticleRow.source_id, func.count()).group_by(ArticleRow.source_id)).all())
            rows = s.scalars(select(SourceRow).order_by(SourceRow.id)).all()
            return [
                {
                    "source_id": r.id,
                    "name": r.name,
                    "home": r.home,
                    "language": r.language,
                    "country": r.country,
                    "enabled": r.enabled,
                    "article_count": counts.get(r.id, 0),
                }
                for r in rows
            ]
