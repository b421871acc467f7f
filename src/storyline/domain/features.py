"""Article features for clustering and enrichment: sparse term, entity and title vectors with IDF."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from storyline.domain.passages import source_passages
from storyline.domain.text import numbers, proper_noun_phrases, terms

SparseVector = dict[str, float]
ENTITY_PREFIX = "e:"
# Only the first part of a long article is used: the lead carries the event; tails drift into background.
BODY_WORDS = 400


@dataclass(frozen=True)
class ArticleFeatures:
    """Raw counts of one article; weighting by IDF happens against the corpus state at use time."""

    article_id: str
    source_id: str
    published_at: datetime
    title_counts: Mapping[str, int]
    body_counts: Mapping[str, int]
    entity_counts: Mapping[str, int]
    # Its source passages (domain/passages), which live merges look up: computed with the rest, ahead on every core.
    passages: frozenset[int] = frozenset()

    def df_keys(self) -> set[str]:
        """The keys this article adds to document frequencies (terms and prefixed entities)."""
        keys = set(self.title_counts) | set(self.body_counts)
        keys.update(ENTITY_PREFIX + e for e in self.entity_counts)
        return keys


@dataclass
class DocumentFrequencies:
    """How many articles each term/entity appeared in; IDF is computed from it online."""

    n_docs: int = 0
    df: dict[str, int] = field(default_factory=dict)

    def add(self, keys: Iterable[str]) -> None:
        self.n_docs += 1
        for k in keys:
            self.df[k] = self.df.get(k, 0) + 1

    def idf(self, key: str) -> float:
        # Smoothed IDF; unseen keys get the maximum, as a brand-new word is maximally specific.
        return math.log((1 + self.n_docs) / (1 + self.df.get(key, 0))) + 1.0


def extract_features(article_id: str, source_id: str, published_at: datetime, title: str, text: str) -> ArticleFeatures:
    body_words = text.split()
    lead = " ".join(body_words[:BODY_WORDS])
    entities = Counter(p.casefold() for p in proper_noun_phrases(title + ".\n" + lead))
    return ArticleFeatures(
        article_id=article_id,
        source_id=source_id,
        published_at=published_at,
        title_counts=dict(Counter(terms(title) + numbers(title))),
        body_counts=dict(Counter(terms(lead) + numbers(lead))),
        entity_counts=dict(entities),
        passages=source_passages(title, text),
    )


def features_of(item: tuple[str, str, datetime, str, str]) -> ArticleFeatures:
    """`extract_features` of (article id, source id, published at, title, text): one argument, for a task pool."""
    return extract_features(*item)


def normalise(vec: Mapping[str, float]) -> SparseVector:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    if norm == 0:
        return {}
    return {k: v / norm for k, v in vec.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine of two L2-normalised sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    # Only the shared keys add to the sum (in `a`'s order, so the float sum is the same in every process).
    return sum(v * b[k] for k, v in a.items() if k in b)


def tfidf(counts: Mapping[str, int], dfs: DocumentFrequencies, prefix: str = "") -> SparseVector:
    # `dfs.idf` written out: this runs for every sentence of every story, and the call was a third of its cost.
    n, df, log = 1 + dfs.n_docs, dfs.df, math.log
    return normalise(
        {k: (1.0 + log(c)) * (log(n / (1 + df.get(prefix + k, 0))) + 1.0) for k, c in counts.items() if c > 0}
    )


def weighted(features: ArticleFeatures, dfs: DocumentFrequencies) -> tuple[SparseVector, SparseVector, SparseVector]:
    """(terms, entities, title) vectors, each L2-normalised. Title words count double in the term vector."""
    combined: dict[str, int] = dict(features.body_counts)
    for k, c in features.title_counts.items():
        combined[k] = combined.get(k, 0) + 2 * c
    return (
        tfidf(combined, dfs),
        tfidf(features.entity_counts, dfs, ENTITY_PREFIX),
        tfidf(features.title_counts, dfs),
    )


def top_k(vec: Mapping[str, float], k: int) -> SparseVector:
    """The k heaviest components (ties by key, for determinism)."""
    items = sorted(vec.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return dict(items)
