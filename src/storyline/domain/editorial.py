"""Editorial self-check: pure measures of what a reader meets on story pages (issue 17), each a count over a count."""

from __future__ import annotations

import math
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from storyline.domain.boundaries import ends_sentence, starts_sentence

# Sections whose cited spans are meant to be whole sentences (entity descriptions are phrases, so they count for
# provenance only).
SENTENCE_SECTIONS = frozenset({"what_happened", "behind_the_headline", "perspectives", "how_we_got_here", "go_deeper"})
FRONT_PAGE = 20
LONG_HEADLINE = 110
TOP_CARDS = 5
MAX_NAME_WORDS = 5
TEMPLATE_SHARE = 3  # a question skeleton shared by this many distinct questions is a template
RESTATEMENT = 0.5  # tf-idf cosine above which two summary sentences say the same thing


@dataclass(frozen=True)
class Figure:
    """One editorial figure: how many of how many, with the issue's target and a few examples to look at."""

    key: str
    label: str
    numerator: int
    denominator: int
    target: str = ""
    examples: tuple[str, ...] = ()

    @property
    def share(self) -> float:
        return self.numerator / self.denominator if self.denominator else 0.0


@dataclass(frozen=True)
class Span:
    """A cited span as a page shows it: the section it sits in, the article it cites and where."""

    section: str
    article_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Member:
    article_id: str
    url: str
    title: str
    source_name: str


@dataclass(frozen=True)
class Card:
    name: str
    kind: str
    described: bool


@dataclass(frozen=True)
class Link:
    """A link a page shows (*How we got here* or *Go deeper*) to another story."""

    section: str
    story_id: str


@dataclass(frozen=True)
class Ask:
    """A *Go deeper* question and the entity names of the story it links (the slots a template would fill)."""

    text: str
    story_id: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Page:
    """One story page as the read side composes it."""

    story_id: str
    headline: str
    headline_article_id: str | None
    outlet_count: int
    article_count: int
    members: tuple[Member, ...]
    spans: tuple[Span, ...]
    cards: tuple[Card, ...]
    links: tuple[Link, ...]
    questions: tuple[Ask, ...]

    @property
    def summary(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.spans if s.section == "what_happened")


@dataclass(frozen=True)
class Gold:
    """Gold event labels seen from the warehouse: per member article, and per story its majority gold story."""

    of_article: Mapping[str, str]
    of_story: Mapping[str, str]


