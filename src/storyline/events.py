"""The wire contract: pydantic event models, their topics and deterministic event ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from storyline.domain.errors import PermanentError
from storyline.domain.ids import digest, event_id

SCHEMA_VERSION = 1

TOPIC_FETCHED = "storyline.articles.fetched"
TOPIC_BACKFILL = "storyline.articles.backfill"  # same events as TOPIC_FETCHED, from the raw archive
TOPIC_EXTRACTED = "storyline.articles.extracted"
TOPIC_DEDUPLICATED = "storyline.articles.deduplicated"
TOPIC_ASSIGNED = "storyline.stories.assigned"
TOPIC_UPDATED = "storyline.stories.updated"


class Frozen(BaseModel):
    """What every event and its parts are: immutable, and strict about fields (a producer's misspelt field is a
    validation error here, not a value silently dropped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Frozen):
    """Common envelope. `event_id` is derived from the content, so a replay reproduces it exactly."""

    event_type: str
    schema_version: int = SCHEMA_VERSION
    event_id: str = ""
    event_time: AwareDatetime = Field(description="Event time: publication time of the article or story change.")

    def subject(self) -> str:
        raise NotImplementedError

    def key(self) -> str:
        """Partition key: article id for article topics, story id for story topics."""
        return self.subject()

    def payload_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"event_id"})
        return digest(json.dumps(body, sort_keys=True, separators=(",", ":")))

    @field_validator("event_time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # One spelling per instant, so an event rebuilt from the (UTC) warehouse keeps its id.
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _fill_id(self) -> Self:
        if not self.event_id:
            object.__setattr__(self, "event_id", event_id(self.event_type, self.subject(), self.payload_hash()))
        return self

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


class ArticleFetched(Event):
    """A page was fetched and archived; the payload points at the raw HTML (claim check), never carries it."""

    event_type: Literal["article.fetched"] = "article.fetched"
    article_id: str
    url: str
    canonical_url: str
    source_id: str
    source_name: str
    raw_object_key: str
    content_type: str | None = None
    http_status: int
    byte_size: int
    feed_title: str | None = None
    feed_published_at: AwareDatetime | None = None
    # Not part of the id (see payload_hash): the same bytes fetched twice are the same event.
    fetched_at: AwareDatetime

    def subject(self) -> str:
        return self.article_id

    def payload_hash(self) -> str:
        return digest(f"{self.article_id}|{self.raw_object_key}")


class ArticleBody(Frozen):
    """An extracted article: what every later stage needs to know of it."""

    article_id: str
    url: str
    canonical_url: str
    source_id: str
    source_name: str
    title: str
    text: str
    authors: list[str] = Field(default_factory=list)
    language: str | None = None
    published_at: AwareDatetime
    fetched_at: AwareDatetime
    content_hash: str
    raw_object_key: str
    paywalled: bool = False
    # Why published_at is not the page's own date, when a claimed date was implausible (year 9999, year 1): which
    # claims were passed over, and which time was used instead. None when the first claim made was believed.
    published_at_note: str | None = None


class ArticleExtracted(Event):
    event_type: Literal["article.extracted"] = "article.extracted"
    article: ArticleBody

    def subject(self) -> str:
        return self.article.article_id


class ArticleDeduplicated(Event):
    event_type: Literal["article.deduplicated"] = "article.deduplicated"
    article: ArticleBody
    verdict: Literal["new", "duplicate", "revision"]
    duplicate_of: str | None = None
    revision_of: str | None = None
    similarity: float = 0.0

    def subject(self) -> str:
        return self.article.article_id


class StoryAssigned(Event):
    event_type: Literal["story.assigned"] = "story.assigned"
    story_id: str
    article_id: str
    source_id: str
    is_new_story: bool
    score: float
    duplicate_of: str | None = None

    def subject(self) -> str:
        return self.story_id

    def payload_hash(self) -> str:
        # One assignment per (story, article): a replay with the same verdict yields the same id.
        return digest(f"{self.story_id}|{self.article_id}")


class CitedSentence(Frozen):
    text: str
    article_id: str
    start: int
    end: int


class PerspectiveOut(Frozen):
    source_id: str
    source_name: str
    article_ids: list[str]
    sentences: list[CitedSentence]


class StoryLinkOut(Frozen):
    story_id: str
    kind: Literal["background", "related"]
    score: float


class StoryUpdated(Event):
    """The full story snapshot (compacted topic): a consumer can rebuild its view from these alone. A story merged
    into another gets one last record naming the survivor in `merged_into`, with no content of its own."""

    event_type: Literal["story.updated"] = "story.updated"
    story_id: str
    headline: str
    what_happened: list[CitedSentence]
    behind_the_headline: list[CitedSentence]
    perspectives: list[PerspectiveOut]
    entities: list[dict[str, Any]]
    links: list[StoryLinkOut]
    article_ids: list[str]
    outlets: list[str]
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    article_count: int
    outlet_count: int
    merged_into: str | None = Field(
        default=None,
        description="Set when this story was merged into another: the story is gone (drop it, or redirect its id to "
        "this one), its articles are in the survivor's snapshot, and its other fields are empty.",
    )

    def subject(self) -> str:
        return self.story_id


def story_merged(
    story_id: str, merged_into: str, headline: str, first_seen: datetime, last_seen: datetime
) -> StoryUpdated:
    """The change-feed record of a story that consolidation merged into another (ADR 0020): its key, the survivor
    in `merged_into`, and no content of its own (its articles are in the survivor's snapshot). On the compacted
    topic it replaces the story's last snapshot, so a consumer applying the latest record per key drops (or
    redirects) the story, however late it reads. Its event time is the story's own last activity: a pure function
    of the story, so a replay reproduces its id."""
    return StoryUpdated(
        event_time=last_seen,
        story_id=story_id,
        headline=headline,
        what_happened=[],
        behind_the_headline=[],
        perspectives=[],
        entities=[],
        links=[],
        article_ids=[],
        outlets=[],
        first_seen=first_seen,
        last_seen=last_seen,
        article_count=0,
        outlet_count=0,
        merged_into=merged_into,
    )


EVENT_TYPES: dict[str, tuple[str, type[Event]]] = {
    TOPIC_FETCHED: ("article.fetched", ArticleFetched),
    TOPIC_BACKFILL: ("article.fetched", ArticleFetched),
    TOPIC_EXTRACTED: ("article.extracted", ArticleExtracted),
    TOPIC_DEDUPLICATED: ("article.deduplicated", ArticleDeduplicated),
    TOPIC_ASSIGNED: ("story.assigned", StoryAssigned),
    TOPIC_UPDATED: ("story.updated", StoryUpdated),
}


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_id(topic: str) -> str:
    """The `$id` of a topic's schema: one per topic and major version, as its file under schemas/events/ is named."""
    return f"urn:storyline:events:{topic}.v{SCHEMA_VERSION}"


def _open(schema: Any) -> Any:
    """The schema with every object open to properties it does not name: within a major version producers may add
    optional fields, so a consumer validating by the published schema must let them through (schemas/README.md).
    The models themselves stay closed: a producer cannot send a field the contract does not have yet."""
    if isinstance(schema, dict):
        opened = {k: _open(v) for k, v in schema.items()}
        if opened.get("type") == "object" and "properties" in opened:
            opened["additionalProperties"] = True
        return opened
    if isinstance(schema, list):
        return [_open(v) for v in schema]
    return schema


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema per topic, as committed under schemas/ (a test fails when they drift)."""
    return {
        topic: {"$schema": JSON_SCHEMA_DIALECT, "$id": schema_id(topic), **_open(model.model_json_schema())}
        for topic, (_, model) in EVENT_TYPES.items()
    }


# stage -> (input topic, output topic); consumer group = "storyline-<stage>".
STAGE_TOPICS: dict[str, tuple[str, str]] = {
    "extract": (TOPIC_FETCHED, TOPIC_EXTRACTED),
    "dedup": (TOPIC_EXTRACTED, TOPIC_DEDUPLICATED),
    "cluster": (TOPIC_DEDUPLICATED, TOPIC_ASSIGNED),
    "enrich": (TOPIC_ASSIGNED, TOPIC_UPDATED),
}


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def decode(topic: str, data: bytes) -> Event:
    """Parse a record of `topic`; anything that is not a valid event of that topic is a permanent error. Fields
    this version does not know are ignored: a later minor version's event (an added optional field) is read as
    the event it extends (schemas/README.md)."""
    if topic not in EVENT_TYPES:
        raise PermanentError(f"no event type for topic {topic!r}", kind="unknown_topic")
    _, model = EVENT_TYPES[topic]
    try:
        return model.model_validate_json(data, extra="ignore")
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": str(exc)}
        where = ".".join(str(p) for p in first["loc"]) or "(record)"
        raise PermanentError(
            f"not a valid {model.__name__} ({exc.error_count()} errors; first at {where}: {first['msg']})",
            kind="bad_payload",
        ) from exc


def headers(event: Event) -> list[tuple[str, bytes]]:
    """Kafka record headers: consumers can route on type and version without parsing the payload."""
    return [
        ("event_type", event.event_type.encode()),
        ("schema_version", str(event.schema_version).encode()),
        ("event_id", event.event_id.encode()),
    ]
