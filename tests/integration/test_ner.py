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
