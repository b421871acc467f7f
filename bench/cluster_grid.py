"""Clustering evidence on a grid, chosen by cross-validation (never on the data it is scored on), with the spread.

Replays the extracted, deduplicated articles of a finished run (`storyline run` over ../shared/data/replay-dev)
through the real ClusterStage (live consolidation included) once per grid point, each into a fresh SQLite
warehouse, in event-time order, then runs the consolidation pass, as `storyline run` + `storyline consolidate`
do. Grid: how many lead passages two stories must share (`ConsolidationParams.min_shared_passages`, "off" = the
evidence unused) x the longest gap it may bridge. Two honest estimates (ADR 0015):

- leave one corpus part out: choose on the other parts, score the held-out part;
- topic folds inside replay-dev: ECB+ topics (each a pair of similar events, kept in one fold) and BASIL events
  dealt round-robin into folds; choose on the other folds, score the held-out fold. Mean, min and max reported.

usage: python bench/cluster_grid.py --data-dir /tmp/replay --base http://127.0.0.1:8765
       [--gold ../shared/data/replay-dev/gold/articles.jsonl] [--folds 4]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from storyline.adapters.warehouse import SqlWarehouse
from storyline.adapters.warehouse.tables import ArticleRow
from storyline.domain.consolidation import ConsolidationParams
from storyline.domain.evaluation import GoldArticle, bcubed
from storyline.events import ArticleBody, ArticleDeduplicated
from storyline.services.evaluation import parse_gold
from storyline.services.maintenance import plan_consolidation
from storyline.services.stages import ClusterStage

ROOT = Path(__file__).resolve().parents[1]
OFF = 10**9
SHARED_PASSAGES = (5, 9, 12, 15, 20, 25, 30, OFF)
GAP_DAYS = (7, 14, 21)
BATCH = 64  # articles per cluster batch, as an embedded run's chunks

Point = tuple[int, int]


def deduplicated(source: SqlWarehouse) -> list[ArticleDeduplicated]:
    """The run's articles with their dedup verdicts, in the order the cluster stage sees them."""
    with source.session() as s:
        rows = list(s.scalars(select(ArticleRow).order_by(ArticleRow.published_at, ArticleRow.article_id)))
        events = []
        for r in rows:
            body = ArticleBody.model_validate(r, from_attributes=True)
            verdict = "duplicate" if r.duplicate_of else "revision" if r.revision_of else "new"
            events.append(
                ArticleDeduplicated(
                    event_time=r.published_at,
                    article=body,
                    verdict=verdict,
                    duplicate_of=r.duplicate_of,
                    revision_of=r.revision_of,
                )
            )
    return events


def assign(events: list[ArticleDeduplicated], params: ConsolidationParams, db: Path) -> dict[str, str | None]:
    """Story (after merges) by article URL, from the cluster stage and the consolidation pass."""
    wh = SqlWarehouse(f"sqlite:///{db}")
    wh.upgrade()
    stage = ClusterStage(wh, consolidation=params)
    for i in range(0, len(events), BATCH):
        chunk = events[i : i + BATCH]
        wh.upsert_articles([(e.article, None) for e in chunk])
        stage.handle_batch([(e, None) for e in chunk])
    _, merges = plan_consolidation(wh, None, params)
    wh.record_merges(merges, datetime.now(UTC))
    out = {a["url"]: a["story_id"] for a in wh.assignments()}
    wh.engine.dispose()
    return out


def folds_of(gold: list[GoldArticle], k: int) -> dict[str, int]:
    """Fold by gold story: an ECB+ topic's two events share a fold; other stories are dealt round-robin."""
    groups = sorted({g.story.split("_")[0] if g.corpus == "ecbplus" else g.story for g in gold})
    fold_of_group = {grp: n % k for n, grp in enumerate(groups)}
    return {g.story: fold_of_group[g.story.split("_")[0] if g.corpus == "ecbplus" else g.story] for g in gold}


def f1(gold: list[GoldArticle], pred: Mapping[str, str | None], keep: set[str]) -> float:
    return bcubed({g.url: g.story for g in gold if g.url in keep}, pred).f1


def choose(results: Mapping[Point, Mapping[str, str | None]], score_on: set[str], gold: list[GoldArticle]) -> Point:
    """The best point on `score_on`; among ties (a plateau), the middle one, so the choice sits away from both of
    the plateau's edges rather than on whichever the tie rule favours."""
    scored = {p: round(f1(gold, results[p], score_on), 4) for p in results}
    best = max(scored.values())
    tied = sorted(p for p, v in scored.items() if v == best)
    return tied[(len(tied) - 1) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="STORYLINE_DATA_DIR of a finished replay run")
    ap.add_argument("--base", required=True, help="base URL the corpus was served at during that run")
    ap.add_argument("--gold", type=Path, default=ROOT.parent / "shared/data/replay-dev/gold/articles.jsonl")
    ap.add_argument("--folds", type=int, default=4)
    args = ap.parse_args()
    events = deduplicated(SqlWarehouse(f"sqlite:///{args.data_dir / 'storyline.db'}"))
    gold = parse_gold(args.gold.read_text("utf-8"), args.base, str(args.gold))
    results: dict[Point, dict[str, str | None]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k, days in itertools.product(SHARED_PASSAGES, GAP_DAYS):
            if k == OFF and days != GAP_DAYS[0]:
                continue
            params = replace(ConsolidationParams(), min_shared_passages=k, passage_max_gap=timedelta(days=days))
            results[(k, days)] = assign(events, params, Path(tmp) / f"grid-{k}-{days}.db")
    parts = sorted({g.corpus for g in gold})
    urls = {p: {g.url for g in gold if g.corpus == p} for p in parts}
    every = {g.url for g in gold}
    print(f"{'passages':>9} {'gap_d':>6} {'all':>7} " + " ".join(f"{p:>8}" for p in parts))
    for (k, days), pred in results.items():
        row = " ".join(f"{f1(gold, pred, urls[p]):>8.3f}" for p in parts)
        print(f"{'off' if k == OFF else k:>9} {days:>6} {f1(gold, pred, every):>7.3f} {row}")
    print("leave one part out (chosen on the other parts, scored on the held-out one):")
    for held in parts:
        chosen = choose(results, every - urls[held], gold)
        print(f"  {held:>8}: chose {chosen} -> {f1(gold, results[chosen], urls[held]):.3f}")
    fold = folds_of(gold, args.folds)
    by_fold = {n: {g.url for g in gold if fold[g.story] == n and g.corpus != "fundus"} for n in range(args.folds)}
    for part in ("ecbplus", None):
        scores = []
        for n in range(args.folds):
            inside = by_fold[n] & urls[part] if part else by_fold[n]
            chosen = choose(results, set().union(*(by_fold[m] for m in by_fold if m != n)), gold)
            scores.append(f1(gold, results[chosen], inside))
            off = f1(gold, results[(OFF, GAP_DAYS[0])], inside)
            print(
                f"  fold {n} ({part or 'ecbplus+basil'}): chose {chosen} -> {scores[-1]:.3f} (evidence off: {off:.3f})"
            )
        print(
            f"topic folds, {part or 'ecbplus+basil'}: mean {statistics.mean(scores):.3f}, "
            f"min {min(scores):.3f}, max {max(scores):.3f}"
        )


if __name__ == "__main__":
    main()
