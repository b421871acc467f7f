"""Scores against gold labels: BCubed for stories, pair precision/recall for duplicates, token F1 for text."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from storyline.domain.text import words


@dataclass(frozen=True)
class GoldArticle:
    url: str
    story: str
    duplicate_of: str | None
    near_copies: frozenset[str]
    corpus: str
    title: str
    text: str


@dataclass(frozen=True)
class Predicted:
    url: str
    story_id: str | None
    duplicate_of: str | None
    text: str | None


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float
    n: int


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def bcubed(gold: Mapping[str, str], predicted: Mapping[str, str | None]) -> PRF:
    """BCubed over the gold articles; an article missing from the output is a story of its own."""
    urls = sorted(gold)
    if not urls:
        return PRF(0.0, 0.0, 0.0, 0)
    pred = {u: predicted.get(u) or f"__missing__:{u}" for u in urls}
    by_pred: dict[str, list[str]] = defaultdict(list)
    by_gold: dict[str, list[str]] = defaultdict(list)
    for u in urls:
        by_pred[pred[u]].append(u)
        by_gold[gold[u]].append(u)
    p_sum = r_sum = 0.0
    for u in urls:
        same_pred = by_pred[pred[u]]
        same_gold = by_gold[gold[u]]
        both = sum(1 for v in same_pred if gold[v] == gold[u])
        p_sum += both / len(same_pred)
        r_sum += both / len(same_gold)
    p, r = p_sum / len(urls), r_sum / len(urls)
    return PRF(p, r, _f1(p, r), len(urls))


def duplicate_scores(gold: Sequence[GoldArticle], predicted: Mapping[str, Predicted]) -> PRF:
    """Pairs (copy, original): right when both share the same earliest copy in gold; near copies are ignored."""
    by_url = {g.url: g for g in gold}

    def root(url: str) -> str:
        g = by_url.get(url)
        return g.duplicate_of if g is not None and g.duplicate_of else url

    def ignored(a: str, b: str) -> bool:
        ga, gb = by_url.get(a), by_url.get(b)
        return bool((ga and b in ga.near_copies) or (gb and a in gb.near_copies))

    pred_pairs = [
        (u, p.duplicate_of)
        for u, p in predicted.items()
        if u in by_url and p.duplicate_of and p.duplicate_of in by_url and not ignored(u, p.duplicate_of)
    ]
    correct_pred = sum(1 for a, b in pred_pairs if root(a) == root(b))
    gold_pairs = [(g.url, g.duplicate_of) for g in gold if g.duplicate_of]
    found = 0
    for a, _orig in gold_pairs:
        p = predicted.get(a)
        if p is not None and p.duplicate_of and root(p.duplicate_of) == root(a):
            found += 1
    precision = correct_pred / len(pred_pairs) if pred_pairs else 1.0
    recall = found / len(gold_pairs) if gold_pairs else 1.0
    return PRF(precision, recall, _f1(precision, recall), len(gold_pairs))


def token_f1(reference: str, candidate: str) -> float:
    ref = Counter(w.casefold() for w in words(reference))
    cand = Counter(w.casefold() for w in words(candidate))
    if not ref or not cand:
        return 0.0
    overlap = sum((ref & cand).values())
    return _f1(overlap / sum(cand.values()), overlap / sum(ref.values()))


@dataclass(frozen=True)
class Report:
    part: str
    articles: int
    found: int
    stories: PRF
    duplicates: PRF
    extraction_f1: float  # mean over extracted articles
    extraction_f1_all: float  # missing articles count as 0


def evaluate(gold: Sequence[GoldArticle], predicted: Mapping[str, Predicted]) -> list[Report]:
    """Scores overall and per corpus part (the first report is 'all')."""
    parts: dict[str, list[GoldArticle]] = {"all": list(gold)}
    for g in gold:
        parts.setdefault(g.corpus, []).append(g)
    reports: list[Report] = []
    for part, rows in parts.items():
        story_gold = {g.url: g.story for g in rows}
        story_pred = {u: p.story_id for u, p in predicted.items() if u in story_gold}
        f1s = [
            token_f1(g.text, predicted[g.url].text or "") for g in rows if g.url in predicted and predicted[g.url].text
        ]
        found = sum(1 for g in rows if g.url in predicted)
        reports.append(
            Report(
                part=part,
                articles=len(rows),
                found=found,
                stories=bcubed(story_gold, story_pred),
                duplicates=duplicate_scores(rows, {u: p for u, p in predicted.items() if u in story_gold}),
                extraction_f1=sum(f1s) / len(f1s) if f1s else 0.0,
                extraction_f1_all=sum(f1s) / len(rows) if rows else 0.0,
            )
        )
    return reports


def _confusions(
    groups: Mapping[object, Sequence[GoldArticle]], label: Callable[[GoldArticle], object]
) -> list[tuple[int, str, str]]:
    """For each group holding several labels: (articles outside its main label, a title of each of the top two)."""
    found: list[tuple[int, str, str]] = []
    for members in groups.values():
        counts = Counter(label(m) for m in members)
        if len(counts) < 2:
            continue
        (first, n_first), (second, _) = counts.most_common(2)
        title_a = next(m.title for m in members if label(m) == first)
        title_b = next(m.title for m in members if label(m) == second)
        found.append((len(members) - n_first, title_a, title_b))
    return sorted(found, reverse=True)


def worst_errors(
    gold: Sequence[GoldArticle], predicted: Mapping[str, Predicted], limit: int = 5
) -> dict[str, list[tuple[str, str]]]:
    """Worst merges (one predicted story holding several gold stories) and splits, as title pairs to read."""

    def story_of(g: GoldArticle) -> object:
        p = predicted.get(g.url)
        return p.story_id if p is not None else None

    pred_groups: dict[object, list[GoldArticle]] = defaultdict(list)
    gold_groups: dict[object, list[GoldArticle]] = defaultdict(list)
    for g in gold:
        if story_of(g) is not None:
            pred_groups[story_of(g)].append(g)
        gold_groups[g.story].append(g)
    merges = _confusions(pred_groups, lambda g: g.story)
    splits = _confusions(gold_groups, story_of)
    return {
        "merges": [(a, b) for _, a, b in merges[:limit]],
        "splits": [(a, b) for _, a, b in splits[:limit]],
    }
