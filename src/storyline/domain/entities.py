"""Entity cards ("More on these topics") from recognised mentions: kind, salience, a cited description, dates."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from storyline.domain.text import Cited

# Named-entity labels (OntoNotes, as spaCy's English pipelines emit them) shown as cards, and what to call them.
# Dates, amounts and ordinals are facts inside sentences, not topics a reader would follow.
KINDS: Mapping[str, str] = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
    "EVENT": "event",
    "PRODUCT": "product",
    "WORK_OF_ART": "work",
    "LAW": "law",
}
MAX_DESCRIPTION_WORDS = 15
MIN_DESCRIPTION_WORDS = 2
# The recogniser is trained on English news; on other languages its labels are noise, so those articles get
# no entity cards rather than wrong ones.
ENTITY_LANGUAGES = frozenset({"en"})

# ", the Chinese telecoms giant," right after a name: an appositive ends at the next comma or sentence end.
_APPOSITIVE = re.compile(r",\s+([^,;:.!?\"“”()\[\]]+?)(?=,|[.;!?](?:\s|$)|\s[–—]\s)")
# "Meng Wanzhou is a senior executive at the company." — only when the name opens the sentence (its subject).
_DEFINITION = re.compile(r"\s+(?:is|was)\s+((?:a|an|the)\s[^,;:!?\"“”()\[\]]+?)(?=[,;!?]|\.(?:\s|$)|$)")
# An appositive that describes opens with a determiner or a possessive ("the Chinese telecoms giant", "a mother of
# two", "his longtime lawyer"); without a parse, other openings were mostly verbs or clauses ("wrote in a letter").
_DETERMINERS = frozenset({"a", "an", "the", "another", "his", "her", "its", "their", "our"})
# Right before a mention, these make it a modifier of an earlier noun ("Chuck Schumer of New York, the Democratic
# leader", "Dearborn, Michigan, a suburb of Detroit"): the appositive then belongs to that noun, not to the mention.
_MODIFIER_BEFORE = re.compile(r"(?:\b(?:of|in|from|at|for|with|to|by|on|near)|,)\s*$", re.IGNORECASE)
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "sen", "rep", "gov", "gen", "ltd", "inc", "co"})
# A finite verb inside the phrase means a clause ("the company said", "a move that was criticised").
_CLAUSE_WORDS = frozenset(
    "said says told added announced is was are were has have had will would can could should did does".split()  # noqa: SIM905
)


class Readable(Protocol):
    """What a recogniser reads of an article."""

    @property
    def article_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Lead:
    """An article as a recogniser reads it, before it has a row (the extract stage)."""

    article_id: str
    title: str
    text: str


@dataclass(frozen=True)
class Mention:
    """One recognised entity mention: its surface form, model label and where it is ([start, end) of `text`)."""

    name: str
    label: str
    start: int
    end: int
    in_title: bool = False


@dataclass(frozen=True)
class Description:
    """Words of the corpus that say what an entity is (an appositive or "X is a …"), with their span."""

    name: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class ArticleMentions:
    article_id: str
    mentions: tuple[Mention, ...]
    descriptions: tuple[Description, ...]


@dataclass(frozen=True)
class EntityCard:
    name: str
    kind: str
    salience: float
    article_count: int
    first_mentioned: datetime
    description: Cited | None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "salience": self.salience,
            "article_count": self.article_count,
            "first_mentioned": self.first_mentioned.isoformat(),
            "description": None if self.description is None else self.description.to_json(),
        }


@dataclass(frozen=True)
class _Dated:
    article_id: str
    published_at: datetime


def _opens_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in ".!?\n" or before.endswith(("\u201d", '."'))


def _noun_phrase(phrase: str) -> bool:
    words = phrase.casefold().split()
    # A phrase cut at the full stop of "Mr." or "Ltd." stops mid-name ("a top adviser to Mr").
    return (
        bool(words)
        and words[0] in _DETERMINERS
        and words[-1] not in _ABBREVIATIONS
        and not _CLAUSE_WORDS.intersection(words)
    )


def describe(text: str, mentions: Sequence[Mention]) -> tuple[Description, ...]:
    """What the text itself says an entity is: an appositive right after a mention ("Huawei, the Chinese telecoms
    giant,") or a definition opening a sentence ("Meng Wanzhou is a senior executive at the company"). Spans index
    `text`. Patterns over the recogniser's spans rather than a dependency parse: a parse of every article cost as
    much as the recogniser itself, and `valid_description` then keeps only short lowercase noun phrases anyway."""
    out: list[Description] = []
    for m in mentions:
        if m.in_title or m.end <= m.start:
            continue
        found = None if _MODIFIER_BEFORE.search(text, max(0, m.start - 8), m.start) else _APPOSITIVE.match(text, m.end)
        if found is None and _opens_sentence(text, m.start):
            found = _DEFINITION.match(text, m.end)
        if found is None:
            continue
        phrase = found.group(1).rstrip()
        if _noun_phrase(phrase):
            start = found.start(1)
            out.append(Description(m.name, phrase, start, start + len(phrase)))
    return tuple(out)


def mentions_to_json(found: ArticleMentions) -> dict[str, Any]:
    """Stored with the article (the extract stage recognises each article once, enrichment reads them back)."""
    return {
        "mentions": [[m.name, m.label, m.start, m.end, m.in_title] for m in found.mentions],
        "descriptions": [[d.name, d.text, d.start, d.end] for d in found.descriptions],
    }


def mentions_from_json(article_id: str, data: Mapping[str, Any]) -> ArticleMentions:
    return ArticleMentions(
        article_id,
        tuple(Mention(str(n), str(lb), int(s), int(e), bool(t)) for n, lb, s, e, t in data.get("mentions", [])),
        tuple(Description(str(n), str(x), int(s), int(e)) for n, x, s, e in data.get("descriptions", [])),
    )


def entity_key(name: str) -> str:
    """One key per entity however it is written: case, a leading "the" and a possessive do not matter."""
    key = " ".join(name.split()).casefold()
    key = key.removeprefix("the ")
    for suffix in ("'s", "’s"):
        key = key.removesuffix(suffix)
    return key.strip(" .,")


def _aliases(names: Mapping[str, str]) -> dict[str, str]:
    """Map a lone name ("jackman", "meng") to the one full name of a person that ends or starts with it ("hugh
    jackman", "meng wanzhou": family names come first in some languages), when unambiguous: news writes a
    person's full name once, then the short one (which a small model may label as a place or an organisation on
    its own, so the lone word's label does not matter)."""
    full = [k for k, kind in names.items() if kind == "person" and " " in k]
    out: dict[str, str] = {}
    for k in names:
        if " " in k:
            continue
        owners = [f for f in full if k in (f.rsplit(" ", 1)[-1], f.split(" ", 1)[0])]
        if len(owners) == 1:
            out[k] = owners[0]
    return out


def valid_description(text: str, name: str) -> bool:
    """A description is a short phrase that is not the name again, nor a quote or a clause fragment."""
    words = text.split()
    if not MIN_DESCRIPTION_WORDS <= len(words) <= MAX_DESCRIPTION_WORDS:
        return False
    # "the special counsel", "a fellow Californian": a description opens with a common word; a phrase opening
    # with a capital is another name ("Sen. Lindsey Graham"), not a description.
    if not words[0][:1].islower():
        return False
    if entity_key(name) in text.casefold():
        return False
    return not any(ch in text for ch in '"“”()[]:;')


def entity_cards(
    articles: Sequence[tuple[str, datetime]], mentions: Mapping[str, ArticleMentions], limit: int = 12
) -> list[EntityCard]:
    """Cards for a story's entities: `articles` are (article_id, published_at) of its original articles.

    Salience is the share of articles mentioning the entity, weighted by headline mentions; the description is
    the phrase the articles use most often (earliest on ties), cited to where it was written."""
    dated = sorted((_Dated(a, t) for a, t in articles), key=lambda d: (d.published_at, d.article_id))
    kind_votes: dict[str, Counter[str]] = defaultdict(Counter)
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for d in dated:
        for m in mentions.get(d.article_id, ArticleMentions(d.article_id, (), ())).mentions:
            kind = KINDS.get(m.label)
            if kind is None:
                continue
            key = entity_key(m.name)
            if len(key) < 2:
                continue
            kind_votes[key][kind] += 1
            surfaces[key][" ".join(m.name.split())] += 1
    kinds = {k: v.most_common(1)[0][0] for k, v in kind_votes.items()}
    alias = _aliases(kinds)

    docs: dict[str, set[str]] = defaultdict(set)
    titled: dict[str, set[str]] = defaultdict(set)
    first: dict[str, datetime] = {}
    phrases: dict[str, Counter[str]] = defaultdict(Counter)
    where: dict[tuple[str, str], Cited] = {}
    for d in dated:
        found = mentions.get(d.article_id)
        if found is None:
            continue
        for m in found.mentions:
            key = entity_key(m.name)
            if key not in kinds:
                continue
            key = alias.get(key, key)
            docs[key].add(d.article_id)
            if m.in_title:
                titled[key].add(d.article_id)
            first.setdefault(key, d.published_at)
        for desc in found.descriptions:
            key = alias.get(entity_key(desc.name), entity_key(desc.name))
            if key not in kinds or not valid_description(desc.text, desc.name):
                continue
            norm = " ".join(desc.text.split()).casefold()
            phrases[key][norm] += 1
            where.setdefault((key, norm), Cited(desc.text, d.article_id, desc.start, desc.end))

    n = max(1, len(dated))
    keep_all = n <= 2

    def salience(key: str) -> float:
        # Share of articles naming it, weighted up to 1.5x by the share that name it in the headline; in [0, 1].
        return (len(docs[key]) / n) * (1.0 + 0.5 * len(titled[key]) / n) / 1.5

    ranked = sorted(docs, key=lambda k: (-salience(k), -len(docs[k]), k))
    cards: list[EntityCard] = []
    for key in ranked:
        if not keep_all and len(docs[key]) < 2:
            continue
        best = sorted(phrases[key].items(), key=lambda kv: (-kv[1], kv[0]))
        description = where[(key, best[0][0])] if best else None
        full_names = [s for s in surfaces[key] if entity_key(s) == key] or list(surfaces[key])
        name = max(full_names, key=lambda s: (surfaces[key][s], s))
        cards.append(
            EntityCard(
                name=name,
                kind=kinds[key],
                salience=round(salience(key), 4),
                article_count=len(docs[key]),
                first_mentioned=first[key],
                description=description,
            )
        )
        if len(cards) >= limit:
            break
    return cards
