"""The editorial self-check's measures on small hand-built pages: each one counts what it says and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from storyline.domain import editorial as ed
from storyline.domain.editorial import Ask, Card, Gold, Link, Member, Page, Span
from storyline.domain.pages import StoryBrief
from storyline.services.editorial import editorial_check, page_of, story_links


def page(
    story_id: str = "s1",
    *,
    headline: str = "Council approves harbour plan",
    headline_article_id: str | None = "a1",
    outlets: int = 2,
    articles: int = 2,
    members: Sequence[Member] = (),
    spans: Sequence[Span] = (),
    cards: Sequence[Card] = (),
    links: Sequence[Link] = (),
    questions: Sequence[Ask] = (),
) -> Page:
    return Page(
        story_id, headline, headline_article_id, outlets, articles, tuple(members), tuple(spans), tuple(cards),
        tuple(links), tuple(questions),
    )  # fmt: skip


def cited(text: str, sentence: str, section: str = "what_happened", article_id: str = "a1") -> Span:
    start = text.index(sentence)
    return Span(section, article_id, start, start + len(sentence), sentence)


# -- 1. front page --------------------------------------------------------------------------------------------
def test_front_page_counts_multi_outlet_stories_among_the_first_twenty_only() -> None:
    pages = [page(f"s{n}", outlets=2 if n % 4 else 1) for n in range(30)]  # 0, 4, 8, 12, 16 (…) single-outlet
    fig = ed.front_page(pages)
    assert (fig.numerator, fig.denominator) == (15, 20)
    assert ed.front_page(pages[:3]).denominator == 3


# -- 2. templated questions -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "templated"),
    [
        ("What is the latest on Mark Hurd?", True),
        ("What is the latest from Bank?", True),
        ("What happened in Calif.?", True),
        ("What happened at the Oscars?", True),
        ("Who will host the Oscars next year?", False),
        ("What happened to the harbour plan?", False),
    ],
)
def test_the_old_slot_patterns_are_templates(question: str, templated: bool) -> None:
    assert ed.is_slot_template(question) is templated


def test_skeleton_takes_out_names_and_entity_names() -> None:
    assert ed.skeleton("Why did Hewlett-Packard buy EYP Mission Critical?") == "why did {} buy {}?"
    assert ed.skeleton("What did the Bank of England decide?") == "what did the {} decide?"
    # A name the linked story knows, even lowercase or first in the question, is a slot.
    assert ed.skeleton("iPhone sales fell by how much?", ["iPhone"]) == "{} sales fell by how much?"


def test_a_skeleton_shared_by_three_distinct_questions_is_a_template() -> None:
    asks = [
        Ask("How many people did Storm Ilsa leave without power?", "s2", ("Storm Ilsa",)),
        Ask("How many people did Storm Otto leave without power?", "s3", ("Storm Otto",)),
        Ask("Who approved the harbour plan?", "s4", ()),
    ]
    assert ed.templated_questions(asks) == []  # two of a kind are not yet a template
    third = Ask("How many people did Hurricane Kay leave without power?", "s5", ("Hurricane Kay",))
    again = Ask("How many people did Storm Otto leave without power?", "s3", ("Storm Otto",))
    assert ed.templated_questions([*asks, again]) == []  # the same question twice is one question
    found = ed.templated_questions([*asks, third])
    assert [a.story_id for a in found] == ["s2", "s3", "s5"]
    fig = ed.templated([page(questions=[*asks, third])])
    assert (fig.numerator, fig.denominator) == (3, 4)


# -- 3. links to a split of the same event --------------------------------------------------------------------
def test_links_to_a_story_of_the_same_gold_event_are_counted() -> None:
    pages = [
        page("s1", links=[Link("how_we_got_here", "s2"), Link("go_deeper", "s3"), Link("go_deeper", "s9")]),
        page("s2", links=[Link("go_deeper", "s1")]),
    ]
    gold = Gold(of_article={}, of_story={"s1": "E1", "s2": "E1", "s3": "E2"})
    fig = ed.same_event_links(pages, gold)
    assert (fig.numerator, fig.denominator) == (2, 3)  # s1->s2 and s2->s1; s9 has no gold: not counted


def test_a_story_is_the_gold_event_most_of_its_articles_are_about() -> None:
    assigned = [("u1", "s1"), ("u2", "s1"), ("u3", "s1"), ("u4", "s2"), ("u5", "s2"), ("u6", None)]
    gold = {"u1": "E1", "u2": "E2", "u3": "E2", "u4": "E3", "u5": "E1", "u6": "E1"}
    assert ed.majority_gold(assigned, gold) == {"s1": "E2", "s2": "E1"}  # a tie goes to the smaller label


# -- 4. cards with a description ------------------------------------------------------------------------------
def test_only_the_top_five_cards_count_for_descriptions() -> None:
    cards = [Card("A", "person", True), Card("B", "person", False), *[Card(f"C{n}", "place", False) for n in range(3)]]
    cards += [Card("D", "place", True)]  # the sixth card is not on the page's top five
    fig = ed.described_cards([page(cards=cards)])
    assert (fig.numerator, fig.denominator) == (1, 5)


# -- 5. junk and duplicate cards ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Riot Deaths 'Murder'", "quote marks"),
        ('the "Dune" franchise', "quote marks"),
        ("T - Mobile — the only major U", "dash separator"),
        ("Bhopal News - The Times of India", "dash separator"),
        ("Thrust Into Spotlight Over Religious Exception Bill", "more than five words"),
        ("the federal immigration department", "lowercase word"),
        ("Donald Trump", None),
        ("O'Brien", None),
        ("Donald Trump’s", None),
        ("the Dock and Harbour Workers' Union", None),
        ("the National Association for the Advancement of Colored People", None),
        ("Dar es Salaam", None),
        ("al-Assad", None),
        ("iPhone", None),
    ],
)
def test_junk_names(name: str, reason: str | None) -> None:
    assert ed.junk_reason(name) == reason


def test_a_name_capitalised_only_in_a_title_is_a_headline_fragment() -> None:
    titles = ["Early Morning Baseball Practice Ends In Gunfire"]
    assert ed.junk_reason("Early Morning Baseball Practice", titles, ["an early morning baseball practice"]) == (
        "headline fragment"
    )
    assert ed.junk_reason("Steve Scalise", ["Steve Scalise Shot"], ["Rep. Steve Scalise was shot."]) is None


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (Card("Donald Trump", "person", False), Card("Donald Trump’s", "person", False), True),
        (Card("Donald Trump", "person", False), Card("Trump", "person", False), True),
        (Card("Donald Trump", "person", False), Card("Donald", "organisation", False), True),
        (Card("White House", "organisation", False), Card("the White House", "organisation", False), True),
        (Card("George Washington", "person", False), Card("Washington", "place", False), False),
        (Card("Bank of America", "organisation", False), Card("America", "place", False), False),
        (Card("Duncan Hunter", "person", False), Card("Margaret Hunter", "person", False), False),
    ],
)
def test_aliases_of_one_entity(a: Card, b: Card, same: bool) -> None:
    assert ed.same_entity(a, b) is same
    assert ed.same_entity(b, a) is same


def test_junk_and_duplicate_cards_among_the_top_five() -> None:
    cards = [
        Card("Duncan Hunter", "person", False),
        Card("Hunter", "person", False),  # duplicate of the card above
        Card("Margaret Hunter", "person", False),  # another person (only "Hunter", itself a duplicate, matches)
        Card("Riot Deaths 'Murder'", "person", False),  # junk
        Card("California", "place", False),
        Card("Duncan Hunter's", "person", False),  # sixth: not on the top five
    ]
    found = ed.junk_cards(page(cards=cards), {})
    assert [(c.name, why) for c, why in found] == [("Hunter", "duplicate"), ("Riot Deaths 'Murder'", "quote marks")]
    fig = ed.junk([page(cards=cards)], {})
    assert (fig.numerator, fig.denominator) == (2, 5)


# -- 6. fragments ---------------------------------------------------------------------------------------------
ARTICLE = (
    "Rep. Duncan Hunter (R-Calif.) was indicted on Tuesday. The Boston firm invested $57.5 million in 2001. "
    '"We are shocked," he said. It was late.\n'
    "26-year-old Matt Smith was cast. Officials met at 7:30 a.m. The talks ended on Friday at the U.S. border.\n"
    "Vancouver Police spokesman Const. Tim Fanning said no one else was hurt.\n"
    '"It is the third time. " Fans cheered.The show goes on. Ngày 22/10, BS.CK2 Hồng khám.\n'
    "気象庁は13日に発表した。震源の深さは約30キロ。"
)


@pytest.mark.parametrize(
    ("sentence", "fragment"),
    [
        ("Rep. Duncan Hunter (R-Calif.) was indicted on Tuesday.", False),  # opens the text
        ("The Boston firm invested $57.5 million in 2001.", False),
        ('"We are shocked," he said.', False),
        ("It was late.", False),  # after a closing quote's sentence end
        ("26-year-old Matt Smith was cast.", False),  # a number may open a line
        ("Officials met at 7:30 a.m.", False),  # "a.m." may end a sentence
        ("The talks ended on Friday at the U.S. border.", False),
        ("Vancouver Police spokesman Const. Tim Fanning said no one else was hurt.", False),
        ("Duncan Hunter (R-Calif.) was indicted on Tuesday.", True),  # starts after an abbreviation
        ("was indicted on Tuesday.", True),  # starts lowercase
        ("The Boston firm invested $57.", True),  # ends inside a number: a digit follows
        ("5 million in 2001.", True),  # starts inside a number
        ("The talks ended on Friday at the U.S.", True),  # ends on an abbreviation with more text after it
        ("Vancouver Police spokesman Const.", True),
        ("Tim Fanning said no one else was hurt.", True),  # starts after an abbreviation's full stop
        ("The Boston firm invested $57.5 million in 2001", True),  # no terminal punctuation
        ('"We are shocked,"', True),
        ("he said.", True),
        ('"It is the third time. "', False),  # a closing quote after a space (tokenised text)
        ("The show goes on.", False),  # glued to the full stop of a word: a lost space
        ("CK2 Hồng khám.", True),  # glued to a capital's full stop: an abbreviation
        ("震源の深さは約30キロ。", False),  # the ideographic full stop ends Japanese sentences
        ("気象庁は13日に発表した。", False),
    ],
)
def test_fragments_are_spans_not_at_sentence_boundaries(sentence: str, fragment: bool) -> None:
    start = ARTICLE.index(sentence)
    span = Span("what_happened", "a1", start, start + len(sentence), sentence)
    assert ed.is_fragment(ARTICLE, span) is fragment


def test_entity_descriptions_are_phrases_and_do_not_count_as_fragments() -> None:
    spans = [
        cited(ARTICLE, "It was late."),
        cited(ARTICLE, "was indicted on Tuesday.", "perspectives"),
        cited(ARTICLE, "Vancouver Police spokesman", "entity"),  # a phrase by design
        cited(ARTICLE, "5 million in 2001.", "go_deeper"),
    ]
    fig = ed.fragments([page(spans=spans)], {"a1": ARTICLE})
    assert (fig.numerator, fig.denominator) == (2, 3)


# -- 7. perspective sentences about another event -------------------------------------------------------------
def test_perspective_sentences_from_an_article_of_another_event() -> None:
    text = "One. Two. Three."
    spans = [
        cited(text, "One.", "perspectives", "a1"),
        cited(text, "Two.", "perspectives", "a2"),
        cited(text, "Three.", "what_happened", "a2"),  # not a perspective
        cited(text, "Three.", "perspectives", "a3"),  # no gold label: not counted
    ]
    gold = Gold(of_article={"a1": "E1", "a2": "E2"}, of_story={"s1": "E1"})
    fig = ed.off_event_perspectives([page(spans=spans)], gold)
    assert (fig.numerator, fig.denominator) == (1, 2)


# -- 8. headlines ---------------------------------------------------------------------------------------------
def _headline(headline: str, titles: Sequence[str], text: str = "", source: str = "NTV") -> list[str]:
    members = [Member(f"a{n}", f"u{n}", t, source) for n, t in enumerate(titles, start=1)]
    return ed.headline_problems(page(headline=headline, members=members), {"a1": text}, ["Times of India"])


def test_headline_problems() -> None:
    assert _headline("Council approves harbour plan", ["Council approves harbour plan"]) == []
    # The title with its outlet cut off is still the title.
    assert _headline("Pos soruşturması: 4 şüpheli tutuklandı", ["Pos soruşturması: 4 şüpheli tutuklandı | NTV"]) == []
    lede = "The council on Monday approved the plan to rebuild the harbour wall."
    assert _headline(lede, ["Harbour plan approved"], f"{lede} It costs more.") == ["lede sentence"]
    assert _headline("x" * 111, ["x" * 111]) == ["over 110 characters"]
    assert _headline("4 şüpheli tutuklandı | NTV Haber", ["4 şüpheli tutuklandı | NTV Haber"]) == ["site cruft"]
    assert _headline(
        "Pakistan walls off netizens - Times of India", ["Pakistan walls off netizens - Times of India"]
    ) == ["site cruft"]
    assert _headline("Flood hits town - NTV Haber", ["Flood hits town - NTV Haber"]) == ["site cruft"]
    assert _headline("Hewlett - Packard buys EYP", ["Hewlett - Packard buys EYP"]) == []  # a name's hyphen


# -- 9. provenance --------------------------------------------------------------------------------------------
def test_provenance_counts_spans_verbatim_at_their_article_span() -> None:
    text = "One. Two. Three."
    good = cited(text, "Two.")
    shifted = Span("what_happened", "a1", good.start + 1, good.end + 1, "Two.")
    missing = Span("entity", "zz", 0, 4, "One.")
    fig = ed.provenance([page(spans=[good, shifted, missing])], {"a1": text})
    assert (fig.numerator, fig.denominator) == (1, 3)


# -- 10. single-article stories and empty summaries -----------------------------------------------------------
def test_single_article_stories_and_pages_without_a_summary() -> None:
    pages = [page("s1", articles=1, spans=[cited("A b.", "A b.")]), page("s2", articles=3), page("s3", articles=1)]
    assert (ed.single_article(pages).numerator, ed.single_article(pages).denominator) == (2, 3)
    assert (ed.no_summary(pages).numerator, ed.no_summary(pages).denominator) == (2, 3)


# -- restatements ---------------------------------------------------------------------------------------------
def test_restatements_by_tf_idf_cosine() -> None:
    text = (
        "Ellen DeGeneres will host the Oscars for a second time next year. "
        "Television icon Ellen DeGeneres will host the Oscars again next year. "
        "The ceremony moves to a new date in March. "
        "Shares in the carmaker fell sharply on Monday. "
        "Analysts expect the new model to sell well in Europe."
    )
    sentences = text.replace(". ", ".|").split("|")
    restating = page("s1", spans=[cited(text, s) for s in sentences[:3]])
    distinct = page("s2", spans=[cited(text, s) for s in sentences[3:]])
    pairs = ed.restated_pairs([restating.summary, distinct.summary])
    assert [(i, j) for i, j, _ in pairs[0]] == [(0, 1)] and pairs[1] == []
    fig = ed.restatements([restating, distinct, page("s3", spans=[cited(text, sentences[0])])])
    assert (fig.numerator, fig.denominator) == (1, 2)  # a one-sentence summary cannot restate itself


# -- all of it, as the read side composes pages ---------------------------------------------------------------
T0 = datetime(2024, 5, 1, tzinfo=UTC)


class FakeReader:
    """The read side's answers for two stories: s1 links to the earlier s0."""

    def __init__(self) -> None:
        body = "The council approved the harbour plan. Work starts in May.\nMayor Ann Lee welcomed it."
        self.texts = {"a1": body, "a2": body, "b1": "Storm Ilsa hit the coast. Power was cut."}
        self.sections: dict[str, dict[str, Any]] = {
            "s1": {
                "headline": {"text": "Council approves harbour plan", "article_id": "a1"},
                "what_happened": [self._span("a1", "The council approved the harbour plan.")],
                "behind_the_headline": [self._span("a1", "Work starts in May.")],
                "perspectives": [
                    {"source_id": "x", "lead": self._span("a2", "Mayor Ann Lee welcomed it."), "quotes": []}
                ],
                "entities": [
                    {"name": "Ann Lee", "kind": "person", "description": self._span("a1", "Mayor")},
                    {"name": "Lee", "kind": "person", "description": None},
                ],
            },
            "s0": {
                "headline": {"text": "Storm Ilsa hits coast", "article_id": "b1"},
                "what_happened": [self._span("b1", "Storm Ilsa hit the coast.")],
                "entities": [{"name": "Storm Ilsa", "kind": "event"}],
                "question": {
                    "text": "Where did Storm Ilsa hit?",
                    "answer": self._span("b1", "Storm Ilsa hit the coast."),
                },
            },
        }

    def _span(self, aid: str, sentence: str) -> dict[str, Any]:
        start = self.texts[aid].index(sentence)
        return {"text": sentence, "article_id": aid, "start": start, "end": start + len(sentence)}

    def briefs(self, story_ids: Sequence[str]) -> dict[str, StoryBrief]:
        return {sid: StoryBrief.from_sections(sid, T0, T0, self.sections[sid]) for sid in story_ids}

    def story(self, story_id: str) -> dict[str, Any] | None:
        first = T0.replace(day=2) if story_id == "s1" else T0
        members = {"s1": [("a1", "Council approves harbour plan"), ("a2", "Harbour plan")], "s0": [("b1", "Storm")]}
        return {
            "story_id": story_id,
            "headline": self.sections[story_id]["headline"]["text"],
            "first_seen": first.isoformat(),
            "last_seen": first.isoformat(),
            "article_count": len(members[story_id]),
            "outlet_count": len(members[story_id]),
            "sections": self.sections[story_id],
            "articles": [
                {"article_id": a, "url": f"u/{a}", "title": t, "source_name": "X"} for a, t in members[story_id]
            ],
            "links": [{"story_id": "s0", "kind": "background", "score": 0.3}] if story_id == "s1" else [],
        }

    def article(self, article_id: str) -> dict[str, Any] | None:
        return {"article_id": article_id, "text": self.texts[article_id]}


