"""Entity cards a reader can trust: aliases merged, headline fragments and misread names dropped, ids, language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from storyline.domain.descriptions import Description
from storyline.domain.entities import ArticleMentions, EntityCard, Mention, entity_cards, entity_id, headline_line_end
from storyline.domain.names import common_word, dateline, entity_key, looks_english, lowercase_words, plausible_name

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _mentions(names: list[tuple[str, str]], titled: Sequence[tuple[str, str]] = ()) -> tuple[Mention, ...]:
    body = tuple(Mention(n, lb, i * 20, i * 20 + len(n)) for i, (n, lb) in enumerate(names))
    return body + tuple(Mention(n, lb, 0, 0, in_title=True) for n, lb in titled)


def _cards(per_article: list[ArticleMentions]) -> list[EntityCard]:
    articles = [(a.article_id, T0 + timedelta(hours=i)) for i, a in enumerate(per_article)]
    return entity_cards(articles, {a.article_id: a for a in per_article})


def test_trump_donald_trump_and_the_possessive_are_one_card() -> None:
    cards = _cards(
        [
            ArticleMentions(
                "a", _mentions([("Donald Trump", "PERSON"), ("Trump", "ORG"), ("Melania Trump", "PERSON")]), ()
            ),
            ArticleMentions(
                "b", _mentions([("Trump", "PERSON"), ("Donald Trump’s", "PERSON"), ("Trump", "PERSON")]), ()
            ),
            ArticleMentions("c", _mentions([("Mr. Trump", "PERSON"), ("Donald J. Trump", "PERSON")]), ()),
        ]
    )
    trumps = [c for c in cards if "trump" in c.name.casefold() and "Melania" not in c.name]
    assert [c.name for c in trumps] == ["Donald Trump"]
    assert trumps[0].article_count == 3


def test_surnames_suffixes_and_dropped_first_names_merge() -> None:
    cards = _cards(
        [
            ArticleMentions("a", _mentions([("Eric H. Holder Jr.", "PERSON"), ("Emma Roma Jayne", "PERSON")]), ()),
            ArticleMentions("b", _mentions([("Holder", "PERSON"), ("Roma Jayne", "PERSON")]), ()),
        ]
    )
    assert sorted(c.name for c in cards) == ["Emma Roma Jayne", "Eric H. Holder Jr."]
    assert all(c.article_count == 2 for c in cards)


def test_a_leading_the_and_a_spaced_hyphen_do_not_split_an_organisation() -> None:
    assert entity_key("the Pentagon") == entity_key("Pentagon")
    assert entity_key("T - Mobile") == entity_key("T-Mobile")
    assert entity_key("U. S.") == entity_key("U.S.") == entity_key("US")
    assert entity_key("Raúl Labrador") == entity_key("Raul Labrador")
    cards = _cards(
        [
            ArticleMentions("a", _mentions([("the Freedom Front Plus", "ORG")]), ()),
            ArticleMentions("b", _mentions([("Freedom Front Plus", "ORG")]), ()),
        ]
    )
    assert [c.name for c in cards] == ["Freedom Front Plus"]


def test_headline_fragments_are_not_cards() -> None:
    cards = _cards(
        [
            ArticleMentions(
                "a",
                _mentions(
                    [
                        ("Donald Trump", "PERSON"),
                        ("Trump Sends Investigators", "PERSON"),
                        ("Greece", "GPE"),
                        ("Donald Trump", "PERSON"),  # named twice: a topic of the story, not a passing mention
                    ],
                    titled=[("Riot Deaths 'Murder'", "PERSON"), ("Colts Top Jags", "PERSON")],
                ),
                (),
            ),
            ArticleMentions(
                "b",
                _mentions(
                    [("Donald Trump Signals", "PERSON"), ("T - Mobile — the only major U", "ORG"), ("Greece", "GPE")],
                    titled=[("Riot Deaths 'Murder'", "PERSON"), ("Colts Top Jags", "PERSON"), ("Greece", "GPE")],
                ),
                (),
            ),
        ]
    )
    # Only headlines name "Riot Deaths 'Murder'" and "Colts Top Jags"; the rest are a name and a headline's words.
    assert {c.name for c in cards} == {"Donald Trump", "Greece"}
    greece = next(c for c in cards if c.name == "Greece")
    assert greece.salience > 0.5  # headline mentions still weigh a named entity up


def test_kinds_are_checked() -> None:
    assert plausible_name("Tim Fanning", "PERSON")
    assert plausible_name("Ludwig van Beethoven", "PERSON")
    assert plausible_name("iPhone", "PRODUCT")
    assert not plausible_name("Riot Deaths 'Murder'", "PERSON")
    assert not plausible_name("Colts Top Jags To Make Playoffs", "PERSON")
    assert not plausible_name("bangi gramu 9000", "PERSON")
    assert not plausible_name("Minor Victim 1", "PERSON")
    assert not plausible_name("EYP MCF", "PERSON")
    assert not plausible_name("Bill\nDonald Trump", "PERSON")
    assert not plausible_name("T - Mobile — the only major U", "ORG")
    assert not plausible_name('the "Dune" franchise.', "PRODUCT")
    assert not plausible_name("Mo.", "GPE")
    assert not plausible_name("British", "NORP") and plausible_name("Democrats", "NORP")


def test_a_capitalised_common_word_is_not_an_organisation_or_place() -> None:
    text = "Defense officials met protesters. The defense budget and the protests were discussed in Paris."
    words = lowercase_words(text)
    assert common_word("Defense", words)
    assert common_word("Protests", words)
    assert common_word("Today’s", lowercase_words("It is today, not tomorrow."))
    assert not common_word("Paris", words)
    assert not common_word("Social Security", lowercase_words("social security is a phrase"))  # two words: a name


def test_datelines_are_not_topics() -> None:
    assert dateline("WASHINGTON — The Senate voted.", 0, 10)
    assert dateline("NEW DELHI: Pakistan's army", 0, 9)
    assert not dateline("Officials in Washington — and elsewhere", 13, 23)


def test_english_only_models_skip_other_languages() -> None:
    assert looks_english(
        "The president said on Monday that the bill would be signed by the end of the week, and he was right."
    )
    assert not looks_english(
        "JESHI la Polisi mkoani Shinyanga limefanikiwa kukamata watu 81 kwa kuhusika na makosa mbalimbali "
        "yakiwemo ya kupatikana na silaha aina ya Gobore katika kijiji cha Bugomba"
    )
    assert not looks_english(
        "Die Aufregung nach dem Aufmarsch von Islamisten in Hamburg bleibt groß. Auch in Österreich stellt sich "
        "nun die Frage, wie die Antwort im Umgang mit religiösen Fanatikern aussehen soll."
    )


def test_cards_carry_the_warehouse_entity_id() -> None:
    cards = _cards(
        [
            ArticleMentions(
                "a", _mentions([("Huawei", "ORG")]), (Description("Huawei", "the Chinese telecoms giant", 8, 34),)
            ),
        ]
    )
    data = cards[0].to_json()
    assert data["entity_id"] == entity_id("organisation", "Huawei") == cards[0].entity_id
    assert len(str(data["entity_id"])) == 24


def test_a_noun_phrase_is_preferred_to_a_relative_clause_and_a_pronoun_owner() -> None:
    cards = _cards(
        [
            ArticleMentions(
                "a",
                _mentions([("Sundar Pichai", "PERSON")]),
                (
                    Description("Sundar Pichai", "who leads Google", 0, 16),
                    Description("Sundar Pichai", "his boss", 0, 8),
                ),
            ),
            ArticleMentions(
                "b",
                _mentions([("Sundar Pichai", "PERSON")]),
                (
                    Description("Sundar Pichai", "who leads Google", 0, 16),
                    Description("Sundar Pichai", "Google's chief executive", 0, 24),
                ),
            ),
        ]
    )
    assert cards[0].description is not None and cards[0].description.text == "Google's chief executive"


def test_initialisms_legal_forms_and_short_names_join_the_full_name() -> None:
    cards = _cards(
        [
            ArticleMentions(
                "a",
                _mentions(
                    [
                        ("Hewlett-Packard", "ORG"),
                        ("EYP Mission Critical Facilities Inc.", "ORG"),
                        ("BlackBerry Q10", "PRODUCT"),
                    ]
                ),
                (),
            ),
            ArticleMentions(
                "b",
                _mentions([("HP", "ORG"), ("EYP MCF", "ORG"), ("EYP Mission Critical Facilities", "ORG")]),
                (),
            ),
            ArticleMentions(
                "c",
                _mentions(
                    [
                        ("HP", "ORG"),
                        ("Q10", "ORG"),
                        ("UTC", "ORG"),
                        ("Acquiring EYP Mission Critical Facilities", "ORG"),
                    ]
                ),
                (),
            ),
        ]
    )
    by_name = {c.name: c.article_count for c in cards}
    assert by_name == {"Hewlett-Packard": 3, "EYP Mission Critical Facilities": 3, "BlackBerry Q10": 2}


def test_a_role_opening_a_sentence_is_not_part_of_the_name() -> None:
    assert entity_key("Comedian Ellen DeGeneres") == entity_key("Ellen DeGeneres")
    assert entity_key("Apple Inc.") == entity_key("Apple")


def test_a_headline_printed_as_the_first_line_is_the_title() -> None:
    text = "Colts Beat Chiefs 20 - 13 To Clinch Playoff Berth\nThe Indianapolis Colts clinched a playoff spot."
    assert headline_line_end(text, "Something else") == text.index("\n")
    assert headline_line_end("Same title\nBody.", "Same title") == len("Same title")
    # A first line that is a sentence is the body.
    assert headline_line_end("The Colts won on Sunday.\nMore.", "Colts win") == 0
    assert headline_line_end("One line only", "x") == 0


def test_the_whole_text_is_searched_when_the_leads_say_only_where_an_entity_is() -> None:
    lead = "Steve Scalise, R-La., spoke."
    text = lead + " Later, said Steve Scalise, the majority whip of the House, it was over."
    at = lead.index("R-La.")
    found = ArticleMentions(
        "a", (Mention("Steve Scalise", "PERSON", 0, 13),), (Description("Steve Scalise", "R-La.", at, at + 5),)
    )
    cards = entity_cards([("a", T0)], {"a": found}, texts={"a": text})
    assert cards[0].description is not None
    assert cards[0].description.text == "the majority whip of the House"
    assert text[cards[0].description.start : cards[0].description.end] == "the majority whip of the House"


def _santorum(text: str, *others: str) -> ArticleMentions:
    """Rick Santorum named at the start and end of `text` (a card of a one-article story needs two mentions), and
    the `others` where the text names them; the surname between is left to the whole-text search."""
    found = [
        Mention("Rick Santorum", "PERSON", 0, 13),
        Mention("Rick Santorum", "PERSON", len(text) - 19, len(text) - 6),
    ]
    found += [Mention(o, "PERSON", text.index(o), text.index(o) + len(o)) for o in others]
    return ArticleMentions("a", tuple(found), ())


def test_the_search_reads_a_persons_surname_when_nobody_else_in_the_story_has_it() -> None:
    text = "Rick Santorum spoke. Santorum, the new frontrunner in the GOP race, said. Rick Santorum left."
    cards = entity_cards([("a", T0)], {"a": _santorum(text)}, texts={"a": text})
    assert cards[0].description is not None
    assert cards[0].description.text == "the new frontrunner in the GOP race"
    # At a surname, only a phrase headed by a role: "Obama and Santorum, the debate of the year," is a list's.
    text = "Rick Santorum spoke. Obama and Santorum, the debate of the year, ended. Rick Santorum left."
    assert entity_cards([("a", T0)], {"a": _santorum(text)}, texts={"a": text})[0].description is None
    # Two people of the story share the surname: it stands for neither.
    text = (
        "Rick Santorum spoke. Karen Santorum came. Santorum, the new frontrunner in the GOP race, said. "
        "Rick Santorum left."
    )
    cards = entity_cards([("a", T0)], {"a": _santorum(text, "Karen Santorum")}, texts={"a": text})
    assert [c.name for c in cards if c.description is not None] == []


def test_kinds_are_corrected_where_the_name_says_what_it_is() -> None:
    cards = _cards(
        [
            ArticleMentions(
                str(i),
                _mentions(
                    [
                        ("Surrey Fire", "PERSON"),
                        ("Lindi Bus Stand", "PERSON"),
                        ("Georgia", "PERSON"),
                        ("Mitt Romney’s Medicare", "PERSON"),
                        ("Margaret Court", "PERSON"),
                    ]
                ),
                (),
            )
            for i in range(2)
        ]
    )
    assert {c.name: c.kind for c in cards} == {
        "Surrey Fire": "organisation",
        "Lindi Bus Stand": "place",
        "Georgia": "place",
        "Margaret Court": "person",
    }
