"""Data-quality rules of the `data_quality` DAG: empty sources, stale sources, too many pages without text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyline.services.tasks import check_quality

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def test_healthy_sources_pass() -> None:
    metrics = [{"source_id": "a", "articles": 10, "newest_fetch": NOW - timedelta(hours=2), "empty_pages": 1}]
    assert check_quality(metrics, max_empty_rate=0.5, max_age_hours=48, now=NOW) == []


def test_each_problem_is_named_with_its_source() -> None:
    metrics = [
        {"source_id": "silent", "articles": 0, "newest_fetch": None, "empty_pages": 0},
        {"source_id": "stale", "articles": 5, "newest_fetch": NOW - timedelta(days=4), "empty_pages": 0},
        {"source_id": "video", "articles": 1, "newest_fetch": NOW, "empty_pages": 3},
    ]
    problems = check_quality(metrics, max_empty_rate=0.5, max_age_hours=48, now=NOW)
    assert problems[0] == "silent: no articles stored"
    assert problems[1].startswith("stale: stale, last article fetched 2026-02-26")
    assert problems[2] == "video: 3/4 pages had no article text"
