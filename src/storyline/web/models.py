"""Response models of the read API: they are its OpenAPI schema, and every cited sentence carries its source."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    """A 404's body: what was asked for and not found."""

    detail: str


class CitedOut(BaseModel):
    text: str
    article_id: str = Field(description="the article the words were taken from")
    start: int = Field(description="character offset of the words in that article's text")
    end: int


class HeadlineOut(BaseModel):
    text: str
    article_id: str | None


class SpeakerOut(BaseModel):
    name: str
    role: str | None = Field(None, description="the speaker's role, as the sentence gives it")


class QuoteOut(CitedOut):
    speaker: SpeakerOut


class PerspectiveOut(BaseModel):
    source_id: str
    source_name: str
    article_ids: list[str]
    sentences: list[CitedOut] = Field(description="only this outlet's own sentences, in reading order")
    lead: CitedOut | None = Field(None, description="what the outlet led with")
    unique_facts: list[CitedOut] = Field([], description="what this outlet alone reports, on this story's event")
    quotes: list[QuoteOut] = Field([], description="whom the outlet quotes: the sentence and its speaker")


class EntityCardOut(BaseModel):
    entity_id: str | None = Field(
        default=None, description="the entity's id: /api/stories?entity=ID lists its stories, /entities/ID is its page"
    )
    name: str
    kind: str
    salience: float
    article_count: int
    first_mentioned: datetime | None = None
    description: CitedOut | None = None
    description_from: str | None = Field(
        default=None, description="set when the description is another story's coverage (that story's id)"
    )


class LinkOut(BaseModel):
    story_id: str
    kind: str
    score: float


class GeneratedSentenceOut(BaseModel):
    text: str
    article_ids: list[str] = Field(description="the member articles this sentence cites")
    support: float = Field(description="share of the sentence's content words found in the cited articles")


class GeneratedOut(BaseModel):
    """Present only when the optional LLM backend is configured; the extractive sections are always there."""

    model: str
    what_happened: list[GeneratedSentenceOut]
    behind_the_headline: list[GeneratedSentenceOut]
    dropped: int = Field(description="sentences the model wrote that their citations did not support")
    dropped_reasons: list[str] = []


class SectionsOut(BaseModel):
    headline: HeadlineOut
    what_happened: list[CitedOut]
    behind_the_headline: list[CitedOut]
    perspectives: list[PerspectiveOut]
    entities: list[EntityCardOut]
    links: list[LinkOut]
    outlets: list[str]
    generated: GeneratedOut | None = None


class StorySummary(BaseModel):
    story_id: str
    headline: str
    first_seen: datetime
    last_seen: datetime
    article_count: int
    outlet_count: int = Field(description="independent outlets: wire copies count with their original")
    outlets: list[str]


class StoryPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[StorySummary]


class ArticleRef(BaseModel):
    article_id: str
    url: str
    title: str
    source_id: str
    source_name: str
    published_at: datetime
    duplicate_of: str | None


class BackgroundOut(BaseModel):
    story_id: str
    date: datetime
    headline: str
    headline_article_id: str | None
    sentence: CitedOut | None


class QuestionOut(BaseModel):
    question: str
    story_id: str = Field(description="the story that answers it")
    answer: CitedOut


class StoryDetail(StorySummary):
    requested_id: str = Field(description="the id asked for; differs from story_id when that story was merged")
    sections: SectionsOut
    articles: list[ArticleRef]
    links: list[LinkOut]
    how_we_got_here: list[BackgroundOut]
    go_deeper: list[QuestionOut]


class ArticleDetail(ArticleRef):
    text: str
    language: str | None
    authors: list[str]
    revision_of: str | None
    story_id: str | None


class EntityOut(BaseModel):
    entity_id: str
    name: str
    kind: str
    description: str | None
    story_count: int


class EntityPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[EntityOut]


class SourceOut(BaseModel):
    source_id: str
    name: str
    home: str | None
    language: str | None
    country: str | None
    enabled: bool
    article_count: int
