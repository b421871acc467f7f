"""Editorial self-check use case: story pages composed as the read side serves them, then measured."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from storyline.domain.editorial import Ask, Card, Figure, Gold, Link, Member, Page, Span, figures, gold_view
from storyline.domain.pages import PageLinks, StoryBrief, page_links


class BriefReader(Protocol):
    def briefs(self, story_ids: Sequence[str]) -> dict[str, StoryBrief]: ...


class PageReader(BriefReader, Protocol):
    """What the self-check reads: the read API's own queries (adapters/warehouse/read.SqlReader), nothing else."""

    def story(self, story_id: str) -> dict[str, Any] | None: ...
    def article(self, article_id: str) -> dict[str, Any] | None: ...


def _compose(reader: BriefReader, story: Mapping[str, Any]) -> tuple[PageLinks, dict[str, StoryBrief]]:
    brief = StoryBrief.from_sections(
        story["story_id"],
        datetime.fromisoformat(story["first_seen"]),
        datetime.fromisoformat(story["last_seen"]),
        story["sections"],
    )
    briefs = reader.briefs([lk["story_id"] for lk in story["links"]])
    return page_links(brief, story["links"], briefs), briefs


def story_links(reader: BriefReader, story: Mapping[str, Any]) -> PageLinks:
    """*How we got here* and *Go deeper* of a story page: one composition for the web page and the self-check, so
    what is measured is what readers get."""
    return _compose(reader, story)[0]


def _span(section: str, c: Mapping[str, Any]) -> Span:
    return Span(section, str(c["article_id"]), int(c["start"]), int(c["end"]), str(c["text"]))


def _is_span(value: object) -> bool:
    return isinstance(value, Mapping) and {"text", "article_id", "start", "end"} <= set(value)


# Parts of a perspective that are phrases, not sentences (a quote's speaker, their role), should they be cited.
_PHRASES = frozenset({"speaker", "role", "name", "description"})


def _spans_within(section: str, value: object) -> Iterable[Span]:
    """Every cited span inside a section, whatever its structure (a perspective may be a list of sentences or a
    lead, unique facts and quotes)."""
    if _is_span(value):
        assert isinstance(value, Mapping)
        yield _span(section, value)
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            if key not in _PHRASES:
                yield from _spans_within(section, inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _spans_within(section, inner)


def page_of(reader: PageReader, story: Mapping[str, Any]) -> Page:
    """A stored story read as its page: cited spans by section, cards, links and questions as served."""
    links, briefs = _compose(reader, story)
    sections = story["sections"]
    spans = [*_spans_within("what_happened", sections.get("what_happened", []))]
    spans += _spans_within("behind_the_headline", sections.get("behind_the_headline", []))
    spans += _spans_within("perspectives", sections.get("perspectives", []))
    spans += [_span("entity", e["description"]) for e in sections.get("entities", []) if _is_span(e.get("description"))]
    spans += [_span("how_we_got_here", b.sentence) for b in links.how_we_got_here if b.sentence]
    spans += [_span("go_deeper", q.answer) for q in links.go_deeper]
    by_id = {b.story_id: b for b in briefs.values()}
    head = sections.get("headline") or {}
    return Page(
        story_id=str(story["story_id"]),
        headline=str(story.get("headline") or head.get("text") or ""),
        headline_article_id=head.get("article_id"),
        outlet_count=int(story.get("outlet_count") or 0),
        article_count=int(story.get("article_count") or 0),
        members=tuple(
            Member(a["article_id"], a["url"], a.get("title") or "", a.get("source_name") or "")
            for a in story["articles"]
        ),
        spans=tuple(spans),
        cards=tuple(
            Card(str(e.get("name", "")), str(e.get("kind", "")), bool((e.get("description") or {}).get("text")))
            for e in sections.get("entities", [])
        ),
        links=(
            *(Link("how_we_got_here", b.story_id) for b in links.how_we_got_here),
            *(Link("go_deeper", q.story_id) for q in links.go_deeper),
        ),
        questions=tuple(
            Ask(q.text, q.story_id, tuple(str(e.get("name", "")) for e in by_id[q.story_id].entities))
            if q.story_id in by_id
            else Ask(q.text, q.story_id, ())
            for q in links.go_deeper
        ),
    )


def read_pages(reader: PageReader, ranked: Sequence[Mapping[str, Any]]) -> tuple[list[Page], dict[str, str]]:
    """The pages of the stories given (front-page order) and the text of every article they show or cite."""
    pages: list[Page] = []
    texts: dict[str, str] = {}
    for summary in ranked:
        story = reader.story(str(summary["story_id"]))
        if story is None:
            continue  # removed between the listing and now
        page = page_of(reader, story)
        pages.append(page)
        for aid in {m.article_id for m in page.members} | {s.article_id for s in page.spans}:
            if aid not in texts:
                found = reader.article(aid)
                if found is not None:
                    texts[aid] = str(found.get("text") or "")
    return pages, texts


def editorial_check(
    reader: PageReader,
    ranked: Sequence[Mapping[str, Any]],
    outlet_names: Iterable[str],
    gold_by_url: Mapping[str, str] | None = None,
    assigned: Iterable[tuple[str, str | None]] = (),
) -> list[Figure]:
    """The editorial figures of every page in `ranked`; with gold labels (url -> gold story) and the warehouse's
    assignments ((url, story_id)), also the figures that need to know which event an article is about."""
    pages, texts = read_pages(reader, ranked)
    gold: Gold | None = gold_view(pages, assigned, gold_by_url) if gold_by_url is not None else None
    return figures(pages, texts, outlet_names, gold)
