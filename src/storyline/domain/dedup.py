"""Duplicate detection: exact hashes, MinHash signatures with LSH bands, and the verdict rule."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import xxhash

from storyline.domain.text import normalise_for_hash, words

SHINGLE_SIZE = 5
NUM_PERM = 128
BANDS = 32  # 32 bands x 4 rows: a pair with Jaccard 0.5 becomes a candidate with p ~= 0.87, 0.7 with p ~= 1.0
ROWS = NUM_PERM // BANDS
# What a duplicate is (ADR 0016): a later article that adds no words of its own to an earlier one, apart from
# wire boilerplate and light editing. Measured on the later text only, so a trimmed tail or an added credit
# line keeps a copy a copy, while an outlet's rewrite that wraps an agency story in its own reporting (the
# earlier text is contained in it, but most of it is new) stays that outlet's voice on the story page.
COPY_SHARE = 0.8  # at least this share of the later text's shingles are the earlier text's ...
# ... or, in a short text where one boilerplate line (a byline, a credit line, a repeated headline: up to
# 20 words, so up to 24 shingles) is already more than a fifth, at most this many own shingles, provided
# most of the text (COPY_SHARE_SHORT) is the earlier one's.
BOILERPLATE_SHINGLES = 24
COPY_SHARE_SHORT = 0.5
_MERSENNE = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)

# Fixed permutation parameters: signatures must be comparable across processes and releases.
_rng = np.random.Generator(np.random.PCG64(20261129))
_A = _rng.integers(1, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, (1 << 61) - 1, size=NUM_PERM, dtype=np.uint64)

# Wire boilerplate that syndication adds or strips; removed before shingling so it cannot hide a copy.
_DATELINE = re.compile(r"^\s*[A-Z][A-Za-z .,'-]{1,60}\((?:[A-Z][\w .&-]{1,40})\)\s*[-—–]+\s*")


class Verdict(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    REVISION = "revision"


@dataclass(frozen=True)
class Fingerprint:
    """What dedup needs of one article's text."""

    content_hash: str
    shingles: frozenset[int]
    signature: tuple[int, ...]

    @property
    def bands(self) -> list[str]:
        return band_keys(self.signature)


@dataclass(frozen=True)
class Candidate:
    """An earlier article that LSH or an exact key put forward, with the facts the verdict needs."""

    article_id: str
    canonical_url: str
    shingles: frozenset[int]
    published_at_iso: str
    root_id: str  # the earliest copy this candidate descends from (itself when it is an original)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    duplicate_of: str | None = None
    revision_of: str | None = None
    similarity: float = 0.0
    # Earlier-published copy arriving late: the roots it takes over (their copies now point at this article).
    adopts: tuple[str, ...] = ()


def strip_wire_boilerplate(text: str) -> str:
    return _DATELINE.sub("", text, count=1)


def shingles(text: str, size: int = SHINGLE_SIZE) -> frozenset[int]:
    """Hashed word n-grams of the normalised text (short texts fall back to one shingle of all words)."""
    toks = words(normalise_for_hash(strip_wire_boilerplate(text)))
    if not toks:
        return frozenset()
    if len(toks) < size:
        return frozenset({xxhash.xxh3_64_intdigest(" ".join(toks).encode())})
    return frozenset(
        xxhash.xxh3_64_intdigest(" ".join(toks[i : i + size]).encode()) for i in range(len(toks) - size + 1)
    )


def signature(shingle_set: Iterable[int]) -> tuple[int, ...]:
    """128-permutation MinHash over 61-bit universal hashes (vectorised; no per-shingle Python loop)."""
    values = np.fromiter(shingle_set, dtype=np.uint64)
    if values.size == 0:
        return tuple([0] * NUM_PERM)
    x = (values & _MASK32).reshape(-1, 1)
    hashed: npt.NDArray[np.uint64] = (x * _A + _B) % _MERSENNE
    return tuple(int(v) for v in hashed.min(axis=0))


