"""The stories repository, enrichment side: a story's articles and profile in, its sections and their child rows
(perspectives, entity cards, links) out, with the snapshot the change feed publishes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import defer

from storyline.adapters.warehouse.engine import Repository, Tx, in_lists, json_digest
from storyline.adapters.warehouse.records import story_article
from storyline.adapters.warehouse.tables import (
    ArticleRow,
    EntityRow,
    StoryArticleRow,
    StoryEntityRow,
    StoryLinkRow,
    StoryPerspectiveRow,
    StoryRow,
)
from storyline.domain.enrichment import Sections, StoryArticle
from storyline.domain.entities import entity_id
from storyline.domain.features import normalise
from storyline.domain.links import Link, StoryProfile

_PERSPECTIVE_COLUMNS = ("source_id", "source_name", "article_ids", "sentences")


class SqlSections(Repository):
    def story_articles_many(self, story_ids: Sequence[str]) -> dict[str, list[StoryArticle]]:
        """Each story's articles and those of the stories merged into it, in event-time order: one transaction,
        a query per chunk of stories (not one per story)."""
        wanted = list(dict.fromkeys(story_ids))
        out: dict[str, list[StoryArticle]] = {sid: [] for sid in wanted}
        with self.db.transaction() as tx:
            for chunk in in_lists(wanted):
                family = _families(tx, chunk)
                rows = tx.session.execute(
                    select(StoryArticleRow.story_id, ArticleRow)
                    .join(ArticleRow, ArticleRow.article_id == StoryArticleRow.article_id)
                    .where(StoryArticleRow.story_id.in_(list(family)))
                    .order_by(ArticleRow.published_at, ArticleRow.article_id)
                )
                for member, row in rows:
                    article = story_article(row)
                    for sid in family[member]:
                        out[sid].append(article)
        return out

    def story_profiles(self, exclude: str) -> list[StoryProfile]:
        out: list[StoryProfile] = []
        with self.db.transaction() as tx:
            rows = tx.session.execute(
                select(StoryRow.story_id, StoryRow.first_seen, StoryRow.state).where(
                    StoryRow.story_id != exclude, StoryRow.merged_into.is_(None)
                )
            )
            for sid, first, state in rows:
                vec = dict(state.get("terms", {}))
                vec.update({"e:" + k: v for k, v in state.get("entities", {}).items()})
                out.append(StoryProfile(sid, first, normalise(vec)))
        return out

    def save_sections_many(
        self, items: Sequence[tuple[str, Sections, Sequence[Link]]], settled: Sequence[str] = ()
    ) -> list[dict[str, Any] | None]:
        """Write stories' sections and child rows in one transaction; per story, its snapshot (as
        `story_snapshot`) if it has a new version, None if nothing changed. Rows as one story at a time.
        `settled`: stories merged into these whose change-feed records the caller has made (ADR 0020)."""
        ids = [sid for sid, *_ in items]
        with self.db.transaction() as tx:
            s = tx.session
            # Neither the cluster state nor the old sections is read here: not decoded either.
            unread = (defer(StoryRow.state), defer(StoryRow.sections))
            rows = select(StoryRow).where(StoryRow.story_id.in_(ids)).options(*unread)
            stories = {r.story_id: r for r in s.scalars(rows)}
            members = _family_article_ids(tx, ids)
            children = _Children()
            changed: list[str] = []
            for sid, sections, links in items:
                story = stories.get(sid)
                if story is None:
                    raise KeyError(sid)
                payload = _payload(sections, links)
                version = json_digest(payload)
                if story.version == version:
                    continue
                changed.append(sid)
                story.headline = sections.headline
                story.sections = payload
                story.outlet_count = len(sections.outlets)
                story.article_count = len(members[sid])
                story.version = version
                children.add(sid, sections, links, payload)
            # The sections are owed no more, for the story and the settled ones merged into it (its sections cover
            # theirs). In streaming mode a member assigned meanwhile also reaches the enrich worker as an event, which
            # marks the story again there; a story merged into it meanwhile (by the cluster worker) is not settled,
            # so it stays marked and the next flush makes its record.
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
                children.write(tx, changed)
            snapshots = {sid: _snapshot(tx, sid, members[sid]) for sid in changed}
            return [snapshots.get(sid) for sid in ids]

    def story_snapshot(self, story_id: str) -> dict[str, Any]:
        with self.db.transaction() as tx:
            return _snapshot(tx, story_id)


class _Children:
    """The child rows of the stories whose sections changed: rewritten whole, after the old ones are deleted."""

    def __init__(self) -> None:
        self.perspectives: list[dict[str, Any]] = []
        self.entities: list[dict[str, Any]] = []
        self.story_entities: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []

    def add(self, sid: str, sections: Sections, links: Sequence[Link], payload: dict[str, Any]) -> None:
        self.perspectives.extend(
            {"story_id": sid, **{k: p[k] for k in _PERSPECTIVE_COLUMNS}} for p in payload["perspectives"]
        )
        for e in sections.entities:
            eid = entity_id(e.kind, e.name)
            description = e.description.text if e.description else None
            self.entities.append({"entity_id": eid, "name": e.name, "kind": e.kind, "description": description})
            self.story_entities.append(
                {"story_id": sid, "entity_id": eid, "salience": e.salience, "article_count": e.article_count}
            )
        self.links.extend(
            {"story_id": sid, "other_id": lk.other_id, "kind": lk.kind, "score": lk.score} for lk in links
        )

    def write(self, tx: Tx, changed: list[str]) -> None:
        for table in (StoryPerspectiveRow, StoryEntityRow, StoryLinkRow):
            tx.session.execute(delete(table).where(table.story_id.in_(changed)))
        if self.entities:
            # Entities are shared by stories: a row's description is the first one found (a story's card cites
            # its own description, with its article and span, in the story's sections).
            ins = tx.insert(EntityRow)
            first = func.coalesce(EntityRow.__table__.c.description, ins.excluded.description)
            stmt = ins.on_conflict_do_update(index_elements=["entity_id"], set_={"description": first})
            tx.session.execute(stmt, self.entities)
        for table, rows in (
            (StoryPerspectiveRow, self.perspectives),
            (StoryEntityRow, self.story_entities),
            (StoryLinkRow, self.links),
        ):
            if rows:
                tx.session.execute(insert(table), rows)


def _payload(sections: Sections, links: Sequence[Link]) -> dict[str, Any]:
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


def _families(tx: Tx, story_ids: Sequence[str]) -> dict[str, list[str]]:
    """Member story → the given stories whose family it is in (itself, the one it was merged into)."""
    family: dict[str, list[str]] = {sid: [sid] for sid in story_ids}
    merged = select(StoryRow.story_id, StoryRow.merged_into).where(StoryRow.merged_into.in_(list(story_ids)))
    for member, into in tx.session.execute(merged):
        family.setdefault(member, []).append(str(into))
    return family


def _family_article_ids(tx: Tx, story_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each story's article ids and those of the stories merged into it, in event-time order: a query per chunk of
    stories, not one per story."""
    out: dict[str, list[str]] = {sid: [] for sid in story_ids}
    for chunk in in_lists(list(out)):
        family = _families(tx, chunk)
        rows = tx.session.execute(
            select(StoryArticleRow.story_id, StoryArticleRow.article_id)
            .join(ArticleRow, ArticleRow.article_id == StoryArticleRow.article_id)
            .where(StoryArticleRow.story_id.in_(list(family)))
            .order_by(ArticleRow.published_at, ArticleRow.article_id)
        )
        for member, article_id in rows:
            for sid in family[member]:
                out[sid].append(article_id)
    return out


def _snapshot(tx: Tx, story_id: str, article_ids: list[str] | None = None) -> dict[str, Any]:
    """What the change feed publishes of a story; `article_ids`: its family's, when the caller has read them."""
    story = tx.session.get(StoryRow, story_id)
    if story is None:
        raise KeyError(story_id)
    ids = _family_article_ids(tx, [story_id])[story_id] if article_ids is None else article_ids
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
