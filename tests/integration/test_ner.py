"""The spaCy recogniser (a real trained model, loaded offline): entity spans, appositive and copular descriptions."""

from __future__ import annotations

from datetime import UTC, datetime

from storyline.adapters.ner_spacy import LEAD_CHARS, SpacyRecognizer
from storyline.domain.enrichment import StoryArticle
from storyline.domain.entities import entity_cards

TEXT = (
    "Huawei, the Chinese telecoms giant, said on Monday that Meng Wanzhou would return to Shenzhen. "
    "Meng Wanzhou is a senior executive at the company. Apple shares fell in New York."
)
ARTICLE = StoryArticle(
    "a1",
    "wire",
    "Wire",
    "https://wire.example/a1",
    "Huawei welcomes Meng Wanzhou home",
    TEXT,
    datetime(2026, 3, 1, 9, tzinfo=UTC),
    None,
)
RECOGNIZER = SpacyRecognizer()


def test_mentions_have_spans_into_the_article_text() -> None:
    found = RECOGNIZER.mentions([ARTICLE])["a1"]
    body = [m for m in found.mentions if not m.in_title]
    assert {(m.name, m.label) for m in body} >= {("Huawei", "ORG"), ("Shenzhen", "GPE"), ("New York", "GPE")}
    for m in body:
        assert TEXT[m.start : m.end] == m.name
    assert {m.name for m in found.mentions if m.in_title} >= {"Huawei"}


def test_descriptions_are_appositives_and_definitions_with_exact_spans() -> None:
    found = RECOGNIZER.mentions([ARTICLE])["a1"]
    described = {(d.name, d.text) for d in found.descriptions}
    assert ("Huawei", "the Chinese telecoms giant") in described
    assert ("Meng Wanzhou", "a senior executive at the company") in described
    for d in found.descriptions:
        assert TEXT[d.start : d.end] == d.text


def test_cards_from_the_model_carry_their_description() -> None:
    cards = entity_cards([("a1", ARTICLE.published_at)], RECOGNIZER.mentions([ARTICLE]))
    huawei = next(c for c in cards if c.name == "Huawei")
    assert huawei.kind == "organisation" and huawei.description is not None
    assert huawei.description.text == "the Chinese telecoms giant"


def test_each_article_is_read_once_and_only_its_lead() -> None:
    long = StoryArticle(
        "a2",
        "wire",
        "Wire",
        "https://wire.example/a2",
        "Long read",
        TEXT + " filler." * 2000 + " Tesla rose.",
        ARTICLE.published_at,
        None,
    )
    first = RECOGNIZER.mentions([ARTICLE, long])
    again = RECOGNIZER.mentions([ARTICLE, long])
    assert again["a1"] is first["a1"] and again["a2"] is first["a2"]  # cached, not recomputed
    assert all(m.end <= LEAD_CHARS for m in first["a2"].mentions)
    assert "Tesla" not in {m.name for m in first["a2"].mentions}


def test_titles_before_names_are_descriptions_from_the_model_spans() -> None:
    text = (
        "The driver was named on Tuesday by police spokesman Constable Tim Fanning. "
        "HP's chief executive Mark Hurd said the deal would close in June."
    )
    art = StoryArticle("t1", "wire", "Wire", "https://wire.example/t1", "Crash", text, ARTICLE.published_at, None)
    found = RECOGNIZER.mentions([art])["t1"]
    described = {(d.name.removeprefix("Constable "), d.text) for d in found.descriptions}
    assert ("Tim Fanning", "police spokesman") in described
    assert ("Mark Hurd", "HP's chief executive") in described


def test_other_languages_are_not_read_by_the_english_model() -> None:
    german = (
        "Die Aufregung nach dem Aufmarsch von Islamisten in Hamburg bleibt groß. Auch in Österreich stellt sich nun "
        "die Frage, wie die Antwort im Umgang mit religiösen Fanatikern aussehen soll, sagte Karl Nehammer in Wien."
    )
    swahili = (
        "JESHI la Polisi mkoani Shinyanga limefanikiwa kukamata watu 81 kwa kuhusika na makosa mbalimbali yakiwemo "
        "ya kupatikana na silaha aina ya Gobore katika kijiji cha Bugomba A kata ya Ulewe Halmashauri ya Ushetu."
    )
    declared = StoryArticle(
        "de1",
        "ds",
        "Der Standard",
        "https://ds.example/1",
        "Kalifat-Rufe",
        german,
        ARTICLE.published_at,
        None,
        language="de",
    )
    # Declared English by its page, written in Swahili: the text itself says it is not English.
    mislabelled = StoryArticle(
        "sw1",
        "hl",
        "HabariLeo",
        "https://hl.example/1",
        "Watu 18 wanaswa",
        swahili,
        ARTICLE.published_at,
        None,
        language="en",
    )
    found = RECOGNIZER.mentions([declared, mislabelled])
    assert found["de1"].mentions == () and found["sw1"].mentions == ()
    assert entity_cards([("de1", ARTICLE.published_at), ("sw1", ARTICLE.published_at)], found) == []
