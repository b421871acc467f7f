"""Story sections by extraction: headline, summary, context, one paragraph per outlet, entities, links.

Every sentence is taken verbatim from an article and carries (article_id, start, end), so a story page
can show where each line came from.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from storyline.domain.entities import ArticleMentions, EntityCard, entity_cards
from storyline.domain.features import DocumentFrequencies, SparseVector, cosine, normalise, tfidf
from storyline.domain.headlines import clean_title, headline_rank, outlet_names
from storyline.domain.text import Cited, Sentence, sentences, terms

if TYPE_CHECKING:  # domain.llm imports this module; the annotation alone needs no runtime import
    from storyline.domain.llm import Generated

SUMMARY_MAX_WORDS = 90
SUMMARY_MAX_SENTENCES = 4
LEAD_SENTENCES = 6  # news puts the facts first; summary candidates come from each article's lead
REDUNDANCY = 0.5
_QUOTE_OPEN = re.compile(r"^[\"“”'‘’«]")
_CONTEXT_CUES = re.compile(
    r"\b(because|after|amid|since|following|due to|expected|could|would|warn\w*|analysts?|experts?|"
    r"critics?|according to|officials?|said|investigat\w*|previous(?:ly)?|last year|earlier)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StoryArticle:
    """What enrichment needs of one member article."""

    article_id: str
    source_id: str
    source_name: str
    url: str
    title: str
    text: str
    published_at: datetime
    duplicate_of: str | None
    # Recognised at extraction and stored with the article; None for rows written before that.
    entities: ArticleMentions | None = None
    language: str | None = None  # as detected at extraction: sentence boundaries follow the language's rules


@dataclass(frozen=True)
class Perspective:
    source_id: str
    source_name: str
    article_ids: tuple[str, ...]
    sentences: tuple[Cited, ...]


@dataclass(frozen=True)
class Sections:
    headline: str
    headline_article_id: str
    what_happened: tuple[Cited, ...]
    behind: tuple[Cited, ...]
    perspectives: tuple[Perspective, ...]
    entities: tuple[EntityCard, ...]
    outlets: tuple[str, ...]  # independent outlets: wire copies collapsed into their original
    # Optional model-written prose (off by default); each sentence cites article ids and passed the support check.
    generated: Generated | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "headline": {"text": self.headline, "article_id": self.headline_article_id},
            "what_happened": [c.to_json() for c in self.what_happened],
            "behind_the_headline": [c.to_json() for c in self.behind],
        }
        if self.generated is not None:
            out["generated"] = self.generated.to_json()
        return out


@dataclass(frozen=True)
class _Scored:
    cited: Cited
    vector: SparseVector
    score: float
    order: tuple[datetime, str, int]


def _sentence_vector(sentence: Sentence, dfs: DocumentFrequencies) -> SparseVector:
    return tfidf(Counter(terms(sentence.text)), dfs)


def _article_vector(art: StoryArticle, dfs: DocumentFrequencies) -> SparseVector:
    return tfidf(Counter(terms(art.title + "\n" + art.text)), dfs)


def _centroid(vectors: Sequence[SparseVector]) -> SparseVector:
    total: dict[str, float] = {}
    for vec in vectors:
        for k, v in vec.items():
            total[k] = total.get(k, 0.0) + v
    return normalise(total)


def _story_centroid(articles: Sequence[StoryArticle], dfs: DocumentFrequencies) -> SparseVector:
    return _centroid([_article_vector(a, dfs) for a in articles])


def choose_headline(
    articles: Sequence[StoryArticle], dfs: DocumentFrequencies, centroid: SparseVector | None = None
) -> tuple[str, StoryArticle]:
    """The story's headline and the article it is from: a real headline before a lede sentence standing in for
    one, then the title closest to the story's centroid (the most representative, not the longest), cleaned of
    the outlet's name and desk kickers."""
    centroid = centroid if centroid is not None else _story_centroid(articles, dfs)
    cleaned = {a.article_id: clean_title(a.title, outlet_names(a.source_name, a.url)) for a in articles}

    def key(a: StoryArticle) -> tuple[int, float, datetime, str]:
        title = cleaned[a.article_id]
        fit = -cosine(tfidf(Counter(terms(title)), dfs), centroid)
        return (headline_rank(title), fit, a.published_at, a.article_id)

    head = min(articles, key=key)
    return cleaned[head.article_id] or head.title, head