def band_keys(sig: Sequence[int]) -> list[str]:
    """One key per LSH band; two signatures sharing any key are candidate near-duplicates."""
    keys: list[str] = []
    for band in range(BANDS):
        chunk = ",".join(str(v) for v in sig[band * ROWS : (band + 1) * ROWS])
        keys.append(f"{band:02d}:{xxhash.xxh3_64_hexdigest(chunk.encode())}")
    return keys


def fingerprint(content_hash: str, text: str) -> Fingerprint:
    sh = shingles(text)
    return Fingerprint(content_hash=content_hash, shingles=sh, signature=signature(sh))


def fingerprint_of(item: tuple[str, str]) -> Fingerprint:
    """`fingerprint` of a (content hash, text) pair: one argument, for a task pool's map."""
    return fingerprint(*item)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    """Share of the smaller set found in the larger: symmetric, and robust to trimmed tails."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def copy_share(later: frozenset[int], earlier: frozenset[int]) -> float:
    """Share of the later text's shingles already in the earlier text (1.0: it adds nothing of its own)."""
    if not later or not earlier:
        return 0.0
    return len(later & earlier) / len(later)


def is_copy(later: frozenset[int], earlier: frozenset[int]) -> bool:
    """The written rule of ADR 0016: the later text adds no words of its own beyond boilerplate and edits.

    Directional on purpose: the earlier text may have words the later one lacks (a trimmed tail), but not
    the other way round. Jaccard is not used: it cannot tell a trimmed copy from a rewrite that quotes.
    """
    share = copy_share(later, earlier)
    own = len(later - earlier)
    return share >= COPY_SHARE or (share >= COPY_SHARE_SHORT and own <= BOILERPLATE_SHINGLES)


def decide(
    article_id: str,
    canonical_url: str,
    shingle_set: frozenset[int],
    candidates: Sequence[Candidate],
    published_at_iso: str | None = None,
) -> Decision:
    """The verdict for one article given earlier candidates (exact-hash, same-URL and LSH hits).

    Never a duplicate of itself (replay-safe); the same URL with changed text is a revision. Otherwise the
    article is a duplicate when it is a copy (`is_copy`) of a candidate published before it, naming that
    candidate's root (the closest copy wins; ties break on publication time then id, so the verdict does not
    depend on candidate order). Given its own publication time, an article that candidates published after it
    are copies of (a late arrival) is new and adopts their roots. Without a publication time the article is
    taken to be the later one of every pair.
    """
    others = [c for c in candidates if c.article_id != article_id]
    same_url = [c for c in others if c.canonical_url == canonical_url]
    if same_url:
        earliest = min(same_url, key=lambda c: (c.published_at_iso, c.article_id))
        return Decision(Verdict.REVISION, revision_of=earliest.article_id, similarity=1.0)
    mine = None if published_at_iso is None else (published_at_iso, article_id)
    best: tuple[float, str, str] | None = None
    root = ""
    later_copies: list[Candidate] = []
    for cand in others:
        theirs = (cand.published_at_iso, cand.article_id)
        if mine is not None and theirs > mine:
            # Published after this article: the question is whether it copies this one, not the reverse.
            if is_copy(cand.shingles, shingle_set):
                later_copies.append(cand)
            continue
        if not is_copy(shingle_set, cand.shingles):
            continue
        key = (-copy_share(shingle_set, cand.shingles), *theirs)
        if best is None or key < best:
            best, root = key, cand.root_id
    if best is not None and root != article_id:
        return Decision(Verdict.DUPLICATE, duplicate_of=root, similarity=-best[0])
    # A root is taken over only when it is itself a later copy of this article, or unknown here (its copy
    # vouches for it): a root the candidates show to be earlier, or to add words of its own, keeps its place.
    known = {c.article_id for c in others}
    copies = {c.article_id for c in later_copies}
    roots = {c.root_id for c in later_copies if c.root_id in copies or c.root_id not in known} - {article_id}
    return Decision(Verdict.NEW, adopts=tuple(sorted(roots)))
