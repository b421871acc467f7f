"""Story sections by extraction: headline, summary, context, one paragraph per outlet, entities, links.

Every sentence is taken verbatim from an article and carries (article_id, start, end), so a story page
can show where each line came from.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from storyline.domain.entities import ArticleMentions, EntityCard, entity_cards
from storyline.domain.features import ENTITY_PREFIX, DocumentFrequencies, SparseVector, cosine, normalise, tfidf
from storyline.domain.headlines import clean_title, headline_rank, lede_headline, outlet_names
from storyline.domain.roles import (
    Speaker,
    adds_facts,
    anchors,
    context_kinds,
    facts,
    is_quote,
    reads_alone,
    restates,
    speaker,
    stands_alone,
)
from storyline.domain.text import Cited, Sentence, numbers, sentence_terms, sentences, terms

if TYPE_CHECKING:  # domain.llm imports this module; the annotation alone needs no runtime import
    from storyline.domain.llm import Generated

SUMMARY_MAX_WORDS = 90
SUMMARY_MAX_SENTENCES = 4
LEAD_SENTENCES = 6  # news puts the facts first; summary candidates come from each article's lead
REDUNDANCY = 0.5
# Content words or numbers a summary sentence must state that the headline and the sentences before it do not.
NEW_FACTS = 3
# A sentence is on this story's event when it names at least this many of the story's core terms (those most of
# its outlets use): a roundup's other items and an earlier case recalled at length name none or one.
ON_EVENT_TERMS = 2
CORE_SHARE = 0.3
# An address read out ("http: / / blogs. business2. com") or markup left in the text is no sentence to show.
_URL = re.compile(r"https?:|www\.|\.com\b")
# Page furniture glued to a sentence: a byline and timestamp set off by middle dots ("By J. Smith · 26 April 2024
# 09:23 UTC When …"); prose does not use them.
_FURNITURE = re.compile(r"\s[·•|]\s")
# A sentence ends in terminal punctuation, a closing quote after it allowed: a title line ending in a quoted
# phrase ("… Calls Riot Deaths 'Murder'") is not a sentence.
_ENDS = re.compile(r"[.!?。！？][\"”’'»)]*$")
_TRUNCATED = re.compile(r"(?:\.\.\.|…)[\"”’']?$")
LED_WITH = 2  # what an outlet led with: its first sentence (the second when the first is a dateline or a teaser)
CONTEXT_MAX_SENTENCES = 3
CONTEXT_MAX_WORDS = 110
_QUOTE_OPEN = re.compile(r"^[\"“”'‘’«]")


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
class Quote:
    """A quoting sentence and whom it quotes (name and role as the sentence gives them)."""

    cited: Cited
    speaker: Speaker

    def to_json(self) -> dict[str, object]:
        return {**self.cited.to_json(), "speaker": self.speaker.to_json()}


@dataclass(frozen=True)
class Perspective:
    """What one outlet emphasised: what it led with, what it alone reports, whom it quotes; all cited."""

    source_id: str
    source_name: str
    article_ids: tuple[str, ...]
    sentences: tuple[Cited, ...]  # lead, unique facts and quotes in reading order (the event's flat form)
    lead: Cited | None = None
    unique: tuple[Cited, ...] = ()
    quotes: tuple[Quote, ...] = ()

    def parts_json(self) -> dict[str, object]:
        return {
            "lead": None if self.lead is None else self.lead.to_json(),
            "unique_facts": [c.to_json() for c in self.unique],
            "quotes": [q.to_json() for q in self.quotes],
        }


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
    # The question the first What's happened sentence answers (Go deeper on pages linking here); set at enrichment
    # from a parse of that sentence (domain/questions.py), None when it gives none.
    question: str | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "headline": {"text": self.headline, "article_id": self.headline_article_id},
            "what_happened": [c.to_json() for c in self.what_happened],
            "behind_the_headline": [c.to_json() for c in self.behind],
        }
        if self.generated is not None:
            out["generated"] = self.generated.to_json()
        if self.question and self.what_happened:
            out["question"] = {"text": self.question, "answer": self.what_happened[0].to_json()}
        return out


@dataclass(frozen=True)
class _Scored:
    cited: Cited
    vector: SparseVector
    score: float
    order: tuple[datetime, str, int]


def _sentence_vector(sentence: Sentence, dfs: DocumentFrequencies) -> SparseVector:
    return tfidf(Counter(sentence_terms(sentence.text)), dfs)


def _article_terms(art: StoryArticle) -> list[str]:
    return terms(art.title + "\n" + art.text)


def _article_vector(art: StoryArticle, dfs: DocumentFrequencies, words: Sequence[str] | None = None) -> SparseVector:
    return tfidf(Counter(_article_terms(art) if words is None else words), dfs)


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
    title = cleaned[head.article_id] or head.title
    return (lede_headline(title) if headline_rank(title) else title), head


@dataclass(frozen=True)
class _Line:
    """A sentence fit to be shown (whole, of summary length), read once per story and scored against its
    centroid: the summary, the context and every outlet's paragraph choose among the same lines."""

    cited: Cited
    vector: SparseVector
    centrality: float
    order: tuple[datetime, str, int]