@dataclass(frozen=True)
class _Line:
    """A sentence fit to be shown (whole, of summary length), read once per story and scored against its
    centroid: the summary, the context and every outlet's paragraph choose among the same lines."""

    cited: Cited
    vector: SparseVector
    centrality: float
    order: tuple[datetime, str, int]


def _lines(art: StoryArticle, dfs: DocumentFrequencies, centroid: SparseVector) -> list[_Line]:
    out: list[_Line] = []
    for pos, sent in enumerate(sentences(art.text, art.language)):
        n_words = len(sent.text.split())
        if n_words < 6 or n_words > 45 or sent.text.rstrip()[-1:] not in ".!?\"”'’":
            continue  # fragments, captions and run-ons make poor summary lines
        vec = _sentence_vector(sent, dfs)
        if not vec:
            continue
        cited = Cited(sent.text, art.article_id, sent.start, sent.end)
        out.append(_Line(cited, vec, cosine(vec, centroid), (art.published_at, art.article_id, pos)))
    return out


def _candidates(lines: Sequence[_Line], lead_only: bool) -> list[_Scored]:
    """Candidates from the given lines; from the lead only, the earlier a sentence the better."""
    out: list[_Scored] = []
    for line in lines:
        pos = line.order[2]
        if lead_only and pos >= LEAD_SENTENCES:
            continue
        position = 1.0 / (1.0 + 0.15 * pos) if lead_only else 1.0
        out.append(_Scored(line.cited, line.vector, line.centrality * position, line.order))
    return out


def _select(pool: Sequence[_Scored], max_sentences: int, max_words: int, avoid: Sequence[_Scored]) -> list[_Scored]:
    """Greedy maximal-marginal-relevance pick: central sentences that do not repeat each other."""
    chosen: list[_Scored] = []
    words = 0
    for cand in sorted(pool, key=lambda s: (-s.score, s.order)):
        if len(chosen) >= max_sentences:
            break
        n = len(cand.cited.text.split())
        if words + n > max_words and chosen:
            continue
        if any(cosine(cand.vector, c.vector) > REDUNDANCY for c in [*chosen, *avoid]):
            continue
        chosen.append(cand)
        words += n
    return sorted(chosen, key=lambda s: s.order)


def originals(articles: Sequence[StoryArticle]) -> list[StoryArticle]:
    """Wire copies fold into their original: their words are not a second outlet's words."""
    return [a for a in articles if a.duplicate_of is None] or list(articles)


DISTINCT = 0.5  # how much likeness to the other outlets' coverage counts against a perspective sentence


def distinctive(pool: Sequence[_Scored], others: SparseVector | None) -> list[_Scored]:
    """Re-score an outlet's sentences: on the story (centrality) but unlike what the other outlets wrote (their
    centroid, `others`; None when the outlet is alone), so "What the papers say" shows each paper's angle rather
    than the consensus three times."""
    if others is None:
        return list(pool)
    return [replace(c, score=c.score - DISTINCT * cosine(c.vector, others)) for c in pool]


