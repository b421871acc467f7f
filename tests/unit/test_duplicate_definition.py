"""What a duplicate is (ADR 0016): the copy rule, its direction in decide(), and how the eval scores by it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storyline.cli.evaluation import _report_json
from storyline.domain.dedup import (
    BOILERPLATE_SHINGLES,
    COPY_SHARE,
    Candidate,
    Verdict,
    containment,
    copy_share,
    decide,
    is_copy,
    jaccard,
    shingles,
)
from storyline.domain.evaluation import GoldArticle, Predicted, duplicate_scores, evaluate
from storyline.services.evaluation import parse_gold

# An agency story, as the wire sends it.
AGENCY = """The city council of Harlow Bay voted on Monday to close the old Fenwick bridge to cars from next \
spring, after engineers found cracks in two of its four piers during a routine inspection in March.

Mayor Olu Adeyemi said the decision had not been easy but that the safety of residents came first, and \
that buses and cyclists would still be allowed to cross while a replacement was designed.

The council will spend about four million on temporary repairs and has asked the regional government to \
share the cost of a new crossing, which engineers say could take six years to build.

Shop owners on the north bank warned that the closure would cut them off from customers who drive in \
from the southern suburbs, and said they would ask the council to reconsider at its next meeting."""

# An outlet's own story that runs the agency text inside much more reporting of its own.
OWN_REPORTING = """Traffic on the south bank of Harlow Bay was already backing up on Tuesday morning as \
drivers tried out the detours the city will signpost next year, with queues reaching the ring road.

Retired ferry captain Mira Sandoval, whose family has lived beside the bridge for three generations, \
remembered the winter of the great flood when the crossing was the only way out of the old town, and she \
said the neighbourhood would fight to keep it open to everyone.

Our reporters walked the length of the structure with a structural engineer from the university, who \
pointed to rust stains running down the eastern piers and said the cracks were visible from the \
riverside path without any special equipment at all.

A petition started by parents at Northgate primary school had gathered more than two thousand \
signatures by the evening, asking for a school bus route across the river before the closure begins.

At the Anchor cafe on Quay Street, owner Tomasz Rybak said half of his morning trade came over the bridge \
and that he had already begun to wonder whether to move closer to the station or simply retire early.

