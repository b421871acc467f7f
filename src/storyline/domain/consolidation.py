"""Story consolidation: find stories the online pass split and decide which merge into which (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from storyline.domain.clustering import ClusterParams, StoryState, rhythm_factor
from storyline.domain.features import cosine, top_k
from storyline.domain.passages import between


@dataclass(frozen=True)
class ConsolidationParams:
    # Story against story, not article against story: centroids are smoother than single articles, so the bar is
    # higher than the online threshold (0.15), and a merge must hold against the merged centroid (average link).
    threshold: float = 0.25
    # Stories further apart than this (event time, between their extents) are never merged: the pass repairs
    # splits caused by arrival order and the online window, it does not build timelines (that is "How we got here").
    max_gap: timedelta = timedelta(days=3)
    # Candidate pairs share at least one of each story's heaviest terms or entities (inverted index, not n²).
    query_terms: int = 25
    # A key shared by more stories than this pairs nothing: it says little, and its pairs would grow as n².
    max_posting: int = 200
    # Second kind of evidence (ADR 0015): two stories sharing at least this many 8-word runs (leads, quotes) from
    # different outlets used one source, so they are one event across a longer gap than the centroids alone
    # may bridge (the rhythm decay keeps a later *similar* event apart; a shared source is more than similar).
    # Chosen by cross-validation over topic folds (bench/cluster_grid.py), not on the whole corpus.
    min_shared_passages: int = 15
    passage_max_gap: timedelta = timedelta(days=14)


@dataclass(frozen=True)
class Merge:
    loser: str
    survivor: str
    score: float


def combine(story_id: str, members: Iterable[StoryState]) -> StoryState:
    """One state for a story and everything already merged into it: summed vectors, the union of extents. A member
    whose vectors another member already absorbed (a live merge) is not added twice."""
    members = list(members)
    inside = {sid for m in members for sid in m.absorbed}
    out = StoryState(story_id)
    for m in members:
        if m.story_id not in inside:
            out.absorb_story(m)
    return out


def gap(a: StoryState, b: StoryState) -> timedelta:
    """Event time between two stories' extents; zero when they overlap."""
    assert a.first_seen and a.last_seen and b.first_seen and b.last_seen
    if a.last_seen < b.first_seen:
        return b.first_seen - a.last_seen
    if b.last_seen < a.first_seen:
        return a.first_seen - b.last_seen
    return timedelta(0)


def story_similarity(a: StoryState, b: StoryState, cluster: ClusterParams) -> float:
    """The online clusterer's weighting, centroid against centroid (one scale for both passes), decayed by the
    earlier story's rhythm over the gap between them: the online pass kept a later burst apart from an earlier one
    for that reason (ClusterParams.rhythm_*), and consolidation must not undo it."""
    earlier = min((a, b), key=_survivor_key)
    return content_similarity(a, b, cluster) * rhythm_factor(gap(a, b), earlier, cluster)


def content_similarity(a: StoryState, b: StoryState, cluster: ClusterParams) -> float:
    """The online clusterer's weighting of terms, entities and title, centroid against centroid, without time."""
    at, ae, ati = a.centroid()
    bt, be, bti = b.centroid()
    base = cluster.w_terms * cosine(at, bt) + cluster.w_title * cosine(ati, bti)
    if ae and be:
        base += cluster.w_entities * cosine(ae, be)
    else:
        base /= cluster.w_terms + cluster.w_title
    return base


def _keys(story: StoryState, n: int) -> set[str]:
    return set(top_k(story.terms, n)) | {"e:" + k for k in top_k(story.entities, n)}


def _survivor_key(s: StoryState) -> tuple[object, str]:
    # The oldest story survives, so the id readers saw first keeps working; ties by id (order-free).
    return (s.first_seen, s.story_id)


@dataclass
class _Groups:
    states: dict[str, StoryState]
    root: dict[str, str] = field(default_factory=dict)

    def find(self, sid: str) -> str:
        while self.root.get(sid, sid) != sid:
            sid = self.root[sid]
        return sid


