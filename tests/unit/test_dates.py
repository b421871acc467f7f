"""Publication dates are kept to a plausible window, and clustering never raises on extreme dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storyline.domain.clustering import ClusterParams, StoryIndex, StoryState, time_factor
from storyline.domain.dates import EARLIEST_PLAUSIBLE, FUTURE_TOLERANCE, implausible, publication_time

FETCHED = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
PLUS_ONE = timezone(timedelta(hours=1))
MINUS_FIVE = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    "when",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 0, tzinfo=MINUS_FIVE),  # past the last representable UTC instant
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, 0, 30, tzinfo=PLUS_ONE),  # before the first representable UTC instant
        datetime(1989, 12, 31, 23, 59, tzinfo=UTC),
        FETCHED + FUTURE_TOLERANCE + timedelta(seconds=1),
    ],
)
def test_implausible_dates_are_named_with_a_reason(when: datetime) -> None:
    reason = implausible(when, FETCHED)
    assert reason is not None and when.isoformat() in reason


@pytest.mark.parametrize(
    "when",
    [
        EARLIEST_PLAUSIBLE,
        datetime(2026, 2, 3, 7, tzinfo=UTC),
        FETCHED + FUTURE_TOLERANCE,
        datetime(2001, 9, 11, tzinfo=UTC),
    ],
)
def test_plausible_dates_pass(when: datetime) -> None:
    assert implausible(when, FETCHED) is None


def test_publication_time_prefers_the_first_plausible_claim_and_says_why_it_passed_others() -> None:
    page, feed = datetime(9999, 1, 1, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC)
    chosen = publication_time([("page", page), ("feed", feed)], FETCHED)
    assert chosen.at == feed and chosen.origin == "feed"
    (doubt,) = chosen.doubts
    assert doubt.startswith("page date 9999-01-01") and "after the fetch time" in doubt

    fallback = publication_time([("page", datetime(1, 1, 1, tzinfo=UTC)), ("feed", None)], FETCHED)
    assert fallback.at == FETCHED and fallback.origin == "fetch" and "before 1990" in fallback.doubts[0]

    plain = publication_time([("page", None), ("feed", feed)], FETCHED)
    assert plain.at == feed and plain.doubts == ()


def _story(first: datetime, last: datetime) -> StoryState:
    return StoryState("s", terms={"ferry": 1.0}, article_count=2, first_seen=first, last_seen=last)


@pytest.mark.parametrize(
    ("when", "first", "last"),
    [
        (datetime.min.replace(tzinfo=UTC), FETCHED, FETCHED),
        (datetime.max.replace(tzinfo=UTC), FETCHED, FETCHED),
        (FETCHED, datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)),
        (datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)),
    ],
)
def test_clustering_never_raises_on_extreme_dates(when: datetime, first: datetime, last: datetime) -> None:
    params = ClusterParams()
    assert 0.0 <= time_factor(when, _story(first, last), params) <= 1.0
    index = StoryIndex(params)
    index.add(_story(first, last))
    index.assign("t", ({"ferry": 1.0}, {}, {}), when)
    index.expire(when)  # a window reaching before year 1 or after 9999 is clipped, not an OverflowError
