"""Which host a crawl sends to next: a ready host is never held up by one that is not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyline.domain.politeness import next_ready

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_the_first_ready_host_in_plan_order_goes_next() -> None:
    heads = {"a": 0, "b": 1, "c": 2}
    everyone = dict.fromkeys(heads, NOW)
    assert next_ready(heads, everyone, NOW) == "a"  # all ready: plan order, as interleaved
    backed_off = {**everyone, "a": NOW + timedelta(days=1)}
    assert next_ready(heads, backed_off, NOW) == "b"  # a's back-off passes it over, it does not stop b
    assert next_ready(heads, dict.fromkeys(heads, NOW + timedelta(seconds=1)), NOW) is None
    assert next_ready({}, {}, NOW) is None
