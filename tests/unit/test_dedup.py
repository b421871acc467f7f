"""Duplicate detection: shingles and containment of wire copies, MinHash signatures, LSH bands, decide()."""

from __future__ import annotations

import itertools

import pytest

from storyline.domain.dedup import (
    BANDS,
    COPY_SHARE,
    NUM_PERM,
    Candidate,
    Verdict,
    band_keys,
    containment,
    decide,
    fingerprint,
    is_copy,
    jaccard,
    shingles,
    signature,
    strip_wire_boilerplate,
)

ORIGINAL = """Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of \
cancellations caused by the storm that swept the coast over the weekend.

The operator, Bluewater Lines, said the first sailing left at seven o'clock with about eighty passengers on \
board and that extra crossings would run through Wednesday to clear the backlog.

Harbour master Ines Okafor said the channel had been surveyed overnight and was safe for traffic, although \
crews were still clearing debris from the northern pier.

Islanders had relied on a single helicopter flight for medical supplies while the boats were tied up, and the \
island's only shop ran out of bread and milk on Monday.

The regional council said it would review the timetable next month and look again at a proposal for a second, \
larger vessel on the route."""

# Another outlet's own write-up of the same event: same facts, different words.
SAME_EVENT = """Boats are running again to Marrow Island. Bluewater Lines restarted its ferry service on \
Tuesday, ending a two-day halt that left islanders short of food.

Passengers queued from dawn at Port Ellis, where the company laid on additional departures. Ines Okafor, the \
harbour master, told reporters the storm had left timber and rubbish in the water near the north pier.

Residents described empty shelves in the island shop and said a helicopter had flown in medicines. Councillors \
are due to discuss a bigger ferry at a meeting next month."""

WIRE_PREFIXED = "LONDON (Civic Wire) — " + ORIGINAL
TRIMMED = ORIGINAL.rsplit("\n\n", 1)[0]
CREDITED = ORIGINAL + "\n\nReporting by Ama Mensah; editing by Tom Reyes."
ALL_AT_ONCE = "PORT ELLIS (Civic Wire) - " + TRIMMED + "\n\n(Civic Wire contributed to this report.)"


@pytest.mark.parametrize("variant", [WIRE_PREFIXED, TRIMMED, CREDITED, ALL_AT_ONCE])
def test_wire_copies_are_copies_of_the_original(variant: str) -> None:
    assert containment(shingles(ORIGINAL), shingles(variant)) >= COPY_SHARE
    assert is_copy(shingles(variant), shingles(ORIGINAL))


def test_dateline_is_stripped_before_shingling() -> None:
    assert strip_wire_boilerplate(WIRE_PREFIXED) == ORIGINAL
    assert shingles(WIRE_PREFIXED) == shingles(ORIGINAL)
    assert strip_wire_boilerplate("WASHINGTON, D.C. (Civic Wire) -- text") == "text"


def test_case_and_whitespace_do_not_change_shingles() -> None:
    assert shingles(ORIGINAL.upper()) == shingles(ORIGINAL)
    assert shingles(" ".join(ORIGINAL.split())) == shingles(ORIGINAL)


def test_two_write_ups_of_one_event_are_not_duplicates() -> None:
    a, b = shingles(ORIGINAL), shingles(SAME_EVENT)
    assert containment(a, b) < COPY_SHARE
    assert not is_copy(a, b) and not is_copy(b, a)
    assert jaccard(a, b) < COPY_SHARE


def test_short_and_empty_texts() -> None:
    assert shingles("") == frozenset()
    assert shingles("  ...  ") == frozenset()
    assert len(shingles("Only four words here")) == 1
    assert containment(frozenset(), shingles(ORIGINAL)) == 0.0
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_containment_and_jaccard_on_small_sets() -> None:
    a, b = frozenset({1, 2, 3, 4}), frozenset({3, 4})
    assert containment(a, b) == 1.0
    assert containment(b, a) == 1.0
    assert jaccard(a, b) == 0.5
    assert jaccard(a, a) == 1.0


def test_signature_is_deterministic_and_sized() -> None:
    sh = shingles(ORIGINAL)
    sig = signature(sh)
    assert len(sig) == NUM_PERM
    assert sig == signature(sh)
    assert sig == signature(sorted(sh, reverse=True))  # order of shingles does not matter
    assert signature(shingles(WIRE_PREFIXED)) == sig
    assert signature(shingles(SAME_EVENT)) != sig
    assert signature([]) == tuple([0] * NUM_PERM)


def test_band_keys_count_and_shape() -> None:
    keys = band_keys(signature(shingles(ORIGINAL)))
    assert len(keys) == BANDS
    assert len(set(keys)) == BANDS  # the band number is part of the key
    assert [k.split(":", 1)[0] for k in keys] == [f"{i:02d}" for i in range(BANDS)]
    assert keys == band_keys(signature(shingles(ORIGINAL)))


def test_near_copies_share_band_keys() -> None:
    a = set(band_keys(signature(shingles(ORIGINAL))))
    b = set(band_keys(signature(shingles(CREDITED))))
    assert a & b


def test_fingerprint_bundles_hash_shingles_signature() -> None:
    fp = fingerprint("h1", ORIGINAL)
    assert fp.content_hash == "h1"
    assert fp.shingles == shingles(ORIGINAL)
    assert fp.signature == signature(fp.shingles)
    assert fp.bands == band_keys(fp.signature)


