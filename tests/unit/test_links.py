"""Links between stories: candidates by likeness, and splits of one event told apart from earlier events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyline.domain.links import Coverage, ProfileIndex, StoryProfile, related_links, same_event

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _cov(sid: str, start_day: float, end_day: float, outlets: int) -> Coverage:
    return Coverage(sid, T0 + timedelta(days=start_day), T0 + timedelta(days=end_day), outlets)


def test_older_linked_stories_are_background_and_the_index_finds_the_same_links() -> None:
    a = StoryProfile("a", T0, {"bank": 0.8, "bomb": 0.6})
    b = StoryProfile("b", T0 - timedelta(days=30), {"bank": 0.6, "bomb": 0.8})
    c = StoryProfile("c", T0 + timedelta(days=1), {"football": 1.0})
    links = related_links(a, [a, b, c])
    assert [(lk.other_id, lk.kind) for lk in links] == [("b", "background")]
    assert ProfileIndex([a, b, c]).links("a") == links


def test_a_lone_outlets_story_close_in_time_and_content_is_a_split_not_background() -> None:
    big = _cov("big", 0, 10, outlets=6)
    assert same_event(big, _cov("lone", 12, 12, outlets=1), score=0.3, shared=0)
    # Published while the other story ran: any link is enough.
    assert same_event(big, _cov("inside", 5, 5, outlets=1), score=0.13, shared=0)
    # The same likeness from a story several outlets covered is a related event.
    assert not same_event(big, _cov("other", 12, 13, outlets=3), score=0.3, shared=0)


def test_shared_source_passages_mean_one_event_but_not_months_apart() -> None:
    a, b = _cov("a", 0, 2, outlets=4), _cov("b", 3, 5, outlets=5)
    assert same_event(a, b, score=0.5, shared=3)
    assert not same_event(a, b, score=0.5, shared=2)
    # Two events a year apart may quote one statement; far apart they are two events however alike.
    assert not same_event(a, _cov("c", 365, 366, outlets=1), score=0.9, shared=10)
