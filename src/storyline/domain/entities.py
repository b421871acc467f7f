"""Entity cards ("More on these topics") from recognised mentions: kind, salience, a cited description, dates."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from storyline.domain.descriptions import (
    Description,
    describe_elsewhere,
    description_rank,
    role_headed,
    valid_description,
)
from storyline.domain.names import LEGAL_FORM, POSSESSIVE_END, checked_label, entity_key, plausible_name
from storyline.domain.places import PLACE_LABELS
from storyline.domain.text import Cited
from storyline.domain.vocabulary import word_set

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
# The recogniser is trained on English news; on other languages its labels are noise, so those articles get
# no entity cards rather than wrong ones.
ENTITY_LANGUAGES = frozenset({"en"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
# Words an initialism skips ("Federal Bureau of Investigation" is FBI).
_INITIALISM_SKIP = word_set("of and the for de du des & on in")


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

    @property
    def entity_id(self) -> str:
        return entity_id(self.kind, self.name)

    def to_json(self) -> dict[str, object]:
        return {
            "entity_id": self.entity_id,
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


def entity_id(kind: str, name: str) -> str:
    """The warehouse's id of an entity (the `entities` table, `entity_id` of a card, `/entities/{id}`)."""
    return hashlib.blake2b(f"{kind}|{name.casefold()}".encode(), digest_size=12).hexdigest()


def distinct_name(name: str, kind: str) -> bool:
    """Whether a name picks out one entity across stories: a person needs a first and a last name ("Smith" alone
    is many people); an organisation, a place or a work by its name is one."""
    return kind != "person" or len(name.split()) >= 2


def _core(key: str) -> tuple[list[str], str]:
    """A person's name words without a generational suffix, and the suffix ("eric h. holder jr." -> ..., "jr")."""
    words = key.split()
    if len(words) > 1 and words[-1].rstrip(".") in _SUFFIXES:
        return words[:-1], words[-1].rstrip(".")
    return words, ""


def _aliases(names: Mapping[str, str], counts: Mapping[str, int]) -> dict[str, str]:
    """Map other ways of writing a person's name to one: the same first and last name ("donald j. trump",
    "donald trump jr." -> "donald trump", the one written most), a name missing its first words ("roma jayne" ->
    "emma roma jayne"), and a lone name ("jackman", "meng", "trump jr.") to the full name that ends or starts
    with it ("hugh jackman", "meng wanzhou": family names come first in some languages). News writes a person's
    full name once, then the short one (which a small model may label as a place or an organisation on its own,
    so the lone word's label does not matter)."""
    out: dict[str, str] = {}
    by_ends: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for k, kind in names.items():
        words, suffix = _core(k)
        if kind == "person" and len(words) > 1:
            # "Anthony LaCalamita" and "Anthony LaCalamita III" in one story are one man.
            by_ends[(words[0], words[-1], "")].append(k)
    for same in by_ends.values():
        main = max(same, key=lambda k: (counts[k], -len(k), k))
        out.update({k: main for k in same if k != main})
    weight: Counter[str] = Counter()
    for same in by_ends.values():
        for k in same:
            weight[out.get(k, k)] += counts[k]
    full = sorted(weight)
    for k in names:
        if k in out:
            continue
        words, suffix = _core(k)
        if len(words) > 1:
            # Only a shorter form of a longer name: its last words, first name dropped.
            owners = [f for f in full if f != k and f.endswith(" " + k) and f.count(" ") > k.count(" ")]
        else:
            owners = [f for f in full if suffix in ("", _core(f)[1]) and words[0] in (_core(f)[0][0], _core(f)[0][-1])]
            # "the clintons" is the family: its most named member's card.
            owners = owners or [f for f in full if k.endswith("s") and _core(f)[0][-1] == k[:-1]]
        owners.sort(key=lambda f: (-weight[f], f))
        # "Trump" alone is Donald Trump even where Melania Trump is named too: news calls the main subject by
        # surname; with two people named about as often, the surname stays its own.
        if owners and (len(owners) == 1 or weight[owners[0]] >= 2 * weight[owners[1]]):
            out[k] = owners[0]
    for k in list(out):  # "roma jayne" -> "emma roma jayne" also carries what mapped to "roma jayne"
        seen = {k}
        while out[k] in out and out[k] not in seen:
            seen.add(out[k])
            out[k] = out[out[k]]
    return out