def build_sections(
    articles: Sequence[StoryArticle], dfs: DocumentFrequencies, mentions: Mapping[str, ArticleMentions]
) -> Sections:
    """All extractive sections of one story; `mentions` are the recognised entities of its articles."""
    if not articles:
        raise ValueError("a story has at least one article")
    base = originals(articles)
    # Each article is read once (its vector, its lines); every section below chooses among those.
    vectors = [_article_vector(a, dfs) for a in base]
    centroid = _centroid(vectors)
    headline, head = choose_headline(base, dfs, centroid)
    lines = {a.article_id: _lines(a, dfs, centroid) for a in base}
    every = [line for a in base for line in lines[a.article_id]]
    # What's happened states facts: a quotation is someone's words about them, kept for the other sections.
    facts = [c for c in _candidates(every, True) if not _QUOTE_OPEN.match(c.cited.text)]
    summary = _select(facts, SUMMARY_MAX_SENTENCES, SUMMARY_MAX_WORDS, [])
    context_pool = [s for s in _candidates(every, False) if _CONTEXT_CUES.search(s.cited.text)]
    behind = _select(context_pool, 3, 110, summary)
    by_outlet: dict[str, list[StoryArticle]] = defaultdict(list)
    for art in base:
        by_outlet[art.source_id].append(art)
    perspectives: list[Perspective] = []
    for source_id in sorted(by_outlet):
        own = by_outlet[source_id]
        rest = [v for a, v in zip(base, vectors, strict=True) if a.source_id != source_id]
        own_lines = [line for a in own for line in lines[a.article_id]]
        pool = distinctive(_candidates(own_lines, True), _centroid(rest) if rest else None)
        # The outlet's own angle: prefer its sentences that repeat neither the summary nor the context.
        picked = _select(pool, 2, 70, [*summary, *behind]) or _select(pool, 2, 70, [])
        perspectives.append(
            Perspective(
                source_id=source_id,
                source_name=own[0].source_name,
                article_ids=tuple(a.article_id for a in own),
                sentences=tuple(p.cited for p in picked),
            )
        )
    return Sections(
        headline=headline,
        headline_article_id=head.article_id,
        what_happened=tuple(s.cited for s in summary),
        behind=tuple(s.cited for s in behind),
        perspectives=tuple(perspectives),
        entities=tuple(entity_cards([(a.article_id, a.published_at) for a in base], mentions)),
        outlets=tuple(sorted(by_outlet)),
    )


@dataclass(frozen=True)
class StoryProfile:
    """What linking needs of a story: its id, start and L2-normalised centroid."""

    story_id: str
    first_seen: datetime
    vector: Mapping[str, float]


@dataclass(frozen=True)
class Link:
    story_id: str
    other_id: str
    kind: str  # "background" (older) or "related"
    score: float


def sections_of(item: tuple[Sequence[StoryArticle], DocumentFrequencies, Mapping[str, ArticleMentions]]) -> Sections:
    """`build_sections` of (articles, document frequencies, mentions): one argument, for a task pool's map."""
    return build_sections(*item)


def related_links(
    story: StoryProfile, others: Sequence[StoryProfile], limit: int = 5, floor: float = 0.12
) -> list[Link]:
    """Stories sharing terms/entities with this one; those that started earlier are its background.

    Profile vectors are L2-normalised by whoever builds them (once, not once per pair).
    """
    scored: list[tuple[float, StoryProfile]] = []
    for other in others:
        if other.story_id == story.story_id:
            continue
        score = cosine(story.vector, other.vector)
        if score >= floor:
            scored.append((score, other))
    scored.sort(key=lambda so: (-so[0], so[1].story_id))
    return [
        Link(
            story_id=story.story_id,
            other_id=o.story_id,
            kind="background" if o.first_seen < story.first_seen else "related",
            score=round(s, 4),
        )
        for s, o in scored[:limit]
    ]


class ProfileIndex:
    """Inverted index over story profiles' heaviest keys: link candidates without comparing every pair."""

    def __init__(self, profiles: Sequence[StoryProfile], keys_per_story: int = 20) -> None:
        self.profiles = {p.story_id: p for p in profiles}
        self.keys_per_story = keys_per_story
        self.postings: dict[str, list[str]] = defaultdict(list)
        for p in profiles:
            for key in self._keys(p):
                self.postings[key].append(p.story_id)

    def _keys(self, profile: StoryProfile) -> list[str]:
        ranked = sorted(profile.vector.items(), key=lambda kv: (-kv[1], kv[0]))
        return [k for k, _ in ranked[: self.keys_per_story]]

    def links(self, story_id: str, limit: int = 5, floor: float = 0.12) -> list[Link]:
        story = self.profiles.get(story_id)
        if story is None:
            return []
        ids = {sid for key in self._keys(story) for sid in self.postings.get(key, [])}
        return related_links(story, [self.profiles[i] for i in sorted(ids)], limit, floor)
