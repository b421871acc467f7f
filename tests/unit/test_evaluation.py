"""Evaluation scores: BCubed, duplicate pair scores, token F1, per-part reports and gold parsing."""

from __future__ import annotations

import json

import pytest

from storyline.domain.errors import ConfigError
from storyline.domain.evaluation import (
    PRF,
    GoldArticle,
    Predicted,
    bcubed,
    duplicate_scores,
    evaluate,
    token_f1,
    worst_errors,
)
from storyline.services.evaluation import parse_gold, predictions, run_eval

GOLD3 = {"a": "X", "b": "X", "c": "Y"}


def test_bcubed_perfect_with_different_label_names() -> None:
    got = bcubed(GOLD3, {"a": "s1", "b": "s1", "c": "s2"})
    assert got == PRF(1.0, 1.0, 1.0, 3)


def test_bcubed_all_merged() -> None:
    # Precision: a and b see 2 of 3 right, c sees 1 of 3 -> (2/3 + 2/3 + 1/3) / 3 = 5/9; recall is 1.
    got = bcubed(GOLD3, {"a": "s", "b": "s", "c": "s"})
    assert got.precision == pytest.approx(5 / 9)
    assert got.recall == pytest.approx(1.0)
    assert got.f1 == pytest.approx(2 * (5 / 9) / (5 / 9 + 1))
    assert got.n == 3


def test_bcubed_all_split() -> None:
    # Recall: a and b find 1 of 2, c finds 1 of 1 -> (1/2 + 1/2 + 1) / 3 = 2/3; precision is 1.
    got = bcubed(GOLD3, {"a": "s1", "b": "s2", "c": "s3"})
    assert got.precision == pytest.approx(1.0)
    assert got.recall == pytest.approx(2 / 3)
    assert got.f1 == pytest.approx(0.8)


def test_bcubed_missing_article_is_a_singleton() -> None:
    with_missing = bcubed({"a": "X", "b": "X"}, {"a": "s"})
    assert with_missing.precision == pytest.approx(1.0)
    assert with_missing.recall == pytest.approx(0.5)
    # None counts as missing too, and two missing articles are not one story.
    none_predicted = bcubed({"a": "X", "b": "X"}, {"a": None, "b": None})
    assert (none_predicted.precision, none_predicted.recall, none_predicted.n) == (1.0, 0.5, 2)
    assert none_predicted.f1 == pytest.approx(2 / 3)
    assert bcubed({"a": "X", "b": "X"}, {}) == bcubed({"a": "X", "b": "X"}, {"a": None, "b": None})


def test_bcubed_ignores_predictions_outside_gold() -> None:
    assert bcubed(GOLD3, {"a": "s1", "b": "s1", "c": "s2", "zzz": "s1"}) == PRF(1.0, 1.0, 1.0, 3)


def test_bcubed_empty_gold() -> None:
    assert bcubed({}, {"a": "s"}) == PRF(0.0, 0.0, 0.0, 0)


def _gold(
    url: str,
    story: str = "S",
    duplicate_of: str | None = None,
    near: frozenset[str] = frozenset(),
    corpus: str = "main",
    text: str = "",
) -> GoldArticle:
    return GoldArticle(url, story, duplicate_of, near, corpus, f"title {url}", text)


def _pred(url: str, duplicate_of: str | None = None, story: str | None = "s", text: str | None = None) -> Predicted:
    return Predicted(url=url, story_id=story, duplicate_of=duplicate_of, text=text)


DUP_GOLD = [
    _gold("o"),
    _gold("c1", duplicate_of="o"),
    _gold("c2", duplicate_of="o"),
    _gold("x", story="T"),
    _gold("near", near=frozenset({"o"})),
]


def test_duplicate_scores_root_semantics_and_near_copies() -> None:
    pred = {
        "o": _pred("o"),
        "c1": _pred("c1", "o"),  # right
        "c2": _pred("c2", "c1"),  # right: c1 and c2 share the earliest copy o
        "near": _pred("near", "o"),  # a near copy: neither right nor wrong
        "x": _pred("x", "o"),  # wrong
    }
    got = duplicate_scores(DUP_GOLD, pred)
    assert got.precision == pytest.approx(2 / 3)
    assert got.recall == pytest.approx(1.0)
    assert got.n == 2


def test_duplicate_scores_near_copy_is_ignored_in_either_direction() -> None:
    gold = [_gold("o", near=frozenset({"near"})), _gold("near")]
    assert duplicate_scores(gold, {"near": _pred("near", "o")}).precision == 1.0
    assert duplicate_scores(gold, {"o": _pred("o", "near")}).precision == 1.0


def test_duplicate_scores_nothing_found() -> None:
    got = duplicate_scores(DUP_GOLD, {u: _pred(u) for u in ("o", "c1", "c2", "x", "near")})
    assert got.precision == 1.0  # no pairs claimed, none wrong
    assert got.recall == 0.0
    assert got.f1 == 0.0


def test_duplicate_scores_copy_pointing_back_at_original_reversed() -> None:
    # Naming the copy as the original of the original still groups them under one root.
    got = duplicate_scores(DUP_GOLD, {"o": _pred("o", "c1")})
    assert got.precision == 1.0
    assert got.recall == 0.0