def test_pages_are_read_as_the_web_page_composes_them() -> None:
    reader = FakeReader()
    story = reader.story("s1")
    assert story is not None
    got = page_of(reader, story)
    links = story_links(reader, story)
    assert [b.story_id for b in links.how_we_got_here] == ["s0"]
    # Every cited span of every section, whatever the perspective's structure, with the links' sentences.
    sections = ["behind_the_headline", "entity", "how_we_got_here", "perspectives", "what_happened"]
    sections += ["go_deeper"] * len(links.go_deeper)
    assert sorted(s.section for s in got.spans) == sorted(sections)
    assert got.links == (Link("how_we_got_here", "s0"), *(Link("go_deeper", "s0") for _ in links.go_deeper))
    assert [c.described for c in got.cards] == [True, False]
    if links.go_deeper:  # the stored question, where the read side serves one
        assert got.questions[0].names == ("Storm Ilsa",)


def test_editorial_check_with_and_without_gold() -> None:
    reader = FakeReader()
    ranked = [{"story_id": "s1"}, {"story_id": "s0"}]
    without = {f.key: f for f in editorial_check(reader, ranked, ["X"])}
    assert "same_event_links" not in without and "off_event_perspectives" not in without
    assert without["provenance"].numerator == without["provenance"].denominator > 0
    assert (without["junk_cards"].numerator, without["junk_cards"].denominator) == (1, 3)  # "Lee" below "Ann Lee"
    assert without["front_page"].denominator == 2
    gold = {"u/a1": "E1", "u/a2": "E1", "u/b1": "E1"}
    assigned = [("u/a1", "s1"), ("u/a2", "s1"), ("u/b1", "s0")]
    with_gold = {f.key: f for f in editorial_check(reader, ranked, ["X"], gold, assigned)}
    # s1's background story s0 (linked from How we got here, and from Go deeper if it asks a question) is, by the
    # gold, the same event: a split.
    shown = 1 + len(story_links(reader, reader.story("s1") or {}).go_deeper)
    assert (with_gold["same_event_links"].numerator, with_gold["same_event_links"].denominator) == (shown, shown)
    assert (with_gold["off_event_perspectives"].numerator, with_gold["off_event_perspectives"].denominator) == (0, 1)
