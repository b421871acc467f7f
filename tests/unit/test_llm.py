"""LLM story prose held to its citations: prompt, answer parsing, support scores and verification."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from storyline.domain.enrichment import SUMMARY_MAX_SENTENCES, SUMMARY_MAX_WORDS, StoryArticle
from storyline.domain.llm import LlmSentence, build_messages, parse_response, support, verify

T0 = datetime(2026, 2, 3, 8, 0, tzinfo=UTC)

GAZETTE = StoryArticle(
    article_id="a-gazette",
    source_id="harbour-gazette",
    source_name="Harbour Gazette",
    url="https://gazette.example/ferry",
    title="Ferry service to Marrow Island resumes after storm",
    text=(
        "Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of cancellations. "
        "The first sailing left at seven o'clock with about 80 passengers on board.\n\n"
        "The service was halted because waves of 6 metres battered the northern pier over the weekend. "
        "Repairs to the pier will cost $2.6 million, the harbour authority said."
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
        "Analysts said the two-day halt had exposed how much the island depends on a single operator. "
        "Ines Okafor, the harbour master, told reporters that crews were still clearing debris from the pier."
    ),
    published_at=T0 + timedelta(hours=1),
    duplicate_of=None,
)
WIRE_COPY = StoryArticle(
    article_id="a-coastal",
    source_id="coastal-times",
    source_name="Coastal Times",
    url="https://coastal.example/marrow",
    title="Marrow Island ferries sail again as storm clears",
    text=WIRE.text,
    published_at=T0 + timedelta(hours=2),
    duplicate_of="a-wire",
)
ARTICLES = [GAZETTE, WIRE, WIRE_COPY]

SUPPORTED = "Ferries between Port Ellis and Marrow Island resumed after two days of cancellations."
# Hostile: starts from the article's facts, then invents a death toll and a resignation no article reports.
INVENTED = "Ferries resumed after the storm killed 40 islanders and the mayor resigned."


# --- parse_response ---------------------------------------------------------------------------------------------

ANSWER = {
    "what_happened": [{"text": SUPPORTED, "cite": ["a-gazette"]}],
    "behind": [{"text": "Analysts said the halt exposed the island's dependence.", "cite": ["a-wire", "a-gazette"]}],
}
EXPECTED = {
    "what_happened": [(SUPPORTED, ["a-gazette"])],
    "behind": [("Analysts said the halt exposed the island's dependence.", ["a-wire", "a-gazette"])],
}


def test_parse_plain_json() -> None:
    assert parse_response(json.dumps(ANSWER)) == EXPECTED


def test_parse_fenced_json() -> None:
    content = "```json\n" + json.dumps(ANSWER, indent=2) + "\n```"
    assert parse_response(content) == EXPECTED


def test_parse_prefers_the_fenced_block_over_an_object_in_the_preamble() -> None:
    content = 'You asked for {"cite": ["id"]} style citations:\n```json\n' + json.dumps(ANSWER) + "\n```"
    assert parse_response(content) == EXPECTED


def test_parse_prose_before_json() -> None:
    content = "Sure! Here is the JSON you asked for {as requested}:\n\n" + json.dumps(ANSWER) + "\nHope it helps."
    assert parse_response(content) == EXPECTED


def test_parse_strips_brackets_copied_from_the_prompt_and_treats_missing_cite_as_none() -> None:
    content = json.dumps(
        {"what_happened": [{"text": "x y", "cite": [" [a-gazette] "]}, {"text": "no cite here"}], "behind": []}
    )
    assert parse_response(content) == {"what_happened": [("x y", ["a-gazette"]), ("no cite here", [])], "behind": []}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("I cannot help with that.", "no JSON object"),
        ("[1, 2, 3]", "no JSON object"),
        ('{"what_happened": []}', "'behind'"),
        ('{"summary": "x"}', "'what_happened'"),
        ('{"what_happened": "Ferries resumed.", "behind": []}', "must be a list"),
        ('{"what_happened": ["Ferries resumed."], "behind": []}', "must be an object"),
        ('{"what_happened": [{"text": 3, "cite": []}], "behind": []}', "text must be a string"),
        ('{"what_happened": [{"text": "x", "cite": [1]}], "behind": []}', "cite must be a list"),
        ('```json\n{"what_happened": [\n```', "no JSON object"),
    ],
)
def test_parse_rejects_garbage(content: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_response(content)


# --- support ----------------------------------------------------------------------------------------------------


def test_support_counts_content_terms_and_numbers() -> None:
    text = GAZETTE.text
    assert support(SUPPORTED, [text]) == 1.0
    # sailing, passengers, #80 present; "carried" is not: 3 of 4.
    assert support("The first sailing carried about 80 passengers.", [text]) == pytest.approx(0.75)
    # A wrong figure is a missing term: 800 is not 80.
    assert support("The first sailing carried about 800 passengers.", [text]) == pytest.approx(0.5)
    # Decimals stay whole: 2.6 is in the text, 26 is not.
    assert support("Repairs will cost $2.6 million.", [text]) == 1.0
    assert support("Repairs will cost $26 million.", [text]) == pytest.approx(0.75)
    # Thousands separators do not matter.
    assert support("Crews counted 1,200 tonnes.", ["1200 tonnes counted by crews"]) == 1.0


def test_support_of_a_sentence_without_content_terms_is_zero() -> None:
    assert support("It was so.", [GAZETTE.text]) == 0.0
    assert support("", [GAZETTE.text]) == 0.0


def test_support_uses_the_union_of_cited_texts() -> None:
    both = "Ferries resumed, and analysts said the island depends on a single operator."
    alone = support(both, [GAZETTE.text])
    together = support(both, [GAZETTE.text, WIRE.text])
    assert alone < together == 1.0


# --- verify -----------------------------------------------------------------------------------------------------


def test_verify_keeps_supported_sentences_with_their_ids() -> None:
    behind = "Analysts said the two-day halt exposed how much the island depends on a single operator."
    prose = verify({"what_happened": [(SUPPORTED, ["a-gazette"])], "behind": [(behind, ["a-wire"])]}, ARTICLES)
    assert prose.what_happened == (LlmSentence(SUPPORTED, ("a-gazette",), 1.0),)
    assert [(s.text, s.article_ids) for s in prose.behind] == [(behind, ("a-wire",))]
    assert prose.behind[0].support >= 0.6
    assert prose.dropped == 0
    assert prose.dropped_reasons == ()


def test_verify_accepts_a_wire_copy_id_since_it_is_a_member_article() -> None:
    text = "Analysts said the halt exposed how much the island depends on a single operator."
    prose = verify({"what_happened": [], "behind": [(text, ["a-coastal"])]}, ARTICLES)
    assert [s.article_ids for s in prose.behind] == [("a-coastal",)]


def test_verify_drops_uncited_unknown_and_unsupported_sentences_and_counts_them() -> None:
    parsed = {
        "what_happened": [
            (SUPPORTED, []),
            (SUPPORTED, ["a-gazette", "a-elsewhere"]),
            (INVENTED, ["a-gazette"]),
            ("   ", ["a-gazette"]),
            (SUPPORTED, ["a-gazette", "a-gazette"]),
        ],
        "behind": [(INVENTED, ["a-gazette", "a-wire"])],
    }
    prose = verify(parsed, ARTICLES)
    assert [(s.text, s.article_ids) for s in prose.what_happened] == [(SUPPORTED, ("a-gazette",))]
    assert prose.behind == ()
    assert prose.dropped == 5
    assert prose.dropped_reasons[:2] == ("no citation", "unknown article id 'a-elsewhere'")
    assert prose.dropped_reasons[2].startswith("support 0.")
    assert prose.dropped_reasons[2].endswith(" < 0.60")
    assert prose.dropped_reasons[3] == "empty sentence"
    assert prose.dropped_reasons[4].startswith("support ")


def test_verify_invented_fact_is_dropped_even_when_it_cites_a_real_article() -> None:
    score = support(INVENTED, [f"{GAZETTE.title}\n{GAZETTE.text}"])
    assert score < 0.6
    prose = verify({"what_happened": [(INVENTED, ["a-gazette"])], "behind": []}, ARTICLES)
    assert prose.what_happened == ()
    assert prose.dropped_reasons == (f"support {score:.2f} < 0.60",)


def test_verify_min_support_is_a_parameter() -> None:
    sentence = "The first sailing carried about 80 passengers."  # support 0.75
    parsed = {"what_happened": [(sentence, ["a-gazette"])], "behind": []}
    assert len(verify(parsed, ARTICLES, min_support=0.7).what_happened) == 1
    strict = verify(parsed, ARTICLES, min_support=0.8)
    assert strict.what_happened == ()
    assert strict.dropped_reasons == ("support 0.75 < 0.80",)


def test_verify_caps_what_happened_at_four_sentences() -> None:
    lines = [
        "Ferries between Port Ellis and Marrow Island resumed.",
        "The first sailing left with about 80 passengers on board.",
        "Waves of 6 metres battered the northern pier.",
        "Repairs to the pier will cost $2.6 million.",
        "The service was halted over the weekend.",
        "Ferries resumed after two days of cancellations.",
    ]
    prose = verify({"what_happened": [(t, ["a-gazette"]) for t in lines], "behind": []}, ARTICLES)
    assert [s.text for s in prose.what_happened] == lines[:SUMMARY_MAX_SENTENCES]
    assert prose.dropped == 2
    assert prose.dropped_reasons == ("what_happened over 4 sentences",) * 2


def test_verify_caps_what_happened_at_ninety_words() -> None:
    long_line = " ".join(["Ferries between Port Ellis and Marrow Island resumed after cancellations."] * 5)  # 50 words
    short = "Waves of 6 metres battered the northern pier."  # 8 words
    parsed = {"what_happened": [(long_line, ["a-gazette"]), (long_line, ["a-gazette"]), (short, ["a-gazette"])]}
    prose = verify({**parsed, "behind": []}, ARTICLES)
    kept = [s.text for s in prose.what_happened]
    assert kept == [long_line, short]
    assert sum(len(t.split()) for t in kept) <= SUMMARY_MAX_WORDS
    assert prose.dropped_reasons == ("what_happened over 90 words",)


def test_verify_a_dropped_sentence_does_not_use_up_the_cap() -> None:
    lines = [
        "Ferries between Port Ellis and Marrow Island resumed.",
        INVENTED,
        "The first sailing left with about 80 passengers on board.",
        "Waves of 6 metres battered the northern pier.",
        "Repairs to the pier will cost $2.6 million.",
    ]
    prose = verify({"what_happened": [(t, ["a-gazette"]) for t in lines], "behind": []}, ARTICLES)
    assert [s.text for s in prose.what_happened] == [t for t in lines if t != INVENTED]
    assert prose.dropped == 1


# --- build_messages ---------------------------------------------------------------------------------------------


def test_build_messages_gives_ids_and_leaves_out_wire_copies() -> None:
    messages = build_messages("Ferries sail again", ARTICLES)
    assert [m["role"] for m in messages] == ["system", "user"]
    system, user = messages[0]["content"], messages[1]["content"]
    assert '"what_happened"' in system
    assert '"behind"' in system
    assert '"cite"' in system
    assert "Ferries sail again" in user
    assert "[a-gazette] Harbour Gazette — Ferry service to Marrow Island resumes after storm" in user
    assert "[a-wire] Civic Wire — Marrow Island ferries sail again as storm clears" in user
    assert "a-coastal" not in user
    assert "Coastal Times" not in user
    assert user.count("Ines Okafor") == 1  # the wire copy's text is not sent twice


def test_build_messages_truncates_each_article_to_its_first_words() -> None:
    user = build_messages("Ferries", [GAZETTE], max_words_per_article=5)[1]["content"]
    assert "Ferries between Port Ellis and …" in user
    assert "Marrow Island resumed" not in user.split("\n", 3)[-1]
    assert "cancellations" not in user


def test_build_messages_needs_an_article() -> None:
    with pytest.raises(ValueError, match="at least one article"):
        build_messages("Nothing", [])


def test_a_figure_no_cited_article_states_drops_the_sentence() -> None:
    text = "Repairs to the northern pier will cost 2.6 million dollars, the harbour authority said."
    art = StoryArticle("a1", "o", "O", "https://o.example/1", "Pier repairs", text, T0, None)
    parsed = {
        "what_happened": [
            ("Repairs to the northern pier will cost 26 million dollars, the harbour authority said.", ["a1"]),
            ("Repairs to the northern pier will cost 2.6 million dollars, the authority said.", ["a1"]),
        ],
        "behind": [],
    }
    prose = verify(parsed, [art])
    assert [s.text for s in prose.what_happened] == [parsed["what_happened"][1][0]]
    assert prose.dropped_reasons == ("number 26 not in the cited articles",)
