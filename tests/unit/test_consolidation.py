"""Consolidation planning: which split stories merge, which stay apart, who survives, order independence."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from storyline.domain.clustering import ClusterParams, StoryState
from storyline.domain.consolidation import ConsolidationParams, combine, gap, plan_merges, story_similarity
from storyline.domain.features import SparseVector

CLUSTER = ClusterParams()
PARAMS = ConsolidationParams(threshold=0.5, max_gap=timedelta(days=3))
T0 = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
Vectors = tuple[SparseVector, SparseVector, SparseVector]

FERRY: Vectors = ({"ferry": 0.8, "storm": 0.6}, {"bluewater lines": 1.0}, {"ferry": 1.0})
FERRY_LATER: Vectors = ({"ferry": 0.7, "storm": 0.5, "sailing": 0.5}, {"bluewater lines": 1.0}, {"ferry": 1.0})
BUDGET: Vectors = ({"budget": 0.6, "tax": 0.8}, {"treasury": 1.0}, {"budget": 1.0})
# Shares one word with each of FERRY and BUDGET: a bridge that single linkage would chain through.
BRIDGE: Vectors = ({"ferry": 0.6, "budget": 0.6}, {"bluewater lines": 0.7, "treasury": 0.7}, {"ferry": 0.7})


def _story(story_id: str, vectors: Vectors, at: datetime = T0, count: int = 1) -> StoryState:
    story = StoryState(story_id)
    for i in range(count):
        story.absorb(vectors, at + timedelta(hours=i), CLUSTER.centroid_terms)
    return story


def test_a_split_story_merges_into_the_oldest() -> None:
    early = _story("s-early", FERRY, T0)
    late = _story("s-late", FERRY_LATER, T0 + timedelta(days=1))
    other = _story("s-budget", BUDGET, T0)
    merges = plan_merges([late, other, early], PARAMS, CLUSTER)
    assert [(m.loser, m.survivor) for m in merges] == [("s-late", "s-early")]
    assert merges[0].score >= PARAMS.threshold


def test_stories_too_far_apart_stay_apart() -> None:
    early = _story("a", FERRY, T0)
    late = _story("b", FERRY, T0 + timedelta(days=5))
    assert gap(early, late) == timedelta(days=5) - timedelta(0)
    assert plan_merges([early, late], PARAMS, CLUSTER) == []
    wide = ConsolidationParams(threshold=0.5, max_gap=timedelta(days=6))
    assert [(m.loser, m.survivor) for m in plan_merges([early, late], wide, CLUSTER)] == [("b", "a")]


def test_a_burst_and_a_later_burst_stay_apart_but_a_slow_story_merges() -> None:
    # The same words, 2.5 days apart: after a tight burst (twelve articles an hour apart) that silence means a new
    # event, as the online pass judged it; after a story that moves at a day per article it is the same story.
    burst = _story("a-burst", FERRY, T0, count=12)
    assert burst.last_seen is not None
    after_burst = _story("b-next", FERRY_LATER, burst.last_seen + timedelta(days=2.5))
    assert plan_merges([burst, after_burst], PARAMS, CLUSTER) == []
    slow = StoryState("c-slow")
    for day in range(3):
        slow.absorb(FERRY, T0 + timedelta(days=day), CLUSTER.centroid_terms)
    assert slow.last_seen is not None
    after_slow = _story("d-next", FERRY_LATER, slow.last_seen + timedelta(days=2.5))
    assert [(m.loser, m.survivor) for m in plan_merges([slow, after_slow], PARAMS, CLUSTER)] == [("d-next", "c-slow")]


def test_a_bridge_does_not_chain_two_unrelated_stories() -> None:
    ferry, budget = _story("f", FERRY, count=3), _story("g", BUDGET, count=3)
    bridge = _story("h", BRIDGE, T0 + timedelta(hours=1))
    loose = ConsolidationParams(threshold=0.3, max_gap=timedelta(days=3))
    # Each pair with the bridge passes the bar on its own; single linkage would join all three.
    assert story_similarity(ferry, bridge, CLUSTER) >= 0.3 and story_similarity(budget, bridge, CLUSTER) >= 0.3
    assert story_similarity(ferry, budget, CLUSTER) < 0.3
    final = {m.loser: m.survivor for m in plan_merges([ferry, budget, bridge], loose, CLUSTER)}
    assert final.get("f", "f") != final.get("g", "g")
    assert len(final) == 1  # the bridge joins one side only


def test_the_plan_does_not_depend_on_input_order() -> None:
    stories = [
        _story("a", FERRY, T0),
        _story("b", FERRY_LATER, T0 + timedelta(hours=20)),
        _story("c", FERRY, T0 + timedelta(days=2)),
        _story("d", BUDGET, T0),
        _story("e", BUDGET, T0 + timedelta(hours=3)),
    ]
    want = plan_merges(stories, PARAMS, CLUSTER)
    assert {m.survivor for m in want} == {"a", "d"}
    for seed in range(5):
        shuffled = stories[:]
        random.Random(seed).shuffle(shuffled)
        assert plan_merges(shuffled, PARAMS, CLUSTER) == want


def test_combine_sums_vectors_and_spans_extents() -> None:
    a, b = _story("a", FERRY, T0, count=2), _story("b", FERRY_LATER, T0 + timedelta(days=1))
    both = combine("a", [a, b])
    assert both.article_count == 3
    assert both.first_seen == T0 and both.last_seen == T0 + timedelta(days=1)
    assert both.terms["ferry"] == a.terms["ferry"] + b.terms["ferry"]
    assert story_similarity(both, a, CLUSTER) > story_similarity(_story("x", BUDGET), a, CLUSTER)


def test_a_key_shared_by_too_many_stories_pairs_nothing() -> None:
    """Candidate generation stays sub-quadratic: a key in more than max_posting stories is skipped."""
    stories = [_story(f"s{i:03d}", FERRY, T0 + timedelta(minutes=i)) for i in range(5)]
    assert len(plan_merges(stories, PARAMS, CLUSTER)) == 4
    capped = ConsolidationParams(threshold=0.5, max_gap=timedelta(days=3), max_posting=3)
    assert plan_merges(stories, capped, CLUSTER) == []
