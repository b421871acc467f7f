"""Source passages as evidence of one event: what counts as shared, and how consolidation uses it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyline.domain.clustering import ClusterParams, StoryState
from storyline.domain.consolidation import ConsolidationParams, combine, plan_merges
from storyline.domain.features import SparseVector
from storyline.domain.passages import LEAD_WORDS, between, shared_passages, source_passages

CLUSTER = ClusterParams()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Vectors = tuple[SparseVector, SparseVector, SparseVector]
WIRE = (
    "The harbour authority closed the northern ferry terminal on Monday after a storm tore the roof from the "
    "waiting hall, leaving some four hundred passengers stranded overnight in the town hall."
)


def test_a_rewrite_shares_the_passages_of_its_source_and_an_unrelated_text_none() -> None:
    original = source_passages("Storm closes ferry terminal", WIRE)
    rewrite = source_passages("Passengers stranded", "Chaos in the port. " + WIRE.replace("Monday", "Monday morning"))
    other = source_passages("Budget talks", "Ministers met on Monday to agree the budget for the coming year at last.")
    assert len(original & rewrite) >= 10
    assert not original & other
    # Case and punctuation do not hide a shared run; words beyond the lead do not count.
    assert source_passages("", WIRE.upper()) == source_passages("", WIRE)
    tail = source_passages("", " ".join(["filler"] * LEAD_WORDS) + " " + WIRE)
    assert not tail & original


def test_only_passages_from_different_outlets_and_not_boilerplate_link_stories() -> None:
    rows = [(1, "a", "wire"), (1, "b", "paper"), (2, "a", "site"), (2, "b", "site")]
    rows += [(3, f"s{i}", f"o{i}") for i in range(30)]  # a footer on thirty stories
    shared = shared_passages(rows, max_posting=20)
    assert shared == {("a", "b"): 1}
    assert between(shared, "b", "a") == between(shared, "a", "b") == 1


def _story(story_id: str, vectors: Vectors, at: datetime, count: int = 3) -> StoryState:
    story = StoryState(story_id)
    for i in range(count):
        story.absorb(vectors, at + timedelta(hours=i), CLUSTER.centroid_terms)
    return story


FERRY: Vectors = ({"ferry": 0.8, "storm": 0.6}, {"harbour authority": 1.0}, {"ferry": 1.0})
FERRY_AGAIN: Vectors = ({"ferry": 0.7, "storm": 0.5, "stranded": 0.5}, {"harbour authority": 1.0}, {"storm": 1.0})


def test_a_shared_source_bridges_a_gap_the_centroids_alone_may_not() -> None:
    params = ConsolidationParams(min_shared_passages=15, passage_max_gap=timedelta(days=14))
    early = _story("s-early", FERRY, T0)
    late = _story("s-late", FERRY_AGAIN, T0 + timedelta(days=9))
    assert plan_merges([early, late], params, CLUSTER) == []  # nine quiet days: the rhythm keeps them apart
    assert plan_merges([early, late], params, CLUSTER, {("s-early", "s-late"): 14}) == []
    merged = plan_merges([early, late], params, CLUSTER, {("s-early", "s-late"): 15})
    assert [(m.loser, m.survivor) for m in merged] == [("s-late", "s-early")]
    # Not beyond the passage gap, and not when the content disagrees (a shared quote in two unrelated stories).
    far = _story("s-far", FERRY_AGAIN, T0 + timedelta(days=20))
    assert plan_merges([early, far], params, CLUSTER, {("s-early", "s-far"): 99}) == []
    budget = _story("s-budget", ({"budget": 1.0}, {"treasury": 1.0}, {"budget": 1.0}), T0 + timedelta(days=2))
    assert plan_merges([early, budget], params, CLUSTER, {("s-budget", "s-early"): 99}) == []


def test_a_story_merged_live_is_not_counted_twice_by_the_daily_pass() -> None:
    survivor = _story("s-1", FERRY, T0)
    loser = _story("s-2", FERRY_AGAIN, T0 + timedelta(hours=5))
    live = _story("s-1", FERRY, T0)
    live.absorb_story(loser)
    assert live.absorbed == frozenset({"s-2"})
    once = combine("s-1", [survivor, loser])
    again = combine("s-1", [live, loser])  # the family as the warehouse holds it after a live merge
    assert again.terms == once.terms and again.article_count == once.article_count == 6


def test_a_quotation_shared_anywhere_in_the_text_counts_as_a_shared_source() -> None:
    quote = "“We will have the terminal open again before the winter timetable starts,” the harbour master said."

    def padding(tag: str) -> str:  # each text's own lead, so that only the quotation can be shared
        return " ".join(f"{tag}{i}" for i in range(LEAD_WORDS))

    one = source_passages("Terminal to reopen", padding("a") + " " + quote)
    other = source_passages("Harbour master vows repairs", padding("b") + " Later, " + quote)
    unquoted = source_passages("Repairs", padding("c") + " " + quote.replace("“", "").replace("”", ""))
    assert len(one & other) >= 5
    assert not unquoted & one  # the same words beyond the lead, but not as a quotation: not a shared source