def majority_gold(assigned: Iterable[tuple[str, str | None]], gold_by_url: Mapping[str, str]) -> dict[str, str]:
    """Each story's most frequent gold story over its labelled articles ((url, story_id) pairs); ties go to the
    smallest label, so the answer does not depend on row order."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for url, story_id in assigned:
        if story_id is not None and url in gold_by_url:
            votes[story_id][gold_by_url[url]] += 1
    return {sid: min(c, key=lambda g: (-c[g], g)) for sid, c in votes.items()}


def gold_view(
    pages: Sequence[Page], assigned: Iterable[tuple[str, str | None]], gold_by_url: Mapping[str, str]
) -> Gold:
    of_article = {m.article_id: gold_by_url[m.url] for p in pages for m in p.members if m.url in gold_by_url}
    return Gold(of_article, majority_gold(assigned, gold_by_url))


# -- sentence boundaries (domain/boundaries.py) ----------------------------------------------------------------
def is_fragment(text: str, span: Span) -> bool:
    return not (starts_sentence(text, span.start) and ends_sentence(text, span.start, span.end))


# -- questions -----------------------------------------------------------------------------------------------
_SLOT_PATTERN = re.compile(r"^\s*what (?:is the latest (?:on|from)|happened (?:in|at))\s+\S.*\?\s*$", re.IGNORECASE)
_SLOT = "\x00"
# fmt: off
CONNECTORS = frozenset([
    "of", "de", "the", "and", "for", "van", "von", "al", "el", "da", "del", "der", "den", "di", "du", "la", "le",
    "los", "las", "des", "do", "dos", "das", "es", "y", "e", "bin", "ibn", "ben", "und", "zu", "et", "on", "to",
    "in", "at", "&",
])
# fmt: on
_EDGE = "\"'“”‘’()[],.;:!?"


def is_slot_template(question: str) -> bool:
    """The old slot-filled questions: "What is the latest on/from X?", "What happened in/at X?"."""
    return bool(_SLOT_PATTERN.match(question))


def skeleton(question: str, names: Iterable[str] = ()) -> str:
    """The question with its names taken out: the linked story's entity names and every run of capitalised words
    after the first word become one slot; two questions with one skeleton differ only in whom they ask about."""
    text = question.strip().rstrip("?").rstrip()
    for name in sorted({n for n in names if n.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", f" {_SLOT} ", text, flags=re.IGNORECASE)
    tokens = text.split()
    out: list[str] = []
    for i, tok in enumerate(tokens):
        core = tok.strip(_EDGE)
        slot = tok == _SLOT or (i > 0 and core[:1].isupper())
        if slot:
            # A connector between two name words ("Bank of America") belongs to the name.
            if len(out) >= 2 and out[-1] in CONNECTORS and out[-2] == "{}":
                out.pop()
            if not out or out[-1] != "{}":
                out.append("{}")
            continue
        out.append(tok.casefold())
    return " ".join(out) + "?"


def templated_questions(asks: Sequence[Ask]) -> list[Ask]:
    """Questions that are templates: a slot pattern, or a skeleton shared by TEMPLATE_SHARE distinct questions."""
    shared: dict[str, set[str]] = defaultdict(set)
    for a in asks:
        shared[skeleton(a.text, a.names)].add(a.text)
    return [a for a in asks if is_slot_template(a.text) or len(shared[skeleton(a.text, a.names)]) >= TEMPLATE_SHARE]


# -- entity cards --------------------------------------------------------------------------------------------
_QUOTES = "\"“”„«»‘’'"


def alias_key(name: str) -> str:
    """What two names of one entity share: case, a leading "the", a possessive and spaced hyphens aside."""
    key = " ".join(name.replace("’", "'").casefold().split())
    key = re.sub(r"\s*-\s*", "-", key)
    key = key.removeprefix("the ")
    return re.sub(r"'s?$", "", key).strip()


def same_entity(a: Card, b: Card) -> bool:
    """Duplicate cards: one alias key, or one is a person's surname or first name alone (not a place:
    Washington is not George Washington)."""
    ka, kb = alias_key(a.name), alias_key(b.name)
    if ka == kb:
        return True
    for full, short, other in ((a, kb, b), (b, ka, a)):
        tokens = alias_key(full.name).split()
        if full.kind == "person" and len(tokens) >= 2 and other.kind != "place" and short in (tokens[0], tokens[-1]):
            return True
    return False


def _quoted(name: str) -> bool:
    """A quote mark that is not an apostrophe inside a word or a plural's possessive (O'Brien, Trump's, Harris',
    Workers' Union)."""
    for i, ch in enumerate(name):
        if ch in _QUOTES:
            inside = 0 < i < len(name) - 1 and name[i - 1].isalpha() and name[i + 1].isalpha()
            possessive = i > 0 and name[i - 1] == "s" and (i == len(name) - 1 or name[i + 1] == " ")
            if not (ch in "'’" and (inside or possessive)):
                return True
    return False


def junk_reason(name: str, titles: Sequence[str] = (), texts: Sequence[str] = ()) -> str | None:
    """Why a card's name is not an entity's name, or None: quote marks, dash separators, more than five words,
    lowercase words that are not name connectors, or a headline fragment (capitalised so only in a title)."""
    if _quoted(name):
        return "quote marks"
    if "—" in name or " – " in name or " - " in name:
        return "dash separator"
    words = name.split()
    # Connectors do not count: "the National Association for the Advancement of Colored People" is a name.
    if sum(w.strip(_EDGE).casefold() not in CONNECTORS for w in words) > MAX_NAME_WORDS:
        return "more than five words"
    for w in words:
        core = w.strip(_EDGE)
        first = core.split("-", 1)[0]
        if core[:1].islower() and first.casefold() not in CONNECTORS and not any(c.isupper() for c in core[1:]):
            return "lowercase word"
    if len(words) >= 2 and any(name in t for t in titles) and not any(name in t for t in texts):
        return "headline fragment"
    return None


def junk_cards(page: Page, texts: Mapping[str, str]) -> list[tuple[Card, str]]:
    """The page's top cards that are junk, or a duplicate of a card above them (one that is not itself a duplicate:
    "Margaret Hunter" below "Duncan Hunter" and "Hunter" is a second person, not a third card for one)."""
    titles = [m.title for m in page.members]
    bodies = [texts.get(m.article_id, "") for m in page.members]
    kept: list[Card] = []
    out: list[tuple[Card, str]] = []
    for card in page.cards[:TOP_CARDS]:
        reason = junk_reason(card.name, titles, bodies)
        if reason is None and any(same_entity(card, above) for above in kept):
            out.append((card, "duplicate"))
            continue
        kept.append(card)
        if reason is not None:
            out.append((card, reason))
    return out


# -- headlines -----------------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s*-\s*", "-", " ".join(text.casefold().split()))


def from_title(headline: str, title: str) -> bool:
    """The headline is the title, or the title with something (site cruft) cut off: most of it, verbatim."""
    h, t = _norm(headline), _norm(title)
    return bool(h) and (h == t or (h in t and 2 * len(h) >= len(t)))


