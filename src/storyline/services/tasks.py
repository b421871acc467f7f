"""Use cases behind the Airflow DAGs: thin task bodies call these with plain, serialisable values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from storyline.domain.records import Source
from storyline.events import TOPIC_BACKFILL, ArticleFetched, Event, headers
from storyline.ports import Publisher, RunPublisher
from storyline.services.pipeline import Pipeline


def source_to_dict(source: Source) -> dict[str, Any]:
    data = asdict(source)
    data["feeds"] = list(source.feeds)
    data["sitemaps"] = list(source.sitemaps)
    return data


def source_from_dict(data: dict[str, Any]) -> Source:
    return Source(**{**data, "feeds": tuple(data.get("feeds", ())), "sitemaps": tuple(data.get("sitemaps", ()))})


def crawl_one(pipeline: Pipeline, source: Source, publisher: RunPublisher, since: datetime | None) -> dict[str, int]:
    """Crawl one source and publish its fetched pages; delivery is checked before the task succeeds."""
    summary = pipeline.run([source], publisher=publisher, since=since)
    return {
        "feeds_fetched": summary.feeds_ok,
        "feeds_not_modified": summary.feeds_not_modified,
        "feeds_failed": summary.feeds_failed,
        "pages_fetched": summary.pages_fetched,
        "pages_failed": summary.pages_failed,
        "pages_disallowed": summary.pages_disallowed,
    }


class QualityError(Exception):
    """A data-quality check failed: the DAG run fails loudly with what was found."""


def check_quality(
    metrics: list[dict[str, Any]], max_empty_rate: float, max_age_hours: float, now: datetime
) -> list[str]:
    """Problems per source: no articles at all, stale (newest article older than max_age_hours), too many
    pages without text. Returns readable lines; empty means healthy."""
    problems: list[str] = []
    for m in metrics:
        sid = m["source_id"]
        if m["articles"] == 0:
            problems.append(f"{sid}: no articles stored")
            continue
        newest = m["newest_fetch"]
        if newest is not None and (now - newest).total_seconds() > max_age_hours * 3600:
            problems.append(f"{sid}: stale, last article fetched {newest.isoformat()}")
        attempts = m["articles"] + m["empty_pages"]
        if attempts and m["empty_pages"] / attempts > max_empty_rate:
            problems.append(f"{sid}: {m['empty_pages']}/{attempts} pages had no article text")
    return problems


def publish_backfill(
    archived: Sequence[ArticleFetched],
    publisher: RunPublisher,
    source_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """Put archived pages (optionally one source, an event-time range) on the backfill topic, oldest first.

    Event time travels with each event, so clustering places backfilled articles by publication time."""
    chosen = [
        e
        for e in archived
        if (source_id is None or e.source_id == source_id)
        and (start is None or e.event_time >= start)
        and (end is None or e.event_time < end)
    ]
    chosen.sort(key=lambda e: (e.event_time, e.article_id))
    sent = publish_events(TOPIC_BACKFILL, chosen, publisher)
    publisher.mark_complete()  # the backfill has ended: the workers need not wait out their quiet rule
    return sent


def publish_events(topic: str, events: Sequence[Event], publisher: Publisher) -> int:
    """Send events in order and wait until the broker has them all (a task succeeds only on delivery)."""
    for ev in events:
        publisher.send(topic, ev.key(), ev.to_bytes(), headers(ev))
    publisher.flush()
    return len(events)