def word_count(text: str) -> int:
    """Words of a sentence; for scripts written without spaces (Chinese, Japanese), about two characters a word."""
    spaced = len(text.split())
    return spaced if spaced > 2 or len(text) < 12 else len(text) // 2


def _read(art: StoryArticle) -> tuple[list[Sentence], list[str]]:
    """An article's sentences and its terms, tokenised once: the terms of its title and of its sentences are the
    terms of its text (no token spans two sentences), and each sentence's stay cached for its own vector."""
    sents = sentences(art.text, art.language)
    return sents, [*terms(art.title), *(t for sent in sents for t in sentence_terms(sent.text))]


def _lines(
    art: StoryArticle, dfs: DocumentFrequencies, centroid: SparseVector, sents: Sequence[Sentence] | None = None
) -> list[_Line]:
    out: list[_Line] = []
    for pos, sent in enumerate(sentences(art.text, art.language) if sents is None else sents):
        n_words = word_count(sent.text)
        # Fragments, captions, run-ons and ledes cut off with an ellipsis make poor lines.
        if n_words < 6 or n_words > 45 or not _ENDS.search(sent.text) or _TRUNCATED.search(sent.text):
            continue
        if _URL.search(sent.text) or _FURNITURE.search(sent.text) or "<" in sent.text or ">" in sent.text:
            continue
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


def _repeats(cand: _Scored, shown: Sequence[_Scored]) -> bool:
    return any(cand.cited == c.cited or cosine(cand.vector, c.vector) > REDUNDANCY for c in shown)


def _summary(pool: Sequence[_Scored], headline: str) -> list[_Scored]:
    """What's happened: the most central lead sentences that each add a fact. Every one stands alone (they come
    from different articles, so a pronoun would point at nothing), none restates the headline or another by its
    names and numbers, and the first is the most central of them."""
    chosen: list[_Scored] = []
    seen = [facts(headline)]
    named = [anchors(headline)]
    words = 0
    for cand in sorted(pool, key=lambda s: (-s.score, s.order)):
        if len(chosen) >= SUMMARY_MAX_SENTENCES:
            break
        text = cand.cited.text
        n = len(text.split())
        if (words + n > SUMMARY_MAX_WORDS and chosen) or not stands_alone(text):
            continue
        # Against the headline too: a sentence that only restates it adds no fact.
        if _repeats(cand, chosen) or not adds_facts(text, seen, NEW_FACTS) or restates(text, named):
            continue
        chosen.append(cand)
        seen.append(facts(text))
        named.append(anchors(text))
        words += n
    return chosen[:1] + sorted(chosen[1:], key=lambda s: s.order)