def _cand(
    article_id: str,
    text: str = ORIGINAL,
    url: str | None = None,
    published: str = "2026-02-03T08:00:00+00:00",
    root: str | None = None,
) -> Candidate:
    return Candidate(
        article_id=article_id,
        canonical_url=url or f"https://example.com/{article_id}",
        shingles=shingles(text),
        published_at_iso=published,
        root_id=root or article_id,
    )


def test_no_candidates_is_new() -> None:
    d = decide("me", "https://example.com/me", shingles(ORIGINAL), [])
    assert d.verdict is Verdict.NEW
    assert d.duplicate_of is None
    assert d.revision_of is None


def test_never_a_duplicate_of_itself() -> None:
    me = _cand("me", url="https://example.com/me")
    d = decide("me", "https://example.com/me", shingles(ORIGINAL), [me])
    assert d.verdict is Verdict.NEW


def test_replay_of_an_original_whose_copy_points_back_is_new() -> None:
    # A later copy names this article as its root; replaying the original must not make it its own duplicate.
    copy = _cand("copy", text=CREDITED, published="2026-02-03T09:00:00+00:00", root="me")
    d = decide("me", "https://example.com/me", shingles(ORIGINAL), [copy])
    assert d.verdict is Verdict.NEW


def test_same_canonical_url_is_a_revision() -> None:
    url = "https://example.com/ferry"
    old = _cand("old", text=SAME_EVENT, url=url)
    d = decide("new", url, shingles(ORIGINAL), [old, _cand("other", text=ORIGINAL)])
    assert d.verdict is Verdict.REVISION
    assert d.revision_of == "old"
    assert d.duplicate_of is None


def test_revision_names_the_earliest_version() -> None:
    url = "https://example.com/ferry"
    v1 = _cand("v1", url=url, published="2026-02-03T08:00:00+00:00")
    v2 = _cand("v2", url=url, published="2026-02-03T10:00:00+00:00")
    for order in ([v1, v2], [v2, v1]):
        assert decide("v3", url, shingles(ORIGINAL), order).revision_of == "v1"


def test_duplicate_points_at_the_root_of_the_candidate() -> None:
    # "copy1" is itself a copy of "orig"; a new copy that matches copy1 best still names the original.
    copy1 = _cand("copy1", text=CREDITED, published="2026-02-03T09:00:00+00:00", root="orig")
    d = decide("copy2", "https://other.example/copy2", shingles(CREDITED), [copy1])
    assert d.verdict is Verdict.DUPLICATE
    assert d.duplicate_of == "orig"
    assert d.similarity == pytest.approx(1.0)


def test_duplicate_of_an_original() -> None:
    orig = _cand("orig")
    d = decide("copy", "https://wire.example/copy", shingles(WIRE_PREFIXED), [orig])
    assert d.verdict is Verdict.DUPLICATE
    assert d.duplicate_of == "orig"
    assert d.similarity >= COPY_SHARE


def test_different_article_on_same_event_is_new() -> None:
    d = decide("mine", "https://example.com/mine", shingles(SAME_EVENT), [_cand("orig")])
    assert d.verdict is Verdict.NEW


def test_tie_breaks_on_publication_time_then_id() -> None:
    early = _cand("zz-early", published="2026-02-03T07:00:00+00:00")
    late = _cand("aa-late", published="2026-02-03T09:00:00+00:00")
    d = decide("copy", "https://wire.example/copy", shingles(ORIGINAL), [late, early])
    assert d.duplicate_of == "zz-early"
    same_time_b = _cand("b", published="2026-02-03T07:00:00+00:00")
    same_time_a = _cand("a", published="2026-02-03T07:00:00+00:00")
    assert decide("copy", "https://wire.example/copy", shingles(ORIGINAL), [same_time_b, same_time_a]).duplicate_of == (
        "a"
    )


def test_verdict_independent_of_candidate_order() -> None:
    me_url = "https://wire.example/copy"
    pool = [
        _cand("orig", published="2026-02-03T08:00:00+00:00"),
        _cand("copy1", text=CREDITED, published="2026-02-03T09:00:00+00:00", root="orig"),
        _cand("trim", text=TRIMMED, published="2026-02-03T10:00:00+00:00"),
        _cand("other", text=SAME_EVENT, published="2026-02-03T06:00:00+00:00"),
        _cand("me", text=ORIGINAL, url=me_url),
    ]
    results = {decide("me", me_url, shingles(WIRE_PREFIXED), list(p)) for p in itertools.permutations(pool)}
    assert len(results) == 1
    (only,) = results
    assert only.verdict is Verdict.DUPLICATE
    assert only.duplicate_of == "orig"


def test_a_late_arriving_earlier_copy_becomes_the_original() -> None:
    """Streaming delivers out of order: the earliest copy adopts the root it would have been."""
    from storyline.domain.dedup import Candidate, Verdict, decide, shingles

    text = " ".join(f"word{i}" for i in range(60))
    sh = shingles(text)
    later = Candidate("copy", "http://b/1", sh, "2026-03-01T12:00:00+00:00", "copy")
    got = decide("orig", "http://a/1", sh, [later], "2026-03-01T09:00:00+00:00")
    assert got.verdict is Verdict.NEW and got.adopts == ("copy",)
    # Published after the copy it matches: an ordinary duplicate, nothing adopted.
    dup = decide("orig", "http://a/1", sh, [later], "2026-03-01T13:00:00+00:00")
    assert dup.verdict is Verdict.DUPLICATE and dup.duplicate_of == "copy" and dup.adopts == ()