def headline_line_end(text: str, title: str) -> int:
    """Where a headline printed as the text's first line ends (0 when there is none): the title itself, or a line
    in title case without a full stop. Its capitalised words are not names ("Colts Beat Chiefs", "Buys
    SeaMicro"), so its mentions count as the title's."""
    line = text.split("\n", 1)[0]
    stripped = line.strip()
    if not stripped or "\n" not in text:
        return 0
    if " ".join(stripped.split()) == " ".join(title.split()):
        return len(line)
    words = [w for w in stripped.split() if w[:1].isalpha() and w.casefold() not in _INITIALISM_SKIP]
    if stripped[-1:] in ".!?\"”’'" or len(words) < 3 or len(words) > 20:
        return 0
    capitalised = sum(1 for w in words if w[:1].isupper())
    return len(line) if capitalised >= 0.8 * len(words) else 0


def _initialisms(key: str) -> frozenset[str]:
    """The ways an initialism may abbreviate a name: every word's initial ("hewlett-packard" -> "hp", "federal
    bureau of investigation" -> "fbi"), or the first word kept whole ("eyp mission critical facilities" ->
    "eypmcf")."""
    words = [w for w in re.split(r"[\s-]+", key) if w and w not in _INITIALISM_SKIP]
    if len(words) < 2:
        return frozenset()
    rest = "".join(w[0] for w in words[1:])
    return frozenset({words[0][0] + rest, words[0] + rest})


def _acronym_aliases(kinds: Mapping[str, str], surfaces: Mapping[str, Counter[str]]) -> dict[str, str]:
    """Map an initialism ("HP", "EYP MCF", "FBI") to the one longer name of the story it abbreviates, and a short
    name to the one longer name it ends ("Q10", "BlackBerry Q10"), so the two make one card under the full
    name."""
    out: dict[str, str] = {}
    for k in kinds:
        # A name with a verb or an adverb glued in front ("Buys SeaMicro", "Acquiring EYP Mission Critical
        # Facilities"): a headline's or a sentence's words, not a longer name. Not for people: "Chris Christie" is
        # not "Christie" with a verb in front.
        first, _, rest = k.partition(" ")
        glued = first.endswith(("ing", "ly", "s")) and len(first) > 3 and kinds[k] != "person"
        if glued and rest in kinds and kinds[rest] != "person":
            out[k] = rest
    names = {k: kind for k, kind in kinds.items() if k not in out and kind != "person"}
    for k in names:
        shown = surfaces[k].most_common(1)[0][0] if surfaces.get(k) else ""
        letters = re.sub(r"[\s.&]", "", shown)
        if not (2 <= len(letters) <= 8 and letters.isalpha() and letters.isupper()):
            continue
        owners = [f for f in names if f != k and letters.casefold() in _initialisms(f)]
        if len(owners) == 1:
            out[k] = owners[0]
    for k, kind in names.items():
        # "Q10" is the BlackBerry Q10, "Chiefs" the Kansas City Chiefs: the last words of one longer name of its
        # kind (a lone word: of any kind, as the recogniser labels short names loosely).
        if k in out:
            continue
        owners = [f for f in names if f.endswith(" " + k) and (names[f] == kind or " " not in k)]
        # An initialism that opens one longer name ("EYP" of "EYP Mission Critical Facilities").
        if not owners and k.isalpha() and k.upper() in surfaces.get(k, Counter()):
            owners = [f for f in names if f.startswith(k + " ")]
        if len(owners) == 1:
            out[k] = owners[0]
    return {k: out.get(v, v) for k, v in out.items()}


def _run_on_names(kinds: Mapping[str, str], alias: Mapping[str, str]) -> list[str]:
    """Person "names" that are a person's name with a headline's next words ("Donald Trump Signals", "Trump
    Sends Investigators"): another person's full name, or their surname, followed by more words."""
    people = [k for k, kind in kinds.items() if kind == "person"]
    out = []
    for k in people:
        words, _ = _core(k)
        for n in range(1, len(words)):
            head = " ".join(words[:n])
            owner = alias.get(head, head)
            surname = n == 1 and any(p != k and p.endswith(" " + head) for p in people)
            if owner != alias.get(k, k) and (surname or (n > 1 and owner in kinds)):
                out.append(k)
                break
    return out


