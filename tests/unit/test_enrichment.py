"""Story sections: headline, cited summary and context, per-outlet perspectives, entities, related links."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from storyline.adapters.ner_spacy import SpacyRecognizer
from storyline.domain.enrichment import (
    SUMMARY_MAX_SENTENCES,
    SUMMARY_MAX_WORDS,
    Cited,
    Sections,
    StoryArticle,
    build_sections,
    choose_headline,
    originals,
)
from storyline.domain.entities import ArticleMentions
from storyline.domain.features import DocumentFrequencies, extract_features
from storyline.domain.links import StoryProfile, related_links

T0 = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)
_RECOGNIZER = SpacyRecognizer()


def _mentions(articles: list[StoryArticle] | tuple[StoryArticle, ...]) -> dict[str, ArticleMentions]:
    return _RECOGNIZER.mentions(list(articles))


GAZETTE = StoryArticle(
    article_id="a-gazette",
    source_id="harbour-gazette",
    source_name="Harbour Gazette",
    url="https://gazette.example/ferry",
    title="Ferry service to Marrow Island resumes after storm",
    text=(
        "Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of cancellations. "
        "The first sailing left at seven o'clock with about eighty passengers on board.\n\n"
        "Bluewater Lines said extra crossings would run through Wednesday to clear the backlog of travellers. "
        "Harbour master Ines Okafor said the channel had been surveyed overnight and was safe.\n\n"
        "The service was halted because waves of six metres battered the northern pier over the weekend. "
        "Islanders had relied on a single helicopter flight for medical supplies."
    ),
    published_at=T0,
    duplicate_of=None,
)
WIRE = StoryArticle(
    article_id="a-wire",
    source_id="civic-wire",
    source_name="Civic Wire",
    url="https://wire.example/marrow-ferry",
    title="Marrow Island ferries sail again as storm clears",
    text=(
        "Bluewater Lines restarted its ferry crossings between Port Ellis and Marrow Island on Tuesday. "
        "Passengers queued from dawn for the first departures of the week.\n\n"
        "Analysts said the two-day halt had exposed how much the island depends on a single operator. "
        "Ines Okafor, the harbour master, told reporters that crews were still clearing debris from the pier.\n\n"
        "The regional council said it would review the timetable next month."
    ),
    published_at=T0 + timedelta(hours=1),
    duplicate_of=None,
)
WIRE_COPY = StoryArticle(
    article_id="a-coastal",
    source_id="coastal-daily",
    source_name="Coastal Daily",
    url="https://coastal.example/news/ferries",
    title="Marrow Island ferries sail again as storm clears",
    text="PORT ELLIS (Civic Wire) — " + WIRE.text + "\n\nReporting by Civic Wire staff.",
    published_at=T0 + timedelta(hours=2),
    duplicate_of="a-wire",
)
GAZETTE_FOLLOW_UP = StoryArticle(
    article_id="a-gazette-2",
    source_id="harbour-gazette",
    source_name="Harbour Gazette",
    url="https://gazette.example/ferry-backlog",
    title="Ferry backlog cleared as Bluewater Lines adds sailings",
    text=(
        "Bluewater Lines cleared the backlog of passengers on Wednesday after running four extra ferry sailings. "
        "The operator said every traveller who had been stranded in Port Ellis had now reached Marrow Island.\n\n"
        "Critics warned that the timetable would fail again during the next winter storm unless a second vessel "
        "was added to the route."
    ),
    published_at=T0 + timedelta(days=1),
    duplicate_of=None,
)
ARTICLES = [GAZETTE, WIRE, WIRE_COPY, GAZETTE_FOLLOW_UP]
BY_ID = {a.article_id: a for a in ARTICLES}


def _dfs(articles: list[StoryArticle]) -> DocumentFrequencies:
    dfs = DocumentFrequencies()
    for a in articles:
        dfs.add(extract_features(a.article_id, a.source_id, a.published_at, a.title, a.text).df_keys())
    return dfs


@pytest.fixture(scope="module")
def sections() -> Sections:
    return build_sections(ARTICLES, _dfs(ARTICLES), _mentions(ARTICLES))


def _all_cited(sections: Sections) -> list[Cited]:
    cited = [*sections.what_happened, *sections.behind]
    for p in sections.perspectives:
        cited.extend(p.sentences)
    return cited


def test_headline_is_one_of_the_titles(sections: Sections) -> None:
    assert sections.headline in {a.title for a in ARTICLES}
    assert BY_ID[sections.headline_article_id].title == sections.headline
    # The headline comes from an original, not from a wire copy.
    assert BY_ID[sections.headline_article_id].duplicate_of is None


def test_what_happened_is_short(sections: Sections) -> None:
    assert 2 <= len(sections.what_happened) <= SUMMARY_MAX_SENTENCES
    assert sum(len(c.text.split()) for c in sections.what_happened) <= SUMMARY_MAX_WORDS


def test_every_cited_sentence_is_verbatim_from_its_article(sections: Sections) -> None:
    cited = _all_cited(sections)
    assert cited
    for c in cited:
        article = BY_ID[c.article_id]
        assert article.text[c.start : c.end] == c.text, c


def test_cited_sentences_come_from_originals_only(sections: Sections) -> None:
    for c in _all_cited(sections):
        assert BY_ID[c.article_id].duplicate_of is None


def test_summary_sentences_are_distinct(sections: Sections) -> None:
    texts = [c.text for c in sections.what_happened]
    assert len(texts) == len(set(texts))
    assert not set(texts) & {c.text for c in sections.behind}


def test_perspectives_cite_only_their_own_outlet(sections: Sections) -> None:
    assert sections.perspectives
    for p in sections.perspectives:
        assert p.sentences
        for c in p.sentences:
            assert BY_ID[c.article_id].source_id == p.source_id
        assert all(BY_ID[a].source_id == p.source_id for a in p.article_ids)
        assert p.source_name == BY_ID[p.article_ids[0]].source_name


def test_wire_copy_outlet_gets_no_perspective(sections: Sections) -> None:
    ids = sorted(p.source_id for p in sections.perspectives)
    assert ids == ["civic-wire", "harbour-gazette"]
    assert "coastal-daily" not in sections.outlets
    assert sections.outlets == ("civic-wire", "harbour-gazette")
    gazette = next(p for p in sections.perspectives if p.source_id == "harbour-gazette")
    assert set(gazette.article_ids) == {"a-gazette", "a-gazette-2"}


def test_behind_the_headline_sentences_carry_context_cues(sections: Sections) -> None:
    assert sections.behind
    cues = ("because", "after", "analysts", "critics", "warned", "said", "officials")
    for c in sections.behind:
        assert any(cue in c.text.lower() for cue in cues), c.text


def test_entities_are_shared_across_articles(sections: Sections) -> None:
    names = {e.name.casefold() for e in sections.entities}
    assert "marrow island" in names
    assert "bluewater lines" in names
    for e in sections.entities:
        assert e.article_count >= 2
        assert 0.0 < e.salience <= 1.0


def test_to_json_shape(sections: Sections) -> None:
    data = sections.to_json()
    assert data["headline"] == {"text": sections.headline, "article_id": sections.headline_article_id}
    assert data["what_happened"] == [c.to_json() for c in sections.what_happened]


def test_build_sections_is_deterministic_and_order_free() -> None:
    dfs = _dfs(ARTICLES)
    first = build_sections(ARTICLES, dfs, _mentions(ARTICLES))
    assert build_sections(ARTICLES, dfs, _mentions(ARTICLES)) == first
    flipped = build_sections(list(reversed(ARTICLES)), dfs, _mentions(ARTICLES))
    # Everything but the listing order of a perspective's article ids is independent of input order.
    assert flipped.headline_article_id == first.headline_article_id
    assert flipped.what_happened == first.what_happened
    assert flipped.behind == first.behind
    assert flipped.entities == first.entities
    assert [(p.source_id, p.sentences, set(p.article_ids)) for p in flipped.perspectives] == [
        (p.source_id, p.sentences, set(p.article_ids)) for p in first.perspectives
    ]


def test_single_wire_copy_story_still_has_sections() -> None:
    # When every member is a copy, the copies are all there is.
    only = build_sections([WIRE_COPY], _dfs([WIRE_COPY]), _mentions([WIRE_COPY]))
    assert only.headline == WIRE_COPY.title
    assert only.outlets == ("coastal-daily",)
    for c in only.what_happened:
        assert WIRE_COPY.text[c.start : c.end] == c.text


def test_empty_story_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one article"):
        build_sections([], DocumentFrequencies(), _mentions([]))


def test_originals_folds_copies() -> None:
    assert originals(ARTICLES) == [GAZETTE, WIRE, GAZETTE_FOLLOW_UP]
    assert originals([WIRE_COPY]) == [WIRE_COPY]


def test_choose_headline_returns_a_member() -> None:
    base = originals(ARTICLES)
    headline, head = choose_headline(base, _dfs(ARTICLES))
    assert head in base
    assert headline == head.title


def test_entity_cards_come_from_the_recognised_mentions() -> None:
    # One article: an entity is a topic when the headline names it, the text names it twice or says what it is;
    # one passing mention is not. The real model (en_core_web_sm) does the recognising.
    cards = build_sections([GAZETTE], _dfs([GAZETTE]), _mentions([GAZETTE])).entities
    assert "Marrow Island" in {c.name for c in cards}
    assert "Port Ellis" not in {c.name for c in cards}
    assert {c.kind for c in cards} <= {"person", "organisation", "place", "group", "event", "product", "work", "law"}


def _profile(story_id: str, first_seen: datetime, vector: dict[str, float]) -> StoryProfile:
    return StoryProfile(story_id=story_id, first_seen=first_seen, vector=vector)


def test_related_links_kinds_and_order() -> None:
    me = _profile("st_me", T0, {"ferry": 0.8, "storm": 0.6})
    earlier = _profile("st_earlier", T0 - timedelta(days=10), {"ferry": 1.0})
    later = _profile("st_later", T0 + timedelta(days=1), {"storm": 1.0})
    unrelated = _profile("st_budget", T0 - timedelta(days=1), {"budget": 1.0})
    links = related_links(me, [later, unrelated, earlier, me])
    assert [(link.other_id, link.kind) for link in links] == [("st_earlier", "background"), ("st_later", "related")]
    assert all(link.story_id == "st_me" for link in links)
    assert links[0].score == pytest.approx(0.8)
    assert links[1].score == pytest.approx(0.6)


def test_related_links_floor_limit_and_tie_break() -> None:
    me = _profile("st_me", T0, {"ferry": 1.0})
    others = [_profile(f"st_{i}", T0 + timedelta(hours=i), {"ferry": 1.0}) for i in range(7, 0, -1)]
    links = related_links(me, others, limit=3)
    assert [link.other_id for link in links] == ["st_1", "st_2", "st_3"]
    weak = _profile("st_weak", T0, {"ferry": 0.1, "other": 0.99})
    assert related_links(me, [weak]) == []
    assert related_links(me, [weak], floor=0.05)[0].other_id == "st_weak"


def test_whats_happened_states_facts_not_quotations() -> None:
    quoted = StoryArticle(
        article_id="a-quote",
        source_id="harbour-gazette",
        source_name="Harbour Gazette",
        url="https://gazette.example/quote",
        title="Ferries to Marrow Island resume after storm",
        text=(
            '"We are delighted to have the island ferries sailing again," the harbour master told reporters. '
            "Ferries between Port Ellis and Marrow Island resumed on Tuesday after two days of storm cancellations. "
            "The first sailing left at seven with about 80 passengers and a delivery of medical supplies on board."
        ),
        published_at=T0,
        duplicate_of=None,
    )
    sections = build_sections([quoted], _dfs([quoted]), _mentions([quoted]))
    assert sections.what_happened
    assert not any(c.text.startswith(('"', "“")) for c in sections.what_happened)


def test_each_paper_is_shown_by_what_it_led_with_reported_alone_and_quoted() -> None:
    shared = (
        "The council approved the harbour budget of 4 million on Tuesday after a long debate in the chamber. "
        "The harbour budget pays for dredging, new moorings and a second crane at the council's harbour. "
        "Work on the harbour crane and the moorings starts in March and should end before the summer ferry season. "
        "The council's harbour committee will publish the dredging contracts and the mooring fees next month."
    )
    own = "Fishermen from Kessel Bay sailed 40 boats into the harbour in protest against the mooring fees."
    quote = '"The fees are fair and overdue," said Anna Berg, the harbour master, after the vote on the budget.'
    a = StoryArticle("p-a", "paper-a", "Paper A", "https://a.example/1", "Harbour budget", f"{shared} {own}", T0, None)
    b = StoryArticle(
        "p-b", "paper-b", "Paper B", "https://b.example/1", "Harbour budget", f"{shared} {quote}", T0, None
    )
    c = StoryArticle("p-c", "paper-c", "Paper C", "https://c.example/1", "Harbour budget", shared, T0, None)
    sections = build_sections([a, b, c], _dfs([a, b, c]), {})
    by_id = {p.source_id: p for p in sections.perspectives}
    # Only Paper A reports the fishermen's warning; only Paper B quotes the harbour master, by name and role.
    assert [u.text for u in by_id["paper-a"].unique] == [own]
    assert not by_id["paper-c"].unique if "paper-c" in by_id else True
    assert [(q.cited.text, q.speaker.name, q.speaker.role) for q in by_id["paper-b"].quotes] == [
        (quote, "Anna Berg", "the harbour master")
    ]
    # Every part is cited into its own outlet's article, and the paper that reported most comes first.
    for p in sections.perspectives:
        for c in [*([p.lead] if p.lead else []), *p.unique, *(q.cited for q in p.quotes)]:
            assert c.article_id in p.article_ids
    assert sections.perspectives[0].source_id == "paper-a"
    assert set(by_id["paper-a"].parts_json()) == {"lead", "unique_facts", "quotes"}


def test_a_byline_glued_to_a_sentence_is_not_shown() -> None:
    glued = replace(
        GAZETTE,
        article_id="a-glued",
        text="By J. Smith · 26 April 2024 09:23 UTC When the ferries resumed on Tuesday, eighty passengers boarded "
        "the first sailing from Port Ellis.\n\n" + GAZETTE.text,
    )
    sections = build_sections([glued], _dfs([glued]), _mentions([glued]))
    shown = [c.text for c in sections.what_happened] + [c.text for c in sections.behind]
    shown += [c.text for p in sections.perspectives for c in p.sentences]
    assert shown and not any("·" in t for t in shown)
