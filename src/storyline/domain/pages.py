"""The story page, composed from stored sections: *How we got here* (dated background) and *Go deeper* (questions,
each answered by a linked story)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storyline.domain.entities import entity_key


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
        )


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
    notes: tuple[str, ...] = field(default_factory=tuple)


_TEMPLATES: Mapping[str, str] = {
    "person": "What is the latest on {name}?",
    "organisation": "What is the latest from {name}?",
    "place": "What happened in {name}?",
    "event": "What happened at {name}?",
    "group": "What is the latest on {name}?",
    "product": "What is the latest on {name}?",
    "work": "What is the latest on {name}?",
    "law": "What is the latest on {name}?",
}


def _answer(brief: StoryBrief, name: str) -> Mapping[str, Any] | None:
    """The linked story's summary sentence that names the entity: a question without one is not asked."""
    key = entity_key(name)
    for sent in brief.what_happened:
        if key and key in str(sent.get("text", "")).casefold():
            return sent
    return None


def question_for(brief: StoryBrief, exclude: set[str]) -> Question | None:
    """The question a linked story answers, about its most salient entity that this page is not already about
    (a link to another story on the same person should say what is new there). None when its summary names
    none of its entities: an unanswered question is dropped, not shown."""
    ranked = sorted(brief.entities, key=lambda e: (-float(e.get("salience", 0.0)), str(e.get("name", ""))))
    fresh = [e for e in ranked if entity_key(str(e.get("name", ""))) not in exclude]
    for ent in [*fresh, *[e for e in ranked if e not in fresh]]:
        name = str(ent.get("name", ""))
        template = _TEMPLATES.get(str(ent.get("kind", "")))
        if not name or template is None:
            continue
        answer = _answer(brief, name)
        if answer is not None:
            return Question(template.format(name=name), brief.story_id, answer)
    return None


def page_links(
    story: StoryBrief, links: Sequence[Mapping[str, Any]], briefs: Mapping[str, StoryBrief], limit: int = 5
) -> PageLinks:
    """*How we got here* from the links to earlier stories (oldest first, dated); *Go deeper* from every link,
    phrased as questions. A link to a story that no longer resolves is skipped."""
    background: list[Background] = []
    questions: list[Question] = []
    dropped = 0
    own = {entity_key(str(e.get("name", ""))) for e in story.entities[:5]}
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
        q = question_for(brief, own)
        if q is None or q.text in seen_questions:
            dropped += 1
            continue
        seen_questions.add(q.text)
        questions.append(q)
    background.sort(key=lambda b: (b.date, b.story_id))
    return PageLinks(tuple(background[:limit]), tuple(questions[:limit]), dropped)
