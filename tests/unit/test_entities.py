"""Entity cards: kinds kept, surname aliases, salience, cited descriptions, first-mention dates, minimum support."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from storyline.domain.descriptions import Description, describe, valid_description
from storyline.domain.entities import (
    ArticleMentions,
    Mention,
    entity_cards,
    mentions_from_json,
    mentions_to_json,
)
from storyline.domain.names import entity_key

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TEXT_A = "Huawei, the Chinese telecoms giant, said Meng Wanzhou would fly home. Meng thanked supporters in Vancouver."
TEXT_B = "Meng Wanzhou left Canada on Friday. Huawei, the Chinese telecoms giant, welcomed her in Shenzhen."
TEXT_C = "Huawei, a maker of phones, had denied wrongdoing; Meng said little."


def _m(text: str, name: str, label: str, in_title: bool = False) -> Mention:
    start = text.index(name)
    return Mention(name, label, start, start + len(name), in_title)


def _d(text: str, name: str, phrase: str) -> Description:
    start = text.index(phrase)
    return Description(name, phrase, start, start + len(phrase))


MENTIONS = {
    "a": ArticleMentions(
        "a",
        (
            _m(TEXT_A, "Huawei", "ORG"),
            _m(TEXT_A, "Meng Wanzhou", "PERSON"),
            _m(TEXT_A, "Meng", "GPE"),  # a small model may mislabel a lone surname; the alias fixes it
            _m(TEXT_A, "Vancouver", "GPE"),
            Mention("Meng Wanzhou", "PERSON", 0, 0, in_title=True),
        ),
        (_d(TEXT_A, "Huawei", "the Chinese telecoms giant"),),
    ),
    "b": ArticleMentions(
        "b",
        (
            _m(TEXT_B, "Meng Wanzhou", "PERSON"),
            _m(TEXT_B, "Canada", "GPE"),
            _m(TEXT_B, "Friday", "DATE"),
            _m(TEXT_B, "Huawei", "ORG"),
            _m(TEXT_B, "Shenzhen", "GPE"),
        ),
        (_d(TEXT_B, "Huawei", "the Chinese telecoms giant"),),
    ),
    "c": ArticleMentions(
        "c",
        (_m(TEXT_C, "Huawei", "ORG"), _m(TEXT_C, "Meng", "PERSON")),
        (_d(TEXT_C, "Huawei", "a maker of phones"),),
    ),
}
ARTICLES = [("a", T0), ("b", T0 + timedelta(hours=5)), ("c", T0 + timedelta(days=1))]


def test_cards_rank_by_salience_and_keep_only_entities_of_several_articles() -> None:
    cards = entity_cards(ARTICLES, MENTIONS)
    names = [c.name for c in cards]
    # Meng Wanzhou: in all three (once by surname) and in a headline; Huawei: all three; places in one only.
    assert names == ["Meng Wanzhou", "Huawei"]
    meng, huawei = cards
    assert meng.kind == "person" and huawei.kind == "organisation"
    assert meng.article_count == 3 and huawei.article_count == 3
    assert meng.salience > huawei.salience
    assert 0.0 < huawei.salience <= 1.0


def test_dates_and_amounts_are_not_cards() -> None:
    single = entity_cards([("b", T0)], {"b": MENTIONS["b"]})
    assert "Friday" not in {c.name for c in single}
    # A one-article story: what it describes or names twice is a topic; a place named once in passing is not.
    assert "Huawei" in {c.name for c in single}
    assert not {"Canada", "Shenzhen"} & {c.name for c in single}


def test_the_description_is_the_phrase_most_articles_use_and_cites_its_span() -> None:
    huawei = next(c for c in entity_cards(ARTICLES, MENTIONS) if c.name == "Huawei")
    assert huawei.description is not None
    assert huawei.description.text == "the Chinese telecoms giant"
    assert huawei.description.article_id == "a"  # the earliest of the two that say it
    assert TEXT_A[huawei.description.start : huawei.description.end] == huawei.description.text


def test_first_mentioned_is_the_earliest_article() -> None:
    late_only = {"c": MENTIONS["c"], "b": MENTIONS["b"]}
    cards = entity_cards([("b", T0 + timedelta(hours=5)), ("c", T0 + timedelta(days=1))], late_only)
    assert next(c for c in cards if c.name == "Huawei").first_mentioned == T0 + timedelta(hours=5)


def test_an_ambiguous_surname_is_not_merged() -> None:
    two = {
        "x": ArticleMentions("x", (Mention("Anna Smith", "PERSON", 0, 10), Mention("Ben Smith", "PERSON", 11, 20)), ()),
        "y": ArticleMentions("y", (Mention("Smith", "PERSON", 0, 5), Mention("Ben Smith", "PERSON", 6, 16)), ()),
        "z": ArticleMentions("z", (Mention("Anna Smith", "PERSON", 0, 10),), ()),
    }
    cards = entity_cards([("x", T0), ("y", T0), ("z", T0)], two)
    # "Smith" alone could be either (each named twice); it stays its own (1 article, no card)
    assert {c.name for c in cards} == {"Anna Smith", "Ben Smith"}


def test_descriptions_must_be_short_common_phrases() -> None:
    assert valid_description("the special counsel", "Robert Mueller")
    assert not valid_description("Sen. Lindsey Graham of South Carolina", "Republican")  # another name
    assert not valid_description("himself", "Trump")  # one word
    assert not valid_description("the company that Huawei founded", "Huawei")  # the name again
    assert not valid_description('a man who said "no"', "X")
    assert not valid_description(" ".join(["word"] * 16), "X")


def test_entity_key_ignores_case_article_and_possessive() -> None:
    assert entity_key("The White House") == entity_key("white house") == "white house"
    assert entity_key("Schiff's") == entity_key("Schiff") == "schiff"


def test_card_json_carries_provenance() -> None:
    card = entity_cards(ARTICLES, MENTIONS)[1]
    data = card.to_json()
    assert data["description"] == {"text": "the Chinese telecoms giant", "article_id": "a", "start": 8, "end": 34}
    assert data["first_mentioned"] == T0.isoformat()


def _spans(text: str, *names: str) -> list[Mention]:
    out = []
    for name in names:
        at = text.index(name)
        out.append(Mention(name, "ORG", at, at + len(name)))
    return out


def test_describe_finds_appositives_and_definitions_with_exact_spans() -> None:
    text = (
        "Huawei, the Chinese telecoms giant, said on Monday that it would appeal. "
        "Meng Wanzhou is a senior executive at the company. Reuters was told nothing."
    )
    found = describe(text, _spans(text, "Huawei", "Meng Wanzhou", "Reuters"))
    assert [(d.name, d.text) for d in found] == [
        ("Huawei", "the Chinese telecoms giant"),
        ("Meng Wanzhou", "a senior executive at the company"),
    ]
    for d in found:
        assert text[d.start : d.end] == d.text


def test_describe_rejects_clauses_lists_and_definitions_of_objects() -> None:
    text = (
        "Huawei, the company said, would appeal. Apple, Google and Microsoft fell. "
        "Shares of Tesla is a typo here. Trump, who spoke on Monday, left. Ford, in a statement, agreed. "
        "Chuck Schumer of New York, the Democratic leader, spoke. Jim Manley, a top adviser to Mr. Reid, left."
    )
    names = _spans(text, "Huawei", "Apple", "Google", "Tesla", "Trump", "Ford", "New York", "Jim Manley")
    # "the company said" is a clause; "Google and Microsoft" is no description (valid_description drops a
    # capitalised phrase); Tesla does not open its sentence; "who …" and "in …" open clauses, not noun phrases;
    # "of New York" modifies Schumer, who the appositive is about. The full stop of "Mr." ends no appositive.
    kept = [d for d in describe(text, names) if valid_description(d.text, d.name)]
    assert [(d.name, d.text) for d in kept] == [("Jim Manley", "a top adviser to Mr. Reid")]


def test_title_mentions_are_not_described() -> None:
    text = "Huawei, the Chinese telecoms giant, said so."
    assert describe(text, [Mention("Huawei", "ORG", 0, 6, in_title=True)]) == ()


def test_stored_mentions_round_trip_through_json() -> None:
    found = ArticleMentions(
        "a1",
        (Mention("Huawei", "ORG", 0, 6), Mention("Meng", "PERSON", 0, 0, in_title=True)),
        (Description("Huawei", "the Chinese telecoms giant", 8, 34),),
    )
    assert mentions_from_json("a1", json.loads(json.dumps(mentions_to_json(found)))) == found