The bridge opened in nineteen twelve and carried trams until the sixties; local historians are collecting \
photographs and letters for an exhibition at the library, in case this winter is its last as a road."""

REWRITE = OWN_REPORTING.split("\n\n", 1)[0] + "\n\n" + AGENCY + "\n\n" + OWN_REPORTING.split("\n\n", 1)[1]
# The agency story as an outlet reprints it: wire prefix, the last paragraph trimmed, a credit line added.
TRIMMED_COPY = (
    "HARLOW BAY (Metro Wire) — "
    + AGENCY.rsplit("\n\n", 1)[0]
    + "\n\nReporting by wire staff; editing by the news desk."
)
# A short brief: one paragraph of the agency story and the outlet's byline line.
BRIEF = AGENCY.split("\n\n", 1)[0] + "\nWire staff, Harlow Courier — 03 February 2026 09:15 UTC"

T0, T1, T2 = "2026-02-03T08:00:00+00:00", "2026-02-03T09:00:00+00:00", "2026-02-03T10:00:00+00:00"


def _cand(article_id: str, text: str, published: str, root: str | None = None) -> Candidate:
    return Candidate(article_id, f"https://example.com/{article_id}", shingles(text), published, root or article_id)


def test_the_rewrite_looks_like_the_held_out_partial_rewrites() -> None:
    # The old verdict (containment of the shorter text) calls it a copy; Jaccard is in the 0.29-0.39 band.
    a, r = shingles(AGENCY), shingles(REWRITE)
    assert containment(a, r) == 1.0
    assert 0.25 < jaccard(a, r) < 0.45
    assert copy_share(r, a) < COPY_SHARE and len(r - a) > BOILERPLATE_SHINGLES


def test_a_trimmed_wire_copy_is_still_a_copy() -> None:
    copy, agency = shingles(TRIMMED_COPY), shingles(AGENCY)
    assert is_copy(copy, agency)
    assert copy_share(copy, agency) >= COPY_SHARE
    d = decide("copy", "https://b.example/copy", copy, [_cand("agency", AGENCY, T0)], T1)
    assert d.verdict is Verdict.DUPLICATE and d.duplicate_of == "agency"


def test_a_short_brief_with_a_byline_is_a_copy() -> None:
    # The byline alone is more than a fifth of a one-paragraph brief; it is boilerplate, not the outlet's voice.
    brief, agency = shingles(BRIEF), shingles(AGENCY)
    assert copy_share(brief, agency) < COPY_SHARE
    assert is_copy(brief, agency)


def test_a_rewrite_with_mostly_own_words_is_not_a_duplicate() -> None:
    d = decide("rewrite", "https://c.example/rewrite", shingles(REWRITE), [_cand("agency", AGENCY, T0)], T1)
    assert d.verdict is Verdict.NEW and d.adopts == ()


def test_the_rule_is_directional() -> None:
    # The earlier agency text is wholly inside the rewrite, but that makes the rewrite no copy of it.
    assert is_copy(shingles(AGENCY), shingles(REWRITE))
    assert not is_copy(shingles(REWRITE), shingles(AGENCY))
    # Published before the rewrite, the agency story is new; the rewrite, later, is not its copy either.
    d = decide("agency", "https://a.example/agency", shingles(AGENCY), [_cand("rewrite", REWRITE, T1)], T0)
    assert d.verdict is Verdict.NEW and d.adopts == ()


def test_without_a_publication_time_the_article_is_the_later_one() -> None:
    assert decide("agency", "https://a.example/x", shingles(AGENCY), [_cand("rewrite", REWRITE, T1)]).verdict is (
        Verdict.DUPLICATE
    )
    assert decide("rewrite", "https://c.example/x", shingles(REWRITE), [_cand("agency", AGENCY, T1)]).verdict is (
        Verdict.NEW
    )


def test_a_late_original_adopts_its_later_copies_only() -> None:
    copy = _cand("copy", TRIMMED_COPY, T2)
    rewrite = _cand("rewrite", REWRITE, T2)
    d = decide("agency", "https://a.example/agency", shingles(AGENCY), [rewrite, copy], T1)
    assert d.verdict is Verdict.NEW and d.adopts == ("copy",)


def test_a_late_article_never_takes_over_an_earlier_root() -> None:
    # "copy" (latest) copies both the agency story (its root, published first) and the rewrite arriving now.
    agency = _cand("agency", AGENCY, T0)
    copy = _cand("copy", TRIMMED_COPY, T2, root="agency")
    assert is_copy(copy.shingles, shingles(REWRITE))
    d = decide("rewrite", "https://c.example/rewrite", shingles(REWRITE), [copy, agency], T1)
    assert d.verdict is Verdict.NEW and d.adopts == ()


# -- the eval scores by the same rule --------------------------------------------------------------------------


def _gold(
    url: str, text: str, hour: int, duplicate_of: str | None = None, near: frozenset[str] = frozenset()
) -> GoldArticle:
    when = datetime(2026, 2, 3, hour, tzinfo=UTC)
    return GoldArticle(url, "S", duplicate_of, near, "main", url, text, when)


def _pred(url: str, duplicate_of: str | None) -> Predicted:
    return Predicted(url=url, story_id="s", duplicate_of=duplicate_of, text=None)


def test_eval_sets_aside_an_unlabelled_rule_copy_and_counts_it() -> None:
    gold = [_gold("agency", AGENCY, 8), _gold("brief", BRIEF, 9)]  # the gold does not label the brief
    got = duplicate_scores(gold, {"brief": _pred("brief", "agency")})
    assert (got.predicted, got.correct, got.ignored_rule_copies, got.ignored_near_copies) == (1, 0, 1, 0)
    assert got.precision == 1.0  # nothing left to judge
    assert got.gold_precision == 0.0  # the data's README would count it wrong, and the report says so


def test_eval_counts_a_folded_rewrite_as_wrong() -> None:
    gold = [_gold("agency", AGENCY, 8), _gold("rewrite", REWRITE, 9)]
    got = duplicate_scores(gold, {"rewrite": _pred("rewrite", "agency")})
    assert (got.predicted, got.correct, got.ignored_rule_copies) == (1, 0, 0)
    assert got.precision == 0.0


def test_eval_orders_a_pair_by_gold_publication_time() -> None:
    # Claimed the other way round (the earlier article as the copy), the pair is still judged later-on-earlier.
    gold = [_gold("agency", AGENCY, 8), _gold("brief", BRIEF, 9)]
    assert duplicate_scores(gold, {"agency": _pred("agency", "brief")}).ignored_rule_copies == 1
    gold = [_gold("agency", AGENCY, 8), _gold("rewrite", REWRITE, 9)]
    assert duplicate_scores(gold, {"agency": _pred("agency", "rewrite")}).precision == 0.0


def test_eval_classes_together() -> None:
    gold = [
        _gold("agency", AGENCY, 8),
        _gold("copy", TRIMMED_COPY, 9, duplicate_of="agency"),
        _gold("brief", BRIEF, 9),
        _gold("rewrite", REWRITE, 10),
        _gold("near", REWRITE, 11, near=frozenset({"rewrite"})),
        _gold("odd", REWRITE, 12, duplicate_of="agency"),  # a gold pair the rule would not fold
    ]
    pred = {
        "copy": _pred("copy", "agency"),  # right
        "brief": _pred("brief", "agency"),  # unlabelled rule copy: set aside
        "rewrite": _pred("rewrite", "agency"),  # wrong
        "near": _pred("near", "rewrite"),  # gold near copy: set aside
        "odd": _pred("odd", None),  # missed
    }
    got = duplicate_scores(gold, pred)
    assert (got.n, got.predicted, got.correct) == (2, 4, 1)
    assert (got.ignored_near_copies, got.ignored_rule_copies, got.gold_not_rule_copies) == (1, 1, 1)
    assert got.precision == pytest.approx(1 / 2)
    assert got.gold_precision == pytest.approx(1 / 3)
    assert got.recall == pytest.approx(1 / 2)
    # The JSON report carries the accounting, not just the two scores.
    (report,) = [r for r in evaluate(gold, pred) if r.part == "all"]
    dup = _report_json(report)["duplicates"]
    assert dup["ignored"] == {"near_copies": 1, "rule_copies": 1}
    assert (dup["predicted"], dup["correct"], dup["gold_not_rule_copies"]) == (4, 1, 1)
    assert dup["gold_precision"] == pytest.approx(1 / 3)


def test_parse_gold_reads_publication_times_in_utc() -> None:
    lines = (
        '{"url": "{{BASE}}/a", "story": "S", "published_at": "2026-02-03T09:00:00+01:00"}\n'
        '{"url": "{{BASE}}/b", "story": "S", "published_at": "2026-02-03T08:30:00"}\n'
        '{"url": "{{BASE}}/c", "story": "S"}\n'
    )
    a, b, c = parse_gold(lines, "http://h", "gold.jsonl")
    assert a.published_at == datetime(2026, 2, 3, 8, tzinfo=UTC)
    assert b.published_at == datetime(2026, 2, 3, 8, 30, tzinfo=UTC)
    assert c.published_at is None
    assert a.published_at < b.published_at
