"""The stories repository, clustering side: story states, memberships, term statistics, source passages and
merges (online, and the consolidation pass's)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import func, or_, select, update

from storyline.adapters.warehouse.engine import CHUNK, Repository, Tx, in_lists
from storyline.adapters.warehouse.queries import family_root, in_families, passage_rows
from storyline.adapters.warehouse.records import stored_story
from storyline.adapters.warehouse.tables import (
    ArticlePassageRow,
    StoryArticleRow,
    StoryMergeRow,
    StoryRow,
    TermFrequencyRow,
)
from storyline.domain.batches import chunked
from storyline.domain.consolidation import Merge
from storyline.domain.features import DocumentFrequencies
from storyline.ports import ClusterSteps, StoredStory

N_DOCS_KEY = ""  # the row of term_df that counts articles
# What a clustering step rewrites of a story's row.
_STATE_COLUMNS = ("state", "first_seen", "last_seen", "article_count", "sections_pending")


class SqlStories(Repository):
    def assignments_of(self, article_ids: Iterable[str]) -> dict[str, tuple[str, float, bool]]:
        """Each stored membership of these articles: (story, score, is_seed), in one transaction."""
        out: dict[str, tuple[str, float, bool]] = {}
        columns = (StoryArticleRow.article_id, StoryArticleRow.story_id, StoryArticleRow.score, StoryArticleRow.is_seed)
        with self.db.transaction() as tx:
            for chunk in in_lists(article_ids):
                for aid, sid, score, seed in tx.session.execute(
                    select(*columns).where(StoryArticleRow.article_id.in_(chunk))
                ):
                    out[aid] = (sid, score, seed)
        return out

    def active_stories(self, since: datetime) -> list[StoredStory]:
        with self.db.transaction() as tx:
            rows = tx.session.scalars(
                select(StoryRow)
                .where(StoryRow.last_seen >= since, StoryRow.merged_into.is_(None))
                .order_by(StoryRow.story_id)
            )
            return [stored_story(r) for r in rows]

    def story_state(self, story_id: str) -> StoredStory | None:
        with self.db.transaction() as tx:
            row = tx.session.get(StoryRow, story_id)
            return stored_story(row) if row is not None else None

    def load_document_frequencies(self) -> DocumentFrequencies:
        with self.db.transaction() as tx:
            df = dict(tx.session.execute(select(TermFrequencyRow.term, TermFrequencyRow.df)).all())
        n_docs = df.pop(N_DOCS_KEY, 0)
        return DocumentFrequencies(n_docs=n_docs, df=df)

    def save_cluster_steps(self, steps: ClusterSteps) -> None:
        """Clustering steps in one transaction. All or nothing: a run that dies finds the index, the statistics and
        the owed sections as they were after the last whole batch, so resuming gives the stories an uninterrupted
        run gives (ADR 0013)."""
        states = [
            {
                "story_id": st.story_id,
                "state": st.state,
                "first_seen": st.first_seen,
                "last_seen": st.last_seen,
                "article_count": int(st.state.get("article_count", 0)),
                "sections_pending": True,
            }
            for st in steps.stories
        ]
        members = [
            {"article_id": aid, "story_id": sid, "score": round(score, 6), "is_seed": seed}
            for aid, sid, score, seed in steps.memberships
        ]
        with self.db.transaction() as tx:
            tx.upsert(StoryRow, states, ["story_id"], _STATE_COLUMNS)
            tx.upsert(StoryArticleRow, members, ["article_id"])
            if steps.df is not None and steps.df[0]:
                _add_document_frequencies(tx, *steps.df)
            leads = [{"article_id": a, "passage": p} for a, p in steps.passages]
            tx.upsert(ArticlePassageRow, leads, ["article_id", "passage"])
            if steps.merges:
                _apply_merges(tx, steps.merges, steps.merged_at or datetime.now(UTC))

    def passage_holders(self, passages: Iterable[int]) -> list[tuple[int, str, str]]:
        """(passage, story root, outlet) for every stored article whose lead holds one of `passages`."""
        out: list[tuple[int, str, str]] = []
        with self.db.transaction() as tx:
            for chunk in chunked(sorted(set(passages)), CHUNK):
                rows = tx.session.execute(passage_rows().where(ArticlePassageRow.passage.in_(chunk)))
                out.extend((p, r, o) for p, r, o in rows)
        return out

    def family_passages(self, roots: Iterable[str]) -> list[tuple[int, str, str]]:
        """(passage, story root, outlet) for every source passage of the articles of these story families."""
        out: list[tuple[int, str, str]] = []
        with self.db.transaction() as tx:
            for chunk in in_lists(roots):
                out.extend((p, r, o) for p, r, o in tx.session.execute(passage_rows().where(in_families(chunk))))
        return out

    def resolve_story(self, story_id: str) -> str:
        """A merged story id resolves to its survivor; story ids never disappear for readers."""
        with self.db.transaction() as tx:
            merged = tx.session.scalar(select(StoryRow.merged_into).where(StoryRow.story_id == story_id))
        return merged or story_id

    def pending_sections(self) -> list[str]:
        """Stories whose membership changed after their sections were last written."""
        with self.db.transaction() as tx:
            pending = select(StoryRow.story_id).where(StoryRow.sections_pending.is_(True)).order_by("story_id")
            return list(tx.session.scalars(pending))

    # -- consolidation ------------------------------------------------------------------------------
    def latest_story_time(self) -> datetime | None:
        with self.db.transaction() as tx:
            latest: datetime | None = tx.session.scalar(select(func.max(StoryRow.last_seen)))
        return latest

    def story_families(self, since: datetime) -> list[tuple[str, StoredStory]]:
        """(root id, member state) for every story whose family was active since `since`; a root is its own member."""
        root = family_root()
        active = select(root).where(StoryRow.last_seen >= since)
        with self.db.transaction() as tx:
            rows = tx.session.execute(
                select(StoryRow, root.label("root")).where(in_families(active)).order_by(StoryRow.story_id)
            )
            return [(r.root, stored_story(r.StoryRow)) for r in rows]

    def record_merges(self, merges: Sequence[Merge], at: datetime) -> list[Merge]:
        """Apply merges in one transaction: the loser (and anything merged into it) points at the survivor, and the
        merge log gets a row. A loser merged before is left alone (re-runs are no-ops); returns what was applied."""
        with self.db.transaction() as tx:
            return _apply_merges(tx, merges, at)


def _add_document_frequencies(tx: Tx, n_docs: int, deltas: dict[str, int]) -> None:
    rows = [{"term": N_DOCS_KEY, "df": n_docs}] + [{"term": k[:256], "df": v} for k, v in sorted(deltas.items())]
    ins = tx.insert(TermFrequencyRow)
    stmt = ins.on_conflict_do_update(index_elements=["term"], set_={"df": TermFrequencyRow.df + ins.excluded.df})
    tx.session.execute(stmt, rows)


def _apply_merges(tx: Tx, merges: Sequence[Merge], at: datetime) -> list[Merge]:
    s = tx.session
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
        merge = {"loser": m.loser, "survivor": m.survivor, "score": m.score, "merged_at": at}
        tx.upsert(StoryMergeRow, [merge], ["loser"])
        done.append(m)
    return done