def _squash(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def _names_outlet(tail: str, outlets: Iterable[str]) -> bool:
    """Whether a headline's last dash-separated part is an outlet's name: "Times of India" is the outlet
    "ind-timesofindia", "NTV Haber" contains "NTV" (names compared without case, spaces or punctuation)."""
    return len(tail) >= 3 and any(len(o) >= 3 and (o in tail or tail in o) for o in outlets)


def headline_problems(page: Page, texts: Mapping[str, str], outlet_names: Iterable[str]) -> list[str]:
    """What is wrong with a headline: a lede sentence, too long, or site cruft."""
    head = page.headline
    problems: list[str] = []
    own = next((m for m in page.members if m.article_id == page.headline_article_id), None)
    lede = not any(from_title(head, m.title) for m in page.members)
    if own is not None and not from_title(head, own.title) and _norm(head) in _norm(texts.get(own.article_id, "")):
        lede = True
    if lede:
        problems.append("lede sentence")
    if len(head) > LONG_HEADLINE:
        problems.append(f"over {LONG_HEADLINE} characters")
    outlets = [_squash(n) for n in (*outlet_names, *(m.source_name for m in page.members))]
    tail = re.search(r"\s[-—–]\s+([^-—–]+)$", head)
    if " | " in head or "｜" in head or (tail and _names_outlet(_squash(tail.group(1)), outlets)):
        problems.append("site cruft")
    return problems


# -- restatements --------------------------------------------------------------------------------------------
def _tf(sentence: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", sentence.casefold()))


def restated_pairs(summaries: Sequence[Sequence[str]]) -> list[list[tuple[int, int, float]]]:
    """Per story, the pairs of its summary sentences whose tf-idf cosine is above RESTATEMENT (idf over every
    summary sentence given, so words every summary uses weigh little)."""
    tfs = [[_tf(s) for s in story] for story in summaries]
    df: Counter[str] = Counter()
    n = 0
    for story in tfs:
        for tf in story:
            df.update(tf.keys())
            n += 1

    def vector(tf: Counter[str]) -> dict[str, float]:
        v = {w: c * (math.log((1 + n) / (1 + df[w])) + 1) for w, c in tf.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}

    out: list[list[tuple[int, int, float]]] = []
    for story in tfs:
        vecs = [vector(tf) for tf in story]
        pairs = []
        for i in range(len(vecs)):
            for j in range(i + 1, len(vecs)):
                cos = sum(x * vecs[j].get(w, 0.0) for w, x in vecs[i].items())
                if cos > RESTATEMENT:
                    pairs.append((i, j, cos))
        out.append(pairs)
    return out


# -- the figures ---------------------------------------------------------------------------------------------
def _clip(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _examples(items: Iterable[str], n: int = 3) -> tuple[str, ...]:
    return tuple(list(dict.fromkeys(items))[:n])


def front_page(pages: Sequence[Page]) -> Figure:
    first = pages[:FRONT_PAGE]
    wide = [p for p in first if p.outlet_count >= 2]
    narrow = (_clip(p.headline) for p in first if p.outlet_count < 2)
    return Figure(
        "front_page",
        f"front page: of the first {FRONT_PAGE}, from 2+ outlets",
        len(wide),
        len(first),
        "≥ 18/20",
        _examples(narrow),
    )


def templated(pages: Sequence[Page]) -> Figure:
    asks = [a for p in pages for a in p.questions]
    bad = templated_questions(asks)
    return Figure(
        "templated_questions",
        "Go deeper questions that are templates",
        len(bad),
        len(asks),
        "≤ 5%",
        _examples(a.text for a in bad),
    )


def _against_gold(
    key: str,
    label: str,
    target: str,
    pairs: Iterable[tuple[str | None, str | None, str]],
    wrong: Callable[[str, str], bool],
) -> Figure:
    """A gold-based figure: of the (own gold story, other gold story, example) pairs whose two sides gold labels,
    how many `wrong` finds wrong."""
    known = [(own, other, example) for own, other, example in pairs if own is not None and other is not None]
    bad = [example for own, other, example in known if wrong(own, other)]
    return Figure(key, label, len(bad), len(known), target, _examples(bad))


def same_event_links(pages: Sequence[Page], gold: Gold) -> Figure:
    links = (
        (
            gold.of_story.get(p.story_id),
            gold.of_story.get(link.story_id),
            f"{p.story_id} → {link.story_id} ({link.section})",
        )
        for p in pages
        for link in p.links
    )
    return _against_gold(
        "same_event_links",
        "How we got here / Go deeper links to a split of the same event",
        "≤ 5%",
        links,
        operator.eq,
    )


def described_cards(pages: Sequence[Page]) -> Figure:
    top = [c for p in pages for c in p.cards[:TOP_CARDS]]
    bare = (c.name for c in top if not c.described)
    return Figure(
        "described_cards",
        f"top-{TOP_CARDS} entity cards with a description",
        sum(c.described for c in top),
        len(top),
        "≥ 50%",
        _examples(bare),
    )


def junk(pages: Sequence[Page], texts: Mapping[str, str]) -> Figure:
    total = sum(len(p.cards[:TOP_CARDS]) for p in pages)
    bad = [(c, why) for p in pages for c, why in junk_cards(p, texts)]
    return Figure(
        "junk_cards",
        f"top-{TOP_CARDS} entity cards that are junk or duplicates",
        len(bad),
        total,
        "≤ 3%",
        _examples(f"{c.name!r} ({why})" for c, why in bad),
    )


def fragments(pages: Sequence[Page], texts: Mapping[str, str]) -> Figure:
    spans = [s for p in pages for s in p.spans if s.section in SENTENCE_SECTIONS and s.article_id in texts]
    bad = [s for s in spans if is_fragment(texts[s.article_id], s)]
    return Figure(
        "fragments",
        "section sentences cut mid-sentence",
        len(bad),
        len(spans),
        "≤ 0.5%",
        _examples(f"{s.section}: {_clip(s.text)!r}" for s in bad),
    )


def off_event_perspectives(pages: Sequence[Page], gold: Gold) -> Figure:
    sentences = (
        (gold.of_story.get(p.story_id), gold.of_article.get(s.article_id), _clip(s.text))
        for p in pages
        for s in p.spans
        if s.section == "perspectives"
    )
    return _against_gold(
        "off_event_perspectives",
        "What the papers say sentences about another event",
        "≤ 1%",
        sentences,
        operator.ne,
    )


def headlines(pages: Sequence[Page], texts: Mapping[str, str], outlet_names: Iterable[str]) -> Figure:
    names = list(outlet_names)
    bad = [(p, problems) for p in pages if (problems := headline_problems(p, texts, names))]
    return Figure(
        "bad_headlines",
        "headlines that are a lede sentence, over 110 characters or carry site cruft",
        len(bad),
        len(pages),
        "",
        _examples(f"{_clip(p.headline)!r} ({', '.join(why)})" for p, why in bad),
    )


def provenance(pages: Sequence[Page], texts: Mapping[str, str]) -> Figure:
    spans = [s for p in pages for s in p.spans]
    bad = [s for s in spans if s.article_id not in texts or texts[s.article_id][s.start : s.end] != s.text]
    return Figure(
        "provenance",
        "cited spans verbatim at their article span",
        len(spans) - len(bad),
        len(spans),
        "100%",
        _examples(f"{s.section}: {_clip(s.text)!r}" for s in bad),
    )


def single_article(pages: Sequence[Page]) -> Figure:
    return Figure("single_article", "single-article stories", sum(p.article_count == 1 for p in pages), len(pages))


def no_summary(pages: Sequence[Page]) -> Figure:
    empty = [p for p in pages if not p.summary]
    return Figure(
        "no_summary",
        "pages with no What's happened sentence",
        len(empty),
        len(pages),
        "",
        _examples(_clip(p.headline) for p in empty),
    )


def restatements(pages: Sequence[Page]) -> Figure:
    eligible = [p for p in pages if len(p.summary) >= 2]
    pairs = restated_pairs([p.summary for p in eligible])
    hit = [(p, found) for p, found in zip(eligible, pairs, strict=True) if found]
    return Figure(
        "restatements",
        f"stories whose What's happened restates itself (tf-idf cosine > {RESTATEMENT})",
        len(hit),
        len(eligible),
        "",
        _examples(
            f"{_clip(p.summary[i], 60)!r} ~ {_clip(p.summary[j], 60)!r}" for p, found in hit for i, j, _ in found[:1]
        ),
    )


def figures(
    pages: Sequence[Page], texts: Mapping[str, str], outlet_names: Iterable[str], gold: Gold | None = None
) -> list[Figure]:
    """Every editorial figure of the pages (given in front-page order); the gold-based ones only with gold."""
    out = [front_page(pages), templated(pages)]
    if gold is not None:
        out.append(same_event_links(pages, gold))
    out += [described_cards(pages), junk(pages, texts), fragments(pages, texts)]
    if gold is not None:
        out.append(off_event_perspectives(pages, gold))
    out += [
        headlines(pages, texts, outlet_names),
        provenance(pages, texts),
        single_article(pages),
        no_summary(pages),
        restatements(pages),
    ]
    return out
