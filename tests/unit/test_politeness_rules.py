"""Pure politeness rules: Retry-After parsing, AI-training opt-outs, adaptive feed polling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyline.domain.politeness import (
    ai_training_optouts,
    interleave_by_host,
    next_poll_due,
    parse_retry_after,
    parse_robots,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
BASE = timedelta(minutes=15)
CAP = timedelta(hours=4)


def test_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after("Sun, 01 Mar 2026 12:02:00 GMT", NOW) == 120.0
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


def test_ai_training_optouts_and_malformed_robots() -> None:
    robots = parse_robots(
        "User-agent: GPTBot\nDisallow: /\n\nUser-agent: CCBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    )
    assert ai_training_optouts(robots, "https://news.example/") == ["GPTBot", "CCBot"]
    garbage = parse_robots("<html><body>Oops, an error page where robots.txt should be</body></html>\n\x00\xff")
    assert garbage.can_fetch("https://news.example/a", "StorylineBot")  # nothing parsable: no restriction


def test_quiet_feeds_are_polled_less_often_and_a_change_resets() -> None:
    t = [NOW - timedelta(minutes=15 * i) for i in range(6)]
    assert next_poll_due([], BASE, CAP) is None
    assert next_poll_due([("fetched", t[0])], BASE, CAP) is None
    assert next_poll_due([("not-modified", t[0]), ("fetched", t[1])], BASE, CAP) is None
    two = [("not-modified", t[0]), ("not-modified", t[1]), ("fetched", t[2])]
    assert next_poll_due(two, BASE, CAP) == t[0] + 2 * BASE
    five = [("not-modified", ti) for ti in t[:5]]
    assert next_poll_due(five, BASE, CAP) == t[0] + CAP  # 15 min × 2^4 = 4 h, the cap
    changed = [("fetched", t[0]), *five]
    assert next_poll_due(changed, BASE, CAP) is None
    # Skips and failures are not polls: they neither reset nor extend the backoff.
    with_skips = [("skipped", t[0]), ("not-modified", t[1]), ("failed", t[2]), ("not-modified", t[3])]
    assert next_poll_due(with_skips, BASE, CAP) == t[1] + 2 * BASE


def test_interleave_by_host_alternates_hosts_and_keeps_each_hosts_order() -> None:
    urls = ["a/1", "a/2", "a/3", "b/1", "c/1", "c/2"]
    out = interleave_by_host(urls, lambda u: u.split("/")[0])
    assert out == ["a/1", "b/1", "c/1", "a/2", "c/2", "a/3"]
    assert sorted(out) == sorted(urls)  # nothing dropped or doubled
    assert interleave_by_host([], lambda u: u) == []