def test_duplicate_scores_no_gold_pairs() -> None:
    got = duplicate_scores([_gold("a"), _gold("b")], {"a": _pred("a", "b")})
    assert got.precision == 0.0
    assert got.recall == 1.0
    assert got.n == 0


def test_token_f1() -> None:
    assert token_f1("the cat sat", "the cat sat") == 1.0
    assert token_f1("The Cat sat", "the cat") == pytest.approx(0.8)
    assert token_f1("a a b", "a b b") == pytest.approx(2 / 3)
    assert token_f1("", "anything") == 0.0
    assert token_f1("something", "") == 0.0
    assert token_f1("one two", "three four") == 0.0


def test_evaluate_reports_all_then_each_part() -> None:
    gold = [
        _gold("u1", story="A", corpus="wire", text="alpha beta gamma"),
        _gold("u2", story="A", corpus="wire", duplicate_of="u1", text="alpha beta gamma"),
        _gold("u3", story="B", corpus="local", text="delta epsilon"),
        _gold("u4", story="B", corpus="local", text="zeta eta"),
    ]
    pred = {
        "u1": _pred("u1", story="s1", text="alpha beta gamma"),
        "u2": _pred("u2", "u1", story="s1", text="alpha beta"),
        "u3": _pred("u3", story="s2", text=None),
        "extra": _pred("extra", story="s1", text="not in gold"),
    }
    reports = evaluate(gold, pred)
    assert [r.part for r in reports] == ["all", "wire", "local"]
    all_, wire, local = reports
    assert (all_.articles, all_.found) == (4, 3)
    assert (wire.articles, wire.found) == (2, 2)
    assert (local.articles, local.found) == (2, 1)
    assert wire.stories == PRF(1.0, 1.0, 1.0, 2)
    assert local.stories.precision == 1.0
    assert local.stories.recall == pytest.approx(0.5)
    assert wire.duplicates.precision == 1.0
    assert wire.duplicates.recall == 1.0
    assert local.duplicates.n == 0
    # Extraction F1: mean over extracted texts, and over all articles (missing text counts as 0).
    assert wire.extraction_f1 == pytest.approx((1.0 + 0.8) / 2)
    assert wire.extraction_f1_all == pytest.approx((1.0 + 0.8) / 2)
    assert local.extraction_f1 == 0.0
    assert local.extraction_f1_all == 0.0
    assert all_.extraction_f1 == pytest.approx(0.9)
    assert all_.extraction_f1_all == pytest.approx(1.8 / 4)


def test_worst_errors_names_merges_and_splits() -> None:
    gold = [_gold("a", story="A"), _gold("b", story="A"), _gold("c", story="B")]
    pred = {"a": _pred("a", story="s1"), "b": _pred("b", story="s2"), "c": _pred("c", story="s1")}
    errors = worst_errors(gold, pred)
    assert errors["merges"] == [("title a", "title c")]
    assert errors["splits"] == [("title a", "title b")]


def test_parse_gold_replaces_base_and_reads_fields() -> None:
    lines = [
        json.dumps({"url": "{{BASE}}/a", "story": 1, "corpus": "wire", "title": "T", "text": "body"}),
        "",
        json.dumps({"url": "{{BASE}}/b", "story": "1", "duplicate_of": "{{BASE}}/a", "near_copies": ["{{BASE}}/c"]}),
    ]
    rows = parse_gold("\n".join(lines), "http://127.0.0.1:8000/", "gold.jsonl")
    assert [r.url for r in rows] == ["http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b"]
    assert rows[0].story == "1"
    assert rows[0].corpus == "wire"
    assert rows[0].duplicate_of is None
    assert rows[1].duplicate_of == "http://127.0.0.1:8000/a"
    assert rows[1].near_copies == frozenset({"http://127.0.0.1:8000/c"})
    assert rows[1].corpus == "all"
    assert rows[1].title == ""


@pytest.mark.parametrize(
    ("bad_line", "error_name"),
    [
        ('{"url": "x", "story": ', "JSONDecodeError"),
        ('{"story": "S"}', "KeyError"),
        ('["url", "story"]', "TypeError"),
    ],
)
def test_parse_gold_names_origin_and_line(bad_line: str, error_name: str) -> None:
    text = "\n".join([json.dumps({"url": "{{BASE}}/a", "story": "S"}), "", bad_line])
    with pytest.raises(ConfigError) as info:
        parse_gold(text, "http://h", "gold/dev.jsonl")
    message = str(info.value)
    assert message.startswith("gold/dev.jsonl: line 3:")
    assert error_name in message
    assert info.value.kind == "config"


def test_run_eval_joins_assignments_and_texts() -> None:
    gold = [_gold("a", story="A", text="one two"), _gold("b", story="A", text="three")]
    assignments: list[dict[str, object]] = [
        {"url": "a", "story_id": "s", "duplicate_of": None},
        {"url": "b", "story_id": "s", "duplicate_of": None},
    ]
    pred = predictions(assignments, {"a": "one two"})
    assert pred["a"].text == "one two"
    assert pred["b"].text is None
    reports, errors = run_eval(gold, assignments, {"a": "one two"})
    assert reports[0].stories.f1 == 1.0
    assert reports[0].extraction_f1 == 1.0
    assert errors == {"merges": [], "splits": []}
