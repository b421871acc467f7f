"""Online clustering: time decay, best-story choice (threshold, tie-break), StoryIndex assignment, state JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from storyline.domain.clustering import (
    Assignment,
    ClusterParams,
    StoryIndex,
    StoryState,
    best_story,
    rhythm_factor,
    similarity,
    state_from_json,
    state_to_json,
    time_factor,
)
from storyline.domain.features import DocumentFrequencies, SparseVector, extract_features, weighted

PARAMS = ClusterParams()
T0 = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
Vectors = tuple[SparseVector, SparseVector, SparseVector]


def _story(story_id: str, vectors: Vectors, first: datetime = T0, last: datetime | None = None) -> StoryState:
    story = StoryState(story_id)
    story.absorb(vectors, first, PARAMS.centroid_terms)
    if last is not None:
        story.absorb(vectors, last, PARAMS.centroid_terms)
    return story


FERRY: Vectors = ({"ferry": 0.8, "storm": 0.6}, {"bluewater lines": 1.0}, {"ferry": 1.0})
BUDGET: Vectors = ({"budget": 0.6, "tax": 0.8}, {"treasury": 1.0}, {"budget": 1.0})


def test_time_factor_is_one_inside_extent() -> None:
    story = _story("st_a", FERRY, T0, T0 + timedelta(days=2))
    assert time_factor(T0 + timedelta(days=1), story, PARAMS) == 1.0
    assert time_factor(T0, story, PARAMS) == 1.0
    assert time_factor(T0 + timedelta(days=2), story, PARAMS) == 1.0


@pytest.mark.parametrize("sign", [1, -1])
def test_time_factor_is_one_within_grace_on_either_side(sign: int) -> None:
    story = _story("st_a", FERRY, T0)
    assert time_factor(T0 + sign * PARAMS.grace, story, PARAMS) == 1.0
    assert time_factor(T0 + sign * timedelta(hours=1), story, PARAMS) == 1.0


@pytest.mark.parametrize("sign", [1, -1])
def test_time_factor_is_zero_beyond_active_window(sign: int) -> None:
    story = _story("st_a", FERRY, T0)
    assert time_factor(T0 + sign * (PARAMS.active_window + timedelta(seconds=1)), story, PARAMS) == 0.0
    assert time_factor(T0 + sign * timedelta(days=30), story, PARAMS) == 0.0


def test_time_factor_decays_between_grace_and_window() -> None:
    story = _story("st_a", FERRY, T0)
    one_half_life = T0 + PARAMS.grace + PARAMS.half_life
    assert time_factor(one_half_life, story, PARAMS) == pytest.approx(0.5)
    gaps = [PARAMS.grace + timedelta(hours=h) for h in (1, 12, 24, 48, 96)]
    values = [time_factor(T0 + g, story, PARAMS) for g in gaps]
    assert all(0.0 < v < 1.0 for v in values)
    assert values == sorted(values, reverse=True)
    # The decay is measured from the nearest edge of the story's extent.
    wide = _story("st_b", FERRY, T0 - timedelta(days=1), T0)
    assert time_factor(one_half_life, wide, PARAMS) == pytest.approx(0.5)


def _burst(story_id: str, start: datetime, count: int, every: timedelta) -> StoryState:
    story = StoryState(story_id)
    for i in range(count):
        story.absorb(FERRY, start + i * every, PARAMS.centroid_terms)
    return story


def test_after_a_burst_a_long_silence_decays_faster_than_the_absolute_clock() -> None:
    # Ten articles two hours apart: the burst is over long before the absolute grace period ends.
    burst = _burst("st_burst", T0, 10, timedelta(hours=2))
    assert burst.last_seen is not None
    later = burst.last_seen + timedelta(hours=30)  # inside the absolute grace (36 h)
    typical = (burst.last_seen - T0 + PARAMS.rhythm_prior) / 10
    assert typical == timedelta(hours=(18 + 24) / 10)
    expected = 0.5 ** ((timedelta(hours=30) / typical - PARAMS.rhythm_grace) / PARAMS.rhythm_half_life)
    assert rhythm_factor(timedelta(hours=30), burst, PARAMS) == pytest.approx(expected)
    assert time_factor(later, burst, PARAMS) == pytest.approx(expected)
    assert expected < 0.35


def test_a_slow_story_keeps_the_absolute_decay() -> None:
    # Four articles two days apart: a gap of two days is this story's normal pace, not a new event.
    slow = _burst("st_slow", T0, 4, timedelta(days=2))
    assert slow.last_seen is not None
    assert rhythm_factor(timedelta(days=2), slow, PARAMS) == 1.0
    assert time_factor(slow.last_seen + timedelta(days=2), slow, PARAMS) == pytest.approx(
        0.5 ** ((timedelta(days=2) - PARAMS.grace) / PARAMS.half_life)
    )


def test_a_young_story_is_not_judged_bursty_on_two_articles() -> None:
    # Two articles a minute apart: the prior gap (a day) dominates, so a follow-up a day later is within grace.
    pair = _burst("st_pair", T0, 2, timedelta(minutes=1))
    assert rhythm_factor(timedelta(hours=24), pair, PARAMS) == 1.0


def test_similarity_of_identical_vectors_is_one() -> None:
    story = _story("st_a", FERRY)
    assert similarity(FERRY, T0, story, PARAMS) == pytest.approx(1.0)


def test_missing_entities_do_not_penalise() -> None:
    no_entities: Vectors = (FERRY[0], {}, FERRY[2])
    story = _story("st_a", FERRY)
    assert similarity(no_entities, T0, story, PARAMS) == pytest.approx(1.0)


def test_best_story_picks_the_closest_above_threshold() -> None:
    ferry, budget = _story("st_ferry", FERRY), _story("st_budget", BUDGET)
    got = best_story(FERRY, T0, [budget, ferry], PARAMS)
    assert got.story_id == "st_ferry"
    assert got.score == pytest.approx(1.0)


def test_best_story_below_threshold_opens_new() -> None:
    budget = _story("st_budget", BUDGET)
    assert best_story(FERRY, T0, [budget], PARAMS) == Assignment(None, 0.0)
    assert best_story(FERRY, T0, [], PARAMS) == Assignment(None, 0.0)


def test_best_story_threshold_is_inclusive_and_respected() -> None:
    story = _story("st_a", FERRY)
    at = T0 + PARAMS.grace + PARAMS.half_life
    score = similarity(FERRY, at, story, PARAMS)
    assert score == pytest.approx(0.5)
    assert best_story(FERRY, at, [story], ClusterParams(threshold=score)).story_id == "st_a"
    assert best_story(FERRY, at, [story], ClusterParams(threshold=score + 1e-9)).story_id is None


def test_best_story_ignores_stories_out_of_the_window() -> None:
    story = _story("st_a", FERRY)
    assert best_story(FERRY, T0 + timedelta(days=8), [story], PARAMS).story_id is None


def test_best_story_tie_goes_to_smallest_story_id() -> None:
    a, b, c = _story("st_b", FERRY), _story("st_a", FERRY), _story("st_c", FERRY)
    for order in ([a, b, c], [c, b, a], [b, c, a]):
        assert best_story(FERRY, T0, order, PARAMS).story_id == "st_a"


FERRY_1 = (
    "Ferry service resumes after storm",
    "Ferries between Port Ellis and Marrow Island resumed on Tuesday after two days of cancellations caused by "
    "the storm. Bluewater Lines said extra crossings would run to clear the backlog of passengers.",
)
FERRY_2 = (
    "Marrow Island ferries sail again after storm",
    "Bluewater Lines restarted its ferry crossings to Marrow Island from Port Ellis on Tuesday once the storm "
    "had passed. Passengers queued for the first sailings of the ferry.",
)
BUDGET_1 = (
    "Treasury unveils spending plan",
    "The Treasury published its spending plan, raising the tax on fuel and cutting grants to regional councils. "
    "Opposition leaders called the budget reckless and promised to vote against it.",
)


def _vectors(aid: str, title: str, text: str, at: datetime, dfs: DocumentFrequencies) -> Vectors:
    feats = extract_features(aid, "src", at, title, text)
    dfs.add(feats.df_keys())
    return weighted(feats, dfs)


def test_story_index_opens_joins_and_keeps_apart() -> None:
    index = StoryIndex(PARAMS)
    dfs = DocumentFrequencies()
    story, decision = index.assign("st_ferry", _vectors("a1", *FERRY_1, T0, dfs), T0)
    assert decision.story_id is None
    assert story.story_id == "st_ferry"
    assert story.article_count == 1
    assert len(index) == 1

    t1 = T0 + timedelta(hours=3)
    story, decision = index.assign("st_unused", _vectors("a2", *FERRY_2, t1, dfs), t1)
    assert decision.story_id == "st_ferry"
    assert decision.score >= PARAMS.threshold
    assert story.story_id == "st_ferry"
    assert story.article_count == 2
    assert story.first_seen == T0
    assert story.last_seen == t1
    assert len(index) == 1

    t2 = T0 + timedelta(hours=4)
    story, decision = index.assign("st_budget", _vectors("a3", *BUDGET_1, t2, dfs), t2)
    assert decision.story_id is None
    assert story.story_id == "st_budget"
    assert len(index) == 2
    assert index.stories["st_ferry"].article_count == 2


def test_story_index_candidates_come_from_shared_terms() -> None:
    index = StoryIndex(PARAMS)
    index.add(_story("st_ferry", FERRY))
    index.add(_story("st_budget", BUDGET))
    assert [s.story_id for s in index.candidates(FERRY)] == ["st_ferry"]
    assert index.candidates(({"unrelated": 1.0}, {}, {})) == []


def test_story_index_expire_drops_dormant_stories() -> None:
    index = StoryIndex(PARAMS)
    index.add(_story("st_old", FERRY, T0))
    index.add(_story("st_new", BUDGET, T0 + timedelta(days=6)))
    gone = index.expire(T0 + timedelta(days=8))
    assert gone == ["st_old"]
    assert list(index.stories) == ["st_new"]
    assert index.candidates(FERRY) == []


def test_state_json_roundtrip() -> None:
    story = _story("st_a", FERRY, T0, T0 + timedelta(hours=5))
    data = json.loads(json.dumps(state_to_json(story)))
    back = state_from_json("st_a", data, story.first_seen or T0, story.last_seen or T0)
    assert back == story


def test_state_from_json_tolerates_missing_or_bad_fields() -> None:
    back = state_from_json("st_x", {"terms": "not a dict", "article_count": "3"}, T0, T0)
    assert back.terms == {}
    assert back.entities == {}
    assert back.article_count == 0
    assert back.first_seen == T0