def core_terms(articles: Sequence[StoryArticle], words: Mapping[str, Sequence[str]]) -> frozenset[str] | None:
    """The terms at least CORE_SHARE of a story's outlets use (and at least two): what its event is about. None
    for a single-outlet story, whose every sentence is its one outlet's account. `words`: each article's terms."""
    outlets: dict[str, set[str]] = defaultdict(set)
    for a in articles:
        outlets[a.source_id].update(words[a.article_id])
    if len(outlets) < 2:
        return None
    counts = Counter(t for vocab in outlets.values() for t in vocab)
    floor = max(2.0, CORE_SHARE * len(outlets))
    return frozenset(t for t, n in counts.items() if n >= floor)


def on_event(text: str, core: frozenset[str] | None) -> bool:
    return core is None or len(core.intersection(sentence_terms(text))) >= ON_EVENT_TERMS


def _context(pool: Sequence[_Scored], shown: Sequence[_Scored], core: frozenset[str] | None) -> list[_Scored]:
    """What's behind the headline: causes, consequences, background, stakes and attributed statements of
    officials and experts, on this event (central enough), new against what is shown above, one of each kind
    before a second of any."""
    seen = [facts(c.cited.text) for c in shown]
    named = [anchors(c.cited.text) for c in shown]
    scored: list[tuple[float, _Scored, frozenset[str]]] = []
    for cand in pool:
        # The cheap tests first: most sentences of a story fail one of them.
        if not reads_alone(cand.cited.text) or not on_event(cand.cited.text, core):
            continue
        kinds = context_kinds(cand.cited.text)
        if not kinds:
            continue
        scored.append((cand.score * (1.0 + 0.25 * len(kinds)), cand, kinds))
    chosen: list[_Scored] = []
    covered: set[str] = set()
    words = 0
    for _, cand, kinds in sorted(scored, key=lambda t: (-(t[0] * (0.5 if t[2] <= covered else 1.0)), t[1].order)):
        n = len(cand.cited.text.split())
        if len(chosen) >= CONTEXT_MAX_SENTENCES or (words + n > CONTEXT_MAX_WORDS and chosen):
            continue
        text = cand.cited.text
        if _repeats(cand, [*shown, *chosen]) or not adds_facts(text, seen, 2) or restates(text, named):
            continue
        chosen.append(cand)
        seen.append(facts(text))
        named.append(anchors(text))
        covered |= kinds
        words += n
    return sorted(chosen, key=lambda s: s.order)


def originals(articles: Sequence[StoryArticle]) -> list[StoryArticle]:
    """Wire copies fold into their original: their words are not a second outlet's words."""
    return [a for a in articles if a.duplicate_of is None] or list(articles)


def _perspective(
    own: Sequence[StoryArticle],
    lines: Mapping[str, Sequence[_Line]],
    others: frozenset[str] | None,
    shown: Sequence[_Scored],
    core: frozenset[str] | None,
) -> tuple[Perspective, list[_Scored]]:
    """One outlet's paragraph from its own words: the opening it led with, the facts only it reports (`others`:
    what the other outlets' articles state; None when it is alone), the people it quotes."""
    ours = [s for a in own for s in _candidates(lines[a.article_id], False) if on_event(s.cited.text, core)]
    first = own[0].article_id
    lead = next(
        (
            s
            for s in sorted(ours, key=lambda s: s.order)
            if s.cited.article_id == first
            and s.order[2] < LED_WITH
            and stands_alone(s.cited.text)
            and not _repeats(s, shown)
        ),
        None,
    )
    picked = [] if lead is None else [lead]
    ranked = sorted(ours, key=lambda s: (-s.score, s.order))
    quotes: list[tuple[_Scored, Speaker]] = []
    for cand in ranked:
        if len(quotes) >= 2:
            break
        who = speaker(cand.cited.text) if is_quote(cand.cited.text) else None
        if who is None or _repeats(cand, [*shown, *picked]):
            continue
        if any(q.name == who.name for _, q in quotes):
            continue
        quotes.append((cand, who))
        picked.append(cand)
    unique: list[_Scored] = []
    for cand in ranked if others is not None else []:
        text = cand.cited.text
        if len(unique) >= 2:
            break
        if is_quote(text) or not reads_alone(text) or _repeats(cand, [*shown, *picked]):
            continue
        if adds_facts(text, [others or frozenset()], 3):
            unique.append(cand)
            picked.append(cand)
    perspective = Perspective(
        source_id=own[0].source_id,
        source_name=own[0].source_name,
        article_ids=tuple(a.article_id for a in own),
        sentences=tuple(p.cited for p in sorted(picked, key=lambda s: s.order)),
        lead=None if lead is None else lead.cited,
        unique=tuple(c.cited for c in unique),
        quotes=tuple(Quote(c.cited, who) for c, who in quotes),
    )
    return perspective, picked


