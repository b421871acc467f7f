"""Source passages: the word runs two outlets share when both used one source (a wire lead, a statement, a quote)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

import xxhash

from storyline.domain.text import words

# A passage is a run of PASSAGE_WORDS words; k shared passages in a row are one shared run of k + 7 words.
PASSAGE_WORDS = 8
# The lead carries the event; a later paragraph of a follow-up often recaps an earlier event in agency words, and
# a shared recap is evidence of a shared topic, not of one event (ADR 0015 measured 60-250 words).
LEAD_WORDS = 150
# Words inside quotation marks, anywhere in the text: a quotation is the speaker's words on one occasion, so two
# outlets quoting the same run of them report the same event (a recap quotes the earlier event's words, but the
# content check and the gap limit in consolidation still apply).
_QUOTED = re.compile(r"[“\"]([^”\"\n]{20,600})[”\"]")
# A passage found in more stories than this is boilerplate (a site's footer, a stock phrase): it links nothing.
MAX_POSTING = 20


def source_passages(title: str, text: str) -> frozenset[int]:
    """Hashes of every run of PASSAGE_WORDS words in the title and the lead, and inside each quotation of the text,
    case-folded (signed 64-bit, for SQL)."""
    runs = _runs(words(title + " .\n" + text)[:LEAD_WORDS])
    for quoted in _QUOTED.finditer(text):
        runs |= _runs(words(quoted.group(1)))
    return frozenset(runs)


def _runs(ws: list[str]) -> set[int]:
    folded = [w.casefold() for w in ws]
    return {
        xxhash.xxh3_64_intdigest(" ".join(folded[i : i + PASSAGE_WORDS]).encode()) - (1 << 63)
        for i in range(len(folded) - PASSAGE_WORDS + 1)
    }


def shared_passages(rows: Iterable[tuple[int, str, str]], max_posting: int = MAX_POSTING) -> dict[tuple[str, str], int]:
    """For (passage, story, outlet) rows: per pair of stories (ids in order), how many distinct passages both hold
    from different outlets. One outlet repeating itself is its own template, not a second source's rewrite."""
    holders: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for passage, story, outlet in rows:
        holders[passage][story].add(outlet)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for stories in holders.values():
        if len(stories) < 2 or len(stories) > max_posting:
            continue
        ids = sorted(stories)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if len(stories[a] | stories[b]) > 1:
                    counts[(a, b)] += 1
    return dict(counts)


def between(shared: Mapping[tuple[str, str], int], a: str, b: str) -> int:
    """Shared passages of two stories, whichever order they are named in."""
    return shared.get((a, b) if a < b else (b, a), 0)