def merge_score(
    a: StoryState, b: StoryState, passages: int, params: ConsolidationParams, cluster: ClusterParams
) -> float | None:
    """The score two stories merge on, or None when they are separate events. Either their centroids agree within
    the gap (time-decayed similarity), or they share a source (`passages`: 8-word runs of their leads and quotes
    that different outlets share) within the longer passage gap, and their content agrees at least as much as one
    article must agree with a story to join it online."""
    span = gap(a, b)
    if span <= params.max_gap:
        score = story_similarity(a, b, cluster)
        if score >= params.threshold:
            return score
    if passages >= params.min_shared_passages and span <= params.passage_max_gap:
        score = content_similarity(a, b, cluster)
        if score >= cluster.threshold:
            return score
    return None


def _candidate_pairs(
    by_id: dict[str, StoryState],
    shared: Mapping[tuple[str, str], int],
    params: ConsolidationParams,
    cluster: ClusterParams,
) -> list[tuple[float, str, str]]:
    """Pairs sharing a heavy term or entity (inverted index, not n²) or a source passage, that would merge."""
    postings: dict[str, list[str]] = {}
    for sid in sorted(by_id):
        for key in _keys(by_id[sid], params.query_terms):
            postings.setdefault(key, []).append(sid)
    pairs: list[tuple[float, str, str]] = []
    seen: set[tuple[str, str]] = set()
    lists = [ids for ids in postings.values() if len(ids) <= params.max_posting]
    lists += [[a, b] for a, b in sorted(shared) if a in by_id and b in by_id]
    for ids in lists:
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if (a, b) in seen:
                    continue
                seen.add((a, b))
                score = merge_score(by_id[a], by_id[b], between(shared, a, b), params, cluster)
                if score is not None:
                    pairs.append((score, a, b))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return pairs


def plan_merges(
    stories: Sequence[StoryState],
    params: ConsolidationParams,
    cluster: ClusterParams,
    shared: Mapping[tuple[str, str], int] | None = None,
) -> list[Merge]:
    """Which stories to merge: candidate pairs that merge (`merge_score`), best first; each merge is re-checked
    against the groups built so far (average link: their summed centroids; for passages, the most any two of their
    members share), so one loose pair cannot chain two unrelated stories. Rounds repeat over the merged groups until
    nothing changes, so a second run of the pass finds nothing. `shared`: source passages per pair of story ids
    (`passages.shared_passages`)."""
    groups = _Groups({s.story_id: s for s in stories if s.first_seen is not None and s.last_seen is not None})
    links = dict(shared or {})
    merges: list[Merge] = []
    while True:
        roots = {sid: groups.states[sid] for sid in groups.states if groups.find(sid) == sid}
        merged_this_round = False
        for _, a, b in _candidate_pairs(roots, links, params, cluster):
            ra, rb = groups.find(a), groups.find(b)
            if ra == rb:
                continue
            ga, gb = groups.states[ra], groups.states[rb]
            score = merge_score(ga, gb, between(links, ra, rb), params, cluster)
            if score is None:
                continue
            survivor, loser = sorted((ga, gb), key=_survivor_key)
            groups.root[loser.story_id] = survivor.story_id
            groups.states[survivor.story_id] = combine(survivor.story_id, (survivor, loser))
            links = _fold_links(links, loser.story_id, survivor.story_id)
            merges.append(Merge(loser.story_id, survivor.story_id, round(score, 6)))
            merged_this_round = True
        if not merged_this_round:
            break
    # Point every loser at its final survivor (a survivor may itself have merged later in the pass).
    return [Merge(m.loser, groups.find(m.survivor), m.score) for m in merges]


def _fold_links(links: Mapping[tuple[str, str], int], loser: str, survivor: str) -> dict[tuple[str, str], int]:
    """Passage counts after a merge: the survivor's with any story is the most either member shares with it."""
    out: dict[tuple[str, str], int] = {}
    for pair, n in links.items():
        a, b = (survivor if sid == loser else sid for sid in pair)
        if a == b:
            continue
        key = (a, b) if a < b else (b, a)
        out[key] = max(out.get(key, 0), n)
    return out
