"""Dedup's decision for a batch: each article in turn against the stored articles its keys found and what the
batch decided before it, so a batch gets the verdicts of one article at a time (ADR 0010, 0016)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from storyline.domain.dedup import Candidate, Decision, Verdict, decide, shingles


@dataclass(frozen=True)
class DedupItem:
    """One article of a batch: the keys its candidates are looked up by, and what its verdict weighs."""

    article_id: str
    content_hash: str
    canonical_url: str
    bands: tuple[str, ...]
    shingles: frozenset[int]
    published_at_iso: str


@dataclass(frozen=True)
class StoredArticle:
    """An article as the warehouse holds it (no verdict yet: in flight, so no one's earlier copy)."""

    article_id: str
    canonical_url: str
    text: str
    published_at: datetime
    content_hash: str
    verdict: str | None
    duplicate_of: str | None
    revision_of: str | None
    dedup_similarity: float | None


@dataclass(frozen=True)
class Held:
    """What the warehouse held for a batch: the ids of the stored articles that share a content hash, a canonical
    URL or an LSH band key with one of its items, and those articles and the items' own stored rows."""

    by_hash: Mapping[str, frozenset[str]]
    by_url: Mapping[str, frozenset[str]]
    by_band: Mapping[str, frozenset[str]]
    articles: Mapping[str, StoredArticle]


@dataclass(frozen=True)
class Ruling:
    """An item's verdict, to return and to store (in batch order: an adoption rewrites the rows before it)."""

    item: DedupItem
    decision: Decision
    replayed: bool = False  # a redelivered article: its stored verdict, given back and not written again


class _Batch:
    """The warehouse as the next item of the batch sees it: the stored rows with the verdicts and adoptions the
    items before it made, and their bands."""

    def __init__(self, held: Held) -> None:
        self.held = held
        self.rows = dict(held.articles)
        self.bands = {key: set(ids) for key, ids in held.by_band.items()}
        self.shingles: dict[str, frozenset[int]] = {}  # of the candidates' stored texts, computed once

    def candidates(self, item: DedupItem) -> list[Candidate]:
        ids = set(self.held.by_hash.get(item.content_hash, ())) | set(self.held.by_url.get(item.canonical_url, ()))
        for band in item.bands:
            ids |= self.bands.get(band, set())
        out: list[Candidate] = []
        for cid in sorted(ids):
            found = self.rows.get(cid)
            if found is None or found.verdict is None:
                continue  # in flight (a later item of this batch, or another run's)
            if cid not in self.shingles:
                self.shingles[cid] = shingles(found.text)
            published = found.published_at.isoformat()
            out.append(Candidate(cid, found.canonical_url, self.shingles[cid], published, found.duplicate_of or cid))
        return out

    def record(self, item: DedupItem, decision: Decision) -> None:
        mine = self.rows.get(item.article_id)
        if mine is not None:  # no stored row, no row to update
            self.rows[item.article_id] = replace(
                mine,
                verdict=decision.verdict.value,
                duplicate_of=decision.duplicate_of,
                revision_of=decision.revision_of,
                dedup_similarity=round(decision.similarity, 4),
            )
        for band in item.bands:
            self.bands.setdefault(band, set()).add(item.article_id)
        if decision.adopts:
            # A late-arriving earlier copy: the former originals and their copies now point at it.
            for aid, known in list(self.rows.items()):
                if known.article_id in decision.adopts or known.duplicate_of in decision.adopts:
                    self.rows[aid] = replace(known, verdict=Verdict.DUPLICATE.value, duplicate_of=item.article_id)


def decide_batch(items: Sequence[DedupItem], held: Held) -> list[Ruling]:
    """Each item's verdict, in the order given (event-time order), as if each were decided alone after the ones
    before it: it sees their verdicts, their bands and the roots an earlier-published copy took over. A redelivered
    article (its stored row has a verdict and the same text) gets its stored verdict back."""
    batch = _Batch(held)
    out: list[Ruling] = []
    for item in items:
        stored = batch.rows.get(item.article_id)
        if stored is not None and stored.verdict is not None and stored.content_hash == item.content_hash:
            again = Decision(
                Verdict(stored.verdict), stored.duplicate_of, stored.revision_of, stored.dedup_similarity or 0.0
            )
            out.append(Ruling(item, again, replayed=True))
            continue
        candidates = batch.candidates(item)
        decision = decide(item.article_id, item.canonical_url, item.shingles, candidates, item.published_at_iso)
        batch.record(item, decision)
        out.append(Ruling(item, decision))
    return out
