"""The story page, composed from stored sections: *How we got here* (dated background) and *Go deeper* (the
questions linked stories answer, each stored by that story with the sentence that answers it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class StoryBrief:
    """What a page needs of a story it links to (read from that story's own stored sections)."""

    story_id: str
    headline: str
    headline_article_id: str | None
    first_seen: datetime
    last_seen: datetime
    what_happened: tuple[Mapping[str, Any], ...]
    entities: tuple[Mapping[str, Any], ...]
    # The question this story's first summary sentence answers, stored at enrichment (domain/questions).
    question: Question | None = None

    @property
    def question_text(self) -> str:
        return self.question.text.casefold() if self.question else ""

    @classmethod
    def from_sections(
        cls, story_id: str, first_seen: datetime, last_seen: datetime, sections: Mapping[str, Any]
    ) -> StoryBrief:
        head = sections.get("headline") or {}
        return cls(
            story_id=story_id,
            headline=str(head.get("text", "")),
            headline_article_id=head.get("article_id"),
            first_seen=first_seen,
            last_seen=last_seen,
            what_happened=tuple(sections.get("what_happened", [])),
            entities=tuple(sections.get("entities", [])),
            question=_stored_question(story_id, sections.get("question")),
        )


def _stored_question(story_id: str, stored: Any) -> Question | None:
    if not isinstance(stored, Mapping):
        return None
    text, answer = stored.get("text"), stored.get("answer")
    if not isinstance(text, str) or not text or not isinstance(answer, Mapping) or "article_id" not in answer:
        return None
    return Question(text, story_id, answer)


@dataclass(frozen=True)
class Background:
    """One dated step of *How we got here*: an earlier story, its headline and its first summary sentence."""

    story_id: str
    date: datetime
    headline: str
    headline_article_id: str | None
    sentence: Mapping[str, Any] | None


@dataclass(frozen=True)
class Question:
    """One *Go deeper* line: a question and the story that answers it, with the sentence that does."""

    text: str
    story_id: str
    answer: Mapping[str, Any]


@dataclass(frozen=True)
class PageLinks:
    how_we_got_here: tuple[Background, ...]
    go_deeper: tuple[Question, ...]
    dropped_questions: int = 0


def page_links(
    story: StoryBrief, links: Sequence[Mapping[str, Any]], briefs: Mapping[str, StoryBrief], limit: int = 5
) -> PageLinks:
    """*How we got here* from the links to earlier stories (oldest first, dated); *Go deeper* from every link whose
    story stored the question its own first summary sentence answers (that cited sentence is the answer). A link
    without one (another language, no clean question) asks nothing: no template stands in. A link to a story
    that no longer resolves is skipped; the links are distinct events already (the read side drops splits)."""
    background: list[Background] = []
    questions: list[Question] = []
    dropped = 0
    seen_questions: set[str] = set()
    for link in links:
        brief = briefs.get(str(link.get("story_id")))
        if brief is None or brief.story_id == story.story_id:
            continue
        if brief.first_seen < story.first_seen:
            background.append(
                Background(
                    story_id=brief.story_id,
                    date=brief.first_seen,
                    headline=brief.headline,
                    headline_article_id=brief.headline_article_id,
                    sentence=brief.what_happened[0] if brief.what_happened else None,
                )
            )
        q = brief.question
        if q is None or q.text.casefold() in seen_questions or q.text.casefold() == story.question_text:
            dropped += 1
            continue
        seen_questions.add(q.text.casefold())
        questions.append(q)
    background.sort(key=lambda b: (b.date, b.story_id))
    return PageLinks(tuple(background[:limit]), tuple(questions[:limit]), dropped)
