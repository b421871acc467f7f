"""Run reports: an embedded run and a Kafka run count the same events the same way (stories by their latest record)."""

from __future__ import annotations

from datetime import UTC, datetime

from storyline.events import (
    TOPIC_ASSIGNED,
    TOPIC_DEDUPLICATED,
    TOPIC_FETCHED,
    TOPIC_UPDATED,
    ArticleBody,
    ArticleDeduplicated,
    Event,
    StoryAssigned,
    StoryUpdated,
    dlq_topic,
    story_merged,
)
from storyline.ports import InRecord
from storyline.services.pipeline import RunSummary, tally_stream

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _body(aid: str) -> ArticleBody:
    return ArticleBody(
        article_id=aid,
        url=f"https://x.example/{aid}",
        canonical_url=f"https://x.example/{aid}",
        source_id="x",
        source_name="X",
        title=aid,
        text=aid,
        published_at=T0,
        fetched_at=T0,
        content_hash=aid,
        raw_object_key=aid,
    )


def _snapshot(sid: str) -> StoryUpdated:
    return StoryUpdated(
        event_time=T0,
        story_id=sid,
        headline=sid,
        what_happened=[],
        behind_the_headline=[],
        perspectives=[],
        entities=[],
        links=[],
        article_ids=["a"],
        outlets=["X"],
        first_seen=T0,
        last_seen=T0,
        article_count=1,
        outlet_count=1,
    )


def _assigned(sid: str, aid: str, new: bool) -> StoryAssigned:
    return StoryAssigned(event_time=T0, story_id=sid, article_id=aid, source_id="x", is_new_story=new, score=1.0)


EVENTS: list[Event] = [
    ArticleDeduplicated(event_time=T0, article=_body("a1"), verdict="new"),
    ArticleDeduplicated(event_time=T0, article=_body("a2"), verdict="new"),
    ArticleDeduplicated(event_time=T0, article=_body("a3"), verdict="duplicate", duplicate_of="a1"),
    _assigned("st_1", "a1", True),
    _assigned("st_2", "a2", True),
    _assigned("st_1", "a3", False),
    _snapshot("st_1"),
    _snapshot("st_2"),
    _snapshot("st_old"),  # an older story whose links changed
    story_merged("st_2", "st_1", "st_2", T0, T0),  # st_2 opened, published, then merged: not new at the end
]


def test_stories_are_counted_by_their_latest_record() -> None:
    summary = RunSummary()
    summary.tally(EVENTS)
    assert (summary.articles_new, summary.articles_duplicate, summary.articles_revision) == (2, 1, 0)
    assert (summary.stories_new, summary.stories_updated, summary.stories_merged) == (1, 1, 1)


def test_a_kafka_run_counts_what_its_workers_published_once_each() -> None:
    topics = {ArticleDeduplicated: TOPIC_DEDUPLICATED, StoryAssigned: TOPIC_ASSIGNED, StoryUpdated: TOPIC_UPDATED}
    records = [InRecord(topics[type(ev)], 0, n, ev.key().encode(), ev.to_bytes(), 0) for n, ev in enumerate(EVENTS)]
    redelivered = records[:4]  # at-least-once: a worker replayed part of its batch
    dead = [InRecord(dlq_topic(TOPIC_FETCHED), 0, n, b"page", b"{}", 0) for n in range(2)]  # one page, twice
    poison = [InRecord(TOPIC_ASSIGNED, 0, 99, None, b"not json", 0)]
    summary = RunSummary()
    tally_stream(summary, [*records, *redelivered, *dead, *poison])
    embedded = RunSummary()
    embedded.tally(EVENTS)
    assert summary.extract_failed == 1
    summary.extract_failed = 0
    assert summary.lines() == embedded.lines()
