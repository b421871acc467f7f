"""Property tests: URL idempotence, symmetric set similarities, order-free dedup and clustering, BCubed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.domain.clustering import ClusterParams, StoryState, best_story
from storyline.domain.dedup import Candidate, containment, decide, jaccard
from storyline.domain.evaluation import bcubed
from storyline.domain.features import SparseVector, normalise
from storyline.domain.text import sentences
from storyline.domain.urls import canonicalize

DETERMINISTIC = settings(max_examples=200, derandomize=True, deadline=None)

_LABEL = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?", fullmatch=True)
_HOST = st.one_of(
    st.lists(_LABEL, min_size=1, max_size=4).map(".".join),
    st.sampled_from(["[2001:DB8::1]", "[::1]", "127.0.0.1", "[fe80::a:B:c]"]),
)
# Path and query text: unreserved characters, sub-delims, spaces, non-ASCII and valid or stray escapes.
_PIECE = st.lists(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        st.sampled_from(["%7E", "%7e", "%20", "%2F", "%25", "%C3%A9", "%41", ".", "..", "+", "~", "%"]),
    ),
    max_size=8,
).map("".join)
_SEGMENT = st.one_of(
    _PIECE.filter(lambda s: "/" not in s and "?" not in s and "#" not in s), st.sampled_from([".", ".."])
)
_KEY = st.one_of(
    st.sampled_from(["utm_source", "utm_medium", "UTM_Campaign", "fbclid", "gclid", "ref", "id", "page", "q", "a"]),
    st.from_regex(r"[a-z_]{1,6}", fullmatch=True),
)
_VALUE = _PIECE.filter(lambda s: "&" not in s and "#" not in s)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HttpS"]))
    host = draw(_HOST)
    port = draw(st.one_of(st.none(), st.sampled_from([80, 443, 8080]), st.integers(1, 65535)))
    netloc = host if port is None else f"{host}:{port}"
    path = "/" + "/".join(draw(st.lists(_SEGMENT, max_size=5)))
    pairs = draw(st.lists(st.tuples(_KEY, _VALUE), max_size=5))
    query = "&".join(f"{k}={v}" for k, v in pairs)
    fragment = draw(st.one_of(st.none(), _PIECE.filter(lambda s: "#" not in s)))
    url = f"{scheme}://{netloc}{path}"
    if query:
        url += "?" + query
    if fragment is not None:
        url += "#" + fragment
    return url


@DETERMINISTIC
@given(urls())
def test_canonicalize_is_idempotent(url: str) -> None:
    once = canonicalize(url)
    assert canonicalize(once) == once
    parts = urlsplit(once)
    assert parts.fragment == ""
    keys = [k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
    assert not [k for k in keys if k.startswith("utm_") or k in {"fbclid", "gclid", "ref"}]
    assert keys == sorted(keys)


_SHINGLES = st.frozensets(st.integers(0, 60), max_size=30)


@DETERMINISTIC
@given(_SHINGLES, _SHINGLES)
def test_containment_and_jaccard_are_symmetric_and_bounded(a: frozenset[int], b: frozenset[int]) -> None:
    assert containment(a, b) == containment(b, a)
    assert jaccard(a, b) == jaccard(b, a)
    assert 0.0 <= jaccard(a, b) <= containment(a, b) <= 1.0


_IDS = st.sampled_from([f"art{i}" for i in range(8)])
_URLS = st.sampled_from([f"https://example.com/{i}" for i in range(4)])
_TIMES = st.sampled_from([f"2026-02-0{d}T0{h}:00:00+00:00" for d in (1, 2) for h in (6, 8)])


@st.composite
def candidate_pools(draw: st.DrawFn) -> tuple[str, str, frozenset[int], list[Candidate], list[int]]:
    me = draw(_IDS)
    my_url = draw(_URLS)
    mine = draw(st.frozensets(st.integers(0, 20), min_size=1, max_size=12))
    ids = draw(st.lists(_IDS, unique=True, max_size=6))
    pool = [
        Candidate(
            article_id=aid,
            canonical_url=draw(_URLS),
            shingles=draw(
                st.one_of(
                    st.just(mine),
                    st.frozensets(st.integers(0, 20), max_size=12),
                    st.builds(lambda extra: mine | extra, st.frozensets(st.integers(21, 30), max_size=3)),
                )
            ),
            published_at_iso=draw(_TIMES),
            root_id=draw(st.one_of(st.just(aid), _IDS)),
        )
        for aid in ids
    ]
    order = draw(st.permutations(list(range(len(pool)))))
    return me, my_url, mine, pool, order


@DETERMINISTIC
@given(candidate_pools())
def test_decide_does_not_depend_on_candidate_order(
    case: tuple[str, str, frozenset[int], list[Candidate], list[int]],
) -> None:
    me, my_url, mine, pool, order = case
    shuffled = [pool[i] for i in order]
    first = decide(me, my_url, mine, pool)
    assert decide(me, my_url, mine, shuffled) == first
    assert decide(me, my_url, mine, list(reversed(pool))) == first
    assert first.duplicate_of != me
    assert first.revision_of != me


_TERMS = st.sampled_from(["ferry", "storm", "budget", "tax", "port", "island", "vote", "court"])
_WEIGHTS = st.floats(0.05, 1.0, allow_nan=False, allow_infinity=False)


def _vec(d: dict[str, float]) -> SparseVector:
    return normalise(d)


_SPARSE = st.dictionaries(_TERMS, _WEIGHTS, max_size=5)
_VECTORS = st.tuples(_SPARSE, _SPARSE, _SPARSE).map(lambda v: (_vec(v[0]), _vec(v[1]), _vec(v[2])))
T0 = datetime(2026, 2, 3, tzinfo=UTC)


@st.composite
def story_states(draw: st.DrawFn, story_id: str) -> StoryState:
    first = T0 + timedelta(hours=draw(st.integers(-200, 200)))
    last = first + timedelta(hours=draw(st.integers(0, 100)))
    terms, entities, title = draw(_VECTORS)
    return StoryState(
        story_id=story_id,
        terms=terms,
        entities=entities,
        title=title,
        article_count=draw(st.integers(1, 5)),
        first_seen=first,
        last_seen=last,
    )


@st.composite
def story_pools(draw: st.DrawFn) -> tuple[list[StoryState], list[int]]:
    n = draw(st.integers(0, 6))
    # Some stories share the same vectors, so ties on score are exercised too.
    pool: list[StoryState] = []
    for i in range(n):
        share: bool = draw(st.booleans())
        if pool and share:
            twin = draw(st.sampled_from(pool))
            pool.append(
                StoryState(
                    f"st_{i}",
                    dict(twin.terms),
                    dict(twin.entities),
                    dict(twin.title),
                    1,
                    twin.first_seen,
                    twin.last_seen,
                )
            )
        else:
            pool.append(draw(story_states(f"st_{i}")))
    return pool, draw(st.permutations(list(range(n))))


@DETERMINISTIC
@given(_VECTORS, st.integers(-300, 300), story_pools(), st.sampled_from([0.0, 0.15, 0.4]))
def test_best_story_does_not_depend_on_candidate_order(
    vectors: tuple[SparseVector, SparseVector, SparseVector],
    hours: int,
    pools: tuple[list[StoryState], list[int]],
    threshold: float,
) -> None:
    pool, order = pools
    params = ClusterParams(threshold=threshold)
    at = T0 + timedelta(hours=hours)
    first = best_story(vectors, at, pool, params)
    assert best_story(vectors, at, [pool[i] for i in order], params) == first
    assert best_story(vectors, at, list(reversed(pool)), params) == first
    if first.story_id is not None:
        assert first.score >= threshold


_GOLD = st.dictionaries(st.from_regex(r"u[0-9]{1,3}", fullmatch=True), st.sampled_from("ABCDE"), max_size=30)


@DETERMINISTIC
@given(_GOLD)
def test_bcubed_of_gold_against_itself_is_perfect(gold: dict[str, str]) -> None:
    got = bcubed(gold, dict(gold))
    if gold:
        assert got.f1 == 1.0
        assert got.precision == 1.0
        assert got.recall == 1.0
        assert got.n == len(gold)
    else:
        assert got.n == 0


@DETERMINISTIC
@given(_GOLD, st.dictionaries(st.from_regex(r"u[0-9]{1,3}", fullmatch=True), st.sampled_from("stuv"), max_size=30))
def test_bcubed_is_bounded(gold: dict[str, str], predicted: dict[str, str]) -> None:
    got = bcubed(gold, dict(predicted))
    assert 0.0 <= got.precision <= 1.0
    assert 0.0 <= got.recall <= 1.0
    assert 0.0 <= got.f1 <= 1.0


@DETERMINISTIC
@given(st.text(alphabet=st.sampled_from(list('ab .!?\n\r\t"”)U.S\u00a0\u2009\u3000。“«日é')), max_size=80))
def test_sentence_spans_always_point_at_their_text(text: str) -> None:
    for s in sentences(text):
        assert text[s.start : s.end] == s.text
        assert s.text
