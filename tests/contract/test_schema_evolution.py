"""Schema evolution: an event of the next minor version (today's plus an optional field) is valid for today's
consumers — by the committed schema and by the decoder — and producers cannot send a field the contract lacks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from storyline.events import (
    EVENT_TYPES,
    ArticleBody,
    ArticleDeduplicated,
    ArticleExtracted,
    ArticleFetched,
    CitedSentence,
    Event,
    PerspectiveOut,
    StoryAssigned,
    StoryLinkOut,
    StoryUpdated,
    decode,
    schema_id,
    story_merged,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "events"
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
BODY = ArticleBody(
    article_id="a1",
    url="https://gazette.example/a1",
    canonical_url="https://gazette.example/a1",
    source_id="gazette",
    source_name="The Gazette",
    title="Bridge reopens",
    text="The bridge reopened on Monday.",
    published_at=T0,
    fetched_at=T0,
    content_hash="h1",
    raw_object_key="raw/a1",
)
CITED = CitedSentence(text="The bridge reopened on Monday.", article_id="a1", start=0, end=30)
TODAY: dict[str, Event] = {
    "storyline.articles.fetched": ArticleFetched(
        event_time=T0,
        article_id="a1",
        url=BODY.url,
        canonical_url=BODY.canonical_url,
        source_id="gazette",
        source_name="The Gazette",
        raw_object_key="raw/a1",
        http_status=200,
        byte_size=1000,
        fetched_at=T0,
    ),
    "storyline.articles.extracted": ArticleExtracted(event_time=T0, article=BODY),
    "storyline.articles.deduplicated": ArticleDeduplicated(event_time=T0, article=BODY, verdict="new"),
    "storyline.stories.assigned": StoryAssigned(
        event_time=T0, story_id="st_1", article_id="a1", source_id="gazette", is_new_story=True, score=1.0
    ),
    "storyline.stories.updated": StoryUpdated(
        event_time=T0,
        story_id="st_1",
        headline="Bridge reopens",
        what_happened=[CITED],
        behind_the_headline=[],
        perspectives=[
            PerspectiveOut(source_id="gazette", source_name="The Gazette", article_ids=["a1"], sentences=[CITED])
        ],
        entities=[{"name": "Monday", "kind": "date"}],
        links=[StoryLinkOut(story_id="st_0", kind="background", score=0.4)],
        article_ids=["a1"],
        outlets=["The Gazette"],
        first_seen=T0,
        last_seen=T0,
        article_count=1,
        outlet_count=1,
    ),
}
TODAY["storyline.articles.backfill"] = TODAY["storyline.articles.fetched"]


def _next_minor(event: Event) -> dict[str, Any]:
    """The event as a producer of the next minor version would send it: an optional field added at the top and
    in every nested object (a consumer must tolerate both)."""

    def add(value: Any) -> Any:
        if isinstance(value, dict):
            # Entity cards are free-form objects already: a key added there is data, kept as sent.
            fields = {k: v if k == "entities" else add(v) for k, v in value.items()}
            return {**fields, "added_in_v1_1": {"any": ["shape", 1]}}
        if isinstance(value, list):
            return [add(v) for v in value]
        return value

    return add(json.loads(event.to_bytes()))  # type: ignore[no-any-return]


def _schema(topic: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{topic}.v1.schema.json").read_text("utf-8"))
    return schema


def test_every_topic_has_an_example() -> None:
    assert set(TODAY) == set(EVENT_TYPES)


@pytest.mark.parametrize("topic", sorted(EVENT_TYPES))
def test_schemas_name_their_dialect_and_id(topic: str) -> None:
    schema = _schema(topic)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == schema_id(topic) == f"urn:storyline:events:{topic}.v1"


@pytest.mark.parametrize("topic", sorted(EVENT_TYPES))
def test_an_event_of_the_next_minor_version_is_valid_for_todays_consumers(topic: str) -> None:
    today = TODAY[topic]
    newer = _next_minor(today)
    validator = Draft202012Validator(_schema(topic))
    # Today's event is valid, and so is the next minor version's.
    assert not list(validator.iter_errors(json.loads(today.to_bytes())))
    assert not list(validator.iter_errors(newer)), [e.message for e in validator.iter_errors(newer)]
    # The decoder reads it as the event it extends: same fields, same id.
    decoded = decode(topic, json.dumps(newer).encode())
    assert decoded == today and decoded.event_id == today.event_id


def test_a_breaking_change_is_still_refused() -> None:
    """Open to additions only: a missing required field or a changed type is invalid for schema and decoder."""
    topic = "storyline.stories.assigned"
    validator = Draft202012Validator(_schema(topic))
    for broken in (
        {k: v for k, v in json.loads(TODAY[topic].to_bytes()).items() if k != "story_id"},
        {**json.loads(TODAY[topic].to_bytes()), "score": "high"},
    ):
        assert list(validator.iter_errors(broken))
        with pytest.raises(Exception, match="not a valid StoryAssigned"):
            decode(topic, json.dumps(broken).encode())


def test_producers_cannot_send_a_field_the_contract_lacks() -> None:
    with pytest.raises(ValidationError):
        StoryAssigned.model_validate(
            {
                "event_time": T0,
                "story_id": "st_1",
                "article_id": "a1",
                "source_id": "gazette",
                "is_new_story": True,
                "score": 1.0,
                "added_in_v1_1": 1,
            }
        )


def test_a_merged_story_record_is_a_valid_story_updated_event() -> None:
    record = story_merged("st_2", "st_1", "Bridge shut", T0, T0)
    data = json.loads(record.to_bytes())
    assert not list(Draft202012Validator(_schema("storyline.stories.updated")).iter_errors(data))
    assert decode("storyline.stories.updated", record.to_bytes()) == record
    assert record.key() == "st_2" and record.merged_into == "st_1" and record.article_ids == []
    # Deterministic, as every event: a replay reproduces its id.
    assert story_merged("st_2", "st_1", "Bridge shut", T0, T0).event_id == record.event_id