def _display(surfaces: Counter[str], key: str) -> str:
    """The name as the articles write it most, preferring a form without a possessive or a lowercase "the" and,
    among equals, without a legal form ("Inc.")."""
    own = [s for s in surfaces if entity_key(s) == key] or list(surfaces)
    name = max(own, key=lambda s: (s == _bare_name(s), surfaces[s], not LEGAL_FORM.search(s.casefold()), s))
    return _bare_name(name)


def _bare_name(name: str) -> str:
    return re.sub(r"(\w) - (\w)", r"\1-\2", POSSESSIVE_END.sub("", name).removeprefix("the "))


def entity_cards(
    articles: Sequence[tuple[str, datetime]],
    mentions: Mapping[str, ArticleMentions],
    limit: int = 12,
    specificity: Callable[[str], float] | None = None,
    texts: Mapping[str, str] | None = None,
) -> list[EntityCard]:
    """Cards for a story's entities: `articles` are (article_id, published_at) of its original articles; `texts`,
    their whole texts by article id, are searched for descriptions beyond the recognised leads.

    Salience is the share of articles mentioning the entity, weighted by headline mentions; the description is
    the phrase the articles use most often (a noun phrase before a clause; earliest on ties), cited to where it
    was written. An entity only a headline names gets no card: headlines are capitalised throughout, and the
    recogniser reads their fragments as names ("Riot Deaths 'Murder'" as a person)."""
    dated = sorted((_Dated(a, t) for a, t in articles), key=lambda d: (d.published_at, d.article_id))
    kind_votes: dict[str, Counter[str]] = defaultdict(Counter)
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for d in dated:
        for m in mentions.get(d.article_id, ArticleMentions(d.article_id, (), ())).mentions:
            label = checked_label(m.name, m.label)
            kind = KINDS.get(label)
            if kind is None or m.in_title or not plausible_name(m.name, label):
                continue
            key = entity_key(m.name)
            if len(key) < 2:
                continue
            kind_votes[key][kind] += 1
            labels[key][label] += 1
            surfaces[key][" ".join(m.name.split())] += 1
    kinds = {k: v.most_common(1)[0][0] for k, v in kind_votes.items()}
    counts = {k: sum(v.values()) for k, v in kind_votes.items()}
    for k in _run_on_names(kinds, _aliases(kinds, counts)):
        del kinds[k]
    alias = {**_acronym_aliases(kinds, surfaces), **_aliases(kinds, counts)}

    docs: dict[str, set[str]] = defaultdict(set)
    titled: dict[str, set[str]] = defaultdict(set)
    first: dict[str, datetime] = {}
    phrases: dict[str, Counter[str]] = defaultdict(Counter)
    where: dict[tuple[str, str], Cited] = {}
    named: Counter[str] = Counter()
    for d in dated:
        found = mentions.get(d.article_id)
        if found is None:
            continue
        for m in found.mentions:
            key = entity_key(m.name)
            if key not in kinds:
                continue
            key = alias.get(key, key)
            if m.in_title:
                titled[key].add(d.article_id)
                continue
            docs[key].add(d.article_id)
            named[key] += 1
            first.setdefault(key, d.published_at)
        for desc in found.descriptions:
            key = alias.get(entity_key(desc.name), entity_key(desc.name))
            if key not in kinds or not valid_description(desc.text, desc.name, kinds[key] == "place"):
                continue
            norm = " ".join(desc.text.split()).casefold()
            phrases[key][norm] += 1
            where.setdefault((key, norm), Cited(desc.text, d.article_id, desc.start, desc.end))

    n = max(1, len(dated))
    # With one or two articles, an entity one of them names need not be in both; it is a topic of the story when
    # the text names it twice or more, in the headline, or says who it is: one passing mention is not (and a page's
    # list of columnists' names, read as its text, is junk).
    few = n <= 2

    def salience(key: str) -> float:
        # Share of articles naming it, weighted up to 1.5x by the share that name it in the headline; in [0, 1].
        return (len(docs[key]) / n) * (1.0 + 0.5 * len(titled[key]) / n) / 1.5

    # Ranked by salience times how specific the entity is to this story across the warehouse (`specificity`, an
    # IDF): "America" or "Congress" in half the stories says less about this one than the people it is about.
    def weight(key: str) -> float:
        return salience(key) * (specificity(key) if specificity is not None else 1.0)

    ranked = sorted(docs, key=lambda k: (-weight(k), -len(docs[k]), k))
    # A surname stands for its person only when no other person of the story has it ("Kelce": Donna or Travis?).
    family = Counter(_core(k)[0][-1] for k, kind in kinds.items() if kind == "person" and " " in k)
    # Each card's keys (itself and its aliases), gathered once: looked up per card, not searched.
    keys_of: dict[str, list[str]] = defaultdict(list)
    for k in surfaces:
        keys_of[alias.get(k, k)].append(k)
    cards: list[EntityCard] = []
    for key in ranked:
        if not few and len(docs[key]) < 2:
            continue
        merged = Counter({s: c for k in keys_of[key] for s, c in surfaces[k].items()})
        # Whole texts are searched when the leads gave nothing that reads alone (a pronoun-owned title, a held-by
        # compound or a clause: "his lawyer", "Palo Alto-based").
        if texts is not None and all(description_rank(p) >= 2 for p in phrases[key]):
            votes = Counter({lb: c for k in keys_of[key] for lb, c in labels[k].items()})
            surname = _core(key)[0][-1] if kinds[key] == "person" and family[_core(key)[0][-1]] == 1 else None
            names = _search_names(merged, votes.most_common(1)[0][0], surname)
            _describe_rest(key, names, votes.most_common(1)[0][0], dated, mentions, texts, phrases, where)
        # Dict order is the order phrases were first written (the leads' first): the earliest wins a tie.
        order = {p: i for i, p in enumerate(phrases[key])}
        best = sorted(phrases[key].items(), key=lambda kv: (description_rank(kv[0]), -kv[1], order[kv[0]]))
        description = where[(key, best[0][0])] if best else None
        if few and named[key] < 2 and not titled[key] and description is None:
            continue
        cards.append(
            EntityCard(
                name=_display(merged, key),
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


def _search_names(surfaces: Counter[str], label: str, surname: str | None) -> list[str]:
    """The ways of writing an entity that the whole-text search looks for: names of two words or more, one-word
    names of organisations and places, and a person's surname when the story names nobody else so (news writes the
    full name once, then says who someone is at the surname: "Santorum, who …", "Murray, the two-time champion,").
    A lone word otherwise could be a relative's."""
    names = [s for s in surfaces if " " in s or label != "PERSON"]
    written = {w for s in names for w in s.split()}
    if surname is not None:
        names += sorted({w for w in written if entity_key(w) == surname} - set(names))
    return names


def _describe_rest(
    key: str,
    names: Sequence[str],
    label: str,
    dated: Sequence[_Dated],
    mentions: Mapping[str, ArticleMentions],
    texts: Mapping[str, str],
    phrases: dict[str, Counter[str]],
    where: dict[tuple[str, str], Cited],
) -> None:
    """Add to `phrases` and `where` the descriptions of `key` at its mentions the recogniser did not read, up to
    the first article (in time) that has one reading alone: for a card the leads did not describe well (the search
    is per story, and a big story's articles are many). `names`: `_search_names`."""
    for d in dated:
        text = texts.get(d.article_id)
        found = mentions.get(d.article_id)
        if not text or not names:
            continue
        recognised = [(m.start, m.end) for m in found.mentions if m.end > m.start] if found is not None else []
        for desc in describe_elsewhere(text, names, label, recognised):
            if not valid_description(desc.text, desc.name, label in PLACE_LABELS):
                continue
            if label == "PERSON" and " " not in desc.name and not role_headed(desc.text):
                continue
            norm = " ".join(desc.text.split()).casefold()
            phrases[key][norm] += 1
            where.setdefault((key, norm), Cited(desc.text, d.article_id, desc.start, desc.end))
        if any(description_rank(p) < 2 for p in phrases[key]):
            return
