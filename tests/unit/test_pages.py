"""Story page links: dated background, oldest first, and Go deeper questions each linked story stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from storyline.domain.enrichment import Sections
from storyline.domain.pages import StoryBrief, page_links
from storyline.domain.text import Cited

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _sections(sid: str, sentence: str, question: str | None, name: str = "Millom") -> dict[str, Any]:
    first = Cited(sentence, f"{sid}-art", 0, len(sentence))
    built = Sections(
        headline=f"{sid} headline",
        headline_article_id=f"{sid}-art",
        what_happened=(first,),
        behind=(),
        perspectives=(),
        entities=(),
        outlets=("one",),
    )
    stored = replace(built, question=question).to_json()
    stored["entities"] = [{"name": name, "kind": "place", "salience": 1.0}]
    return stored


def _brief(sid: str, day: int, sentence: str, question: str | None) -> StoryBrief:
    when = T0 + timedelta(days=day)
    return StoryBrief.from_sections(sid, when, when, _sections(sid, sentence, question))


def test_go_deeper_asks_the_question_each_linked_story_stored_and_never_a_template() -> None:
    page = _brief("page", 10, "Police in Millom have named the victims.", None)
    asked = _brief("asked", 3, "A man has been charged with murdering his mother in Millom.", "Who has been charged?")
    silent = _brief("silent", 12, "Die Polizei in Millom ermittelt.", None)  # another language: no question
    links = [{"story_id": "asked"}, {"story_id": "silent"}]
    out = page_links(page, links, {"asked": asked, "silent": silent})
    assert [(q.text, q.story_id) for q in out.go_deeper] == [("Who has been charged?", "asked")]
    # The answer is the linked story's own cited first sentence.
    assert out.go_deeper[0].answer["article_id"] == "asked-art"
    assert not any(q.text.startswith(("What is the latest", "What happened in")) for q in out.go_deeper)
    assert out.dropped_questions == 1


def test_how_we_got_here_lists_only_earlier_stories_oldest_first_with_their_dates() -> None:
    page = _brief("page", 10, "Police have named the victims.", None)
    older = _brief("older", 2, "A bank was bombed.", None)
    old = _brief("old", 5, "A second bomb went off.", None)
    later = _brief("later", 20, "A trial opened.", None)
    links = [{"story_id": "old"}, {"story_id": "later"}, {"story_id": "older"}]
    out = page_links(page, links, {b.story_id: b for b in (older, old, later)})
    assert [(b.story_id, b.date.day) for b in out.how_we_got_here] == [("older", 3), ("old", 6)]


def test_a_stored_question_round_trips_through_the_sections_json() -> None:
    stored = _sections("s", "A man has been charged.", "Who has been charged?")
    assert stored["question"] == {
        "text": "Who has been charged?",
        "answer": {"text": "A man has been charged.", "article_id": "s-art", "start": 0, "end": 23},
    }
    assert "question" not in _sections("s", "A man has been charged.", None)