def _contribution(p: Perspective) -> tuple[int, int, str]:
    """Outlets that reported more of their own come first: unique facts, then quotes, then articles."""
    return (-(2 * len(p.unique) + len(p.quotes) + (p.lead is not None)), -len(p.article_ids), p.source_name)


def build_sections(
    articles: Sequence[StoryArticle], dfs: DocumentFrequencies, mentions: Mapping[str, ArticleMentions]
) -> Sections:
    """All extractive sections of one story; `mentions` are the recognised entities of its articles."""
    if not articles:
        raise ValueError("a story has at least one article")
    # In event-time order, so the sections do not depend on the order the articles were passed in.
    base = sorted(originals(articles), key=lambda a: (a.published_at, a.article_id))
    # Each article is read once (its vector, its lines); every section below chooses among those.
    read = {a.article_id: _read(a) for a in base}
    words = {aid: w for aid, (_, w) in read.items()}
    vectors = [_article_vector(a, dfs, words[a.article_id]) for a in base]
    centroid = _centroid(vectors)
    headline, head = choose_headline(base, dfs, centroid)
    lines = {a.article_id: _lines(a, dfs, centroid, read[a.article_id][0]) for a in base}
    every = [line for a in base for line in lines[a.article_id]]
    # What's happened states facts: a quotation is someone's words about them, kept for the other sections.
    facts_pool = [c for c in _candidates(every, True) if not _QUOTE_OPEN.match(c.cited.text)]
    summary = _summary(facts_pool, headline)
    core = core_terms(base, words)
    behind = _context(_candidates(every, False), summary, core)
    by_outlet: dict[str, list[StoryArticle]] = defaultdict(list)
    for art in base:
        by_outlet[art.source_id].append(art)
    # What each outlet states (content words and numbers of all its articles), for what only one outlet reports.
    stated = {
        sid: frozenset(t for a in own for t in words[a.article_id]) | {n for a in own for n in numbers(a.text)}
        for sid, own in by_outlet.items()
    }
    # Outlets in order of how much they wrote; each one's paragraph repeats nothing already on the page.
    # An outlet whose every own sentence is already above keeps its place with no sentences: the page lists it
    # among those also reporting rather than print the same sentence twice.
    shown: list[_Scored] = [*summary, *behind]
    perspectives: list[Perspective] = []
    for source_id, own in sorted(by_outlet.items(), key=lambda kv: (-len(kv[1]), kv[1][0].published_at, kv[0])):
        rest = [f for sid, f in stated.items() if sid != source_id]
        p, picked = _perspective(own, lines, frozenset().union(*rest) if rest else None, shown, core)
        perspectives.append(p)
        shown.extend(picked)
    return Sections(
        headline=headline,
        headline_article_id=head.article_id,
        what_happened=tuple(s.cited for s in summary),
        behind=tuple(s.cited for s in behind),
        perspectives=tuple(sorted(perspectives, key=_contribution)),
        entities=tuple(
            entity_cards(
                [(a.article_id, a.published_at) for a in base],
                mentions,
                specificity=lambda key: dfs.idf(ENTITY_PREFIX + key),
                texts={a.article_id: a.text for a in base},
            )
        ),
        outlets=tuple(sorted(by_outlet)),
    )


def sections_of(item: tuple[Sequence[StoryArticle], DocumentFrequencies, Mapping[str, ArticleMentions]]) -> Sections:
    """`build_sections` of (articles, document frequencies, mentions): one argument, for a task pool's map."""
    return build_sections(*item)
