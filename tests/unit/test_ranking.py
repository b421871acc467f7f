"""Front-page ranking: breadth first, growth counts, age decays, several outlets before one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyline.domain.ranking import StoryStats, rank, significance

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def _story(sid: str, outlets: int, articles: int, hours_ago: float, span_h: float = 6.0) -> StoryStats:
    last = NOW - timedelta(hours=hours_ago)
    return StoryStats(sid, outlets, articles, last - timedelta(hours=span_h), last)


def test_several_outlets_rank_before_a_newer_single_outlet_story() -> None:
    wide = _story("wide", outlets=5, articles=9, hours_ago=10)
    single = _story("single", outlets=1, articles=1, hours_ago=0)
    assert rank([single, wide], NOW) == ["wide", "single"]


def test_more_outlets_and_faster_coverage_weigh_more_and_age_decays() -> None:
    assert significance(_story("a", 6, 8, 2), NOW) > significance(_story("b", 3, 8, 2), NOW)
    fast = _story("fast", 3, 12, 2, span_h=2)
    slow = _story("slow", 3, 12, 2, span_h=72)
    assert significance(fast, NOW) > significance(slow, NOW)
    # A day old, a big story gives way to a smaller one from this hour.
    old_big = _story("old", 8, 30, hours_ago=72)
    fresh = _story("fresh", 3, 4, hours_ago=1)
    assert rank([old_big, fresh], NOW) == ["fresh", "old"]


def test_equal_stories_rank_by_id_and_a_newer_one_first() -> None:
    a, b = _story("a", 1, 1, 5), _story("b", 1, 1, 5)
    assert rank([b, a], NOW) == ["a", "b"]
    assert rank([b, a, _story("c", 1, 1, 1)], NOW) == ["c", "a", "b"]
