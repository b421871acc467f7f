"""Publication-date plausibility: which claimed dates to believe, and datetime arithmetic that cannot overflow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Online news predates no feed or page we can fetch: an earlier date is a placeholder (0001-01-01) or a typo.
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
# Clock skew, mislabelled zones and embargoed posts put honest dates a little ahead of the fetch; a date further
# ahead (year 9999) would pin its story to the top of every "latest" list for ever.
FUTURE_TOLERANCE = timedelta(days=1)

_MIN = datetime.min.replace(tzinfo=UTC)
_MAX = datetime.max.replace(tzinfo=UTC)


def implausible(when: datetime, fetched_at: datetime) -> str | None:
    """Why `when` cannot be the publication time of a page fetched at `fetched_at`; None when it can be."""
    # Differences, not sums: `when - fetched_at` is a timedelta and never overflows, `fetched_at + x` could.
    if when < EARLIEST_PLAUSIBLE:
        return f"{when.isoformat()} is before {EARLIEST_PLAUSIBLE.year}"
    if when - fetched_at > FUTURE_TOLERANCE:
        return f"{when.isoformat()} is more than {FUTURE_TOLERANCE} after the fetch time {fetched_at.isoformat()}"
    return None


@dataclass(frozen=True)
class PublicationTime:
    """The publication time believed, which claim it came from ("fetch": none was plausible), and why each more
    preferred claim was passed over."""

    at: datetime
    origin: str
    doubts: tuple[str, ...] = ()


def publication_time(claims: Sequence[tuple[str, datetime | None]], fetched_at: datetime) -> PublicationTime:
    """The first plausible of (origin, date) `claims`, in order of preference, else the fetch time."""
    doubts: list[str] = []
    for origin, when in claims:
        if when is None:
            continue
        reason = implausible(when, fetched_at)
        if reason is None:
            return PublicationTime(when, origin, tuple(doubts))
        doubts.append(f"{origin} date {reason}")
    return PublicationTime(fetched_at, "fetch", tuple(doubts))


def minus(when: datetime, delta: timedelta) -> datetime:
    """`when - delta`, clipped to the representable range instead of raising OverflowError."""
    try:
        return when - delta
    except OverflowError:
        return _MIN if delta > timedelta(0) else _MAX
