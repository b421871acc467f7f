"""Clustering parameters on a small grid, chosen by cross-validation across corpus parts (not on the answers).

Replays the extracted, deduplicated articles of a finished run (`storyline run` over ../shared/data/replay-dev)
through the real ClusterStage once per grid point, each into a fresh SQLite warehouse, in event-time order, and
scores BCubed F1 per corpus part. Then, for each part, it picks the grid point that is best on the *other*
parts and reports how that choice does on the held-out part: the honest number for data nobody tuned on.

usage: python bench/cluster_grid.py --data-dir /tmp/replay --base http://127.0.0.1:8765
       [--gold ../shared/data/replay-dev/gold/articles.jsonl]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from storyline.adapters.sql import SqlWarehouse
from storyline.adapters.tables import ArticleRow
from storyline.domain.clustering import ClusterParams
from storyline.domain.evaluation import GoldArticle
from storyline.events import ArticleBody, ArticleDeduplicated
from storyline.services.evaluation import parse_gold, run_eval
from storyline.services.stages import ClusterStage

ROOT = Path(__file__).resolve().parents[1]
THRESHOLDS = (0.12, 0.15, 0.18)
# How many of a story's typical inter-article gaps halve the rhythm decay (ClusterParams.rhythm_half_life).
RHYTHM_HALF_LIVES = (2.0, 3.0, 4.0)


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


def score(
    events: list[ArticleDeduplicated], params: ClusterParams, gold: list[GoldArticle], tmp: Path
) -> dict[str, float]:
    wh = SqlWarehouse(f"sqlite:///{tmp / f'grid-{params.threshold}-{params.rhythm_half_life}.db'}")
    wh.upgrade()
    stage = ClusterStage(wh, params)
    for ev in events:
        wh.upsert_article(ev.article)
        stage.handle(ev)
    stage.flush()
    reports, _ = run_eval(gold, wh.assignments(), {})
    wh.engine.dispose()
    return {r.part: r.stories.f1 for r in reports}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="STORYLINE_DATA_DIR of a finished replay run")
    ap.add_argument("--base", required=True, help="base URL the corpus was served at during that run")
    ap.add_argument("--gold", type=Path, default=ROOT.parent / "shared/data/replay-dev/gold/articles.jsonl")
    args = ap.parse_args()
    source = SqlWarehouse(f"sqlite:///{args.data_dir / 'storyline.db'}")
    events = deduplicated(source)
    gold = parse_gold(args.gold.read_text("utf-8"), args.base, str(args.gold))
    results: dict[tuple[float, float], dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for thr, half in itertools.product(THRESHOLDS, RHYTHM_HALF_LIVES):
            params = replace(ClusterParams(), threshold=thr, rhythm_half_life=half)
            results[(thr, half)] = score(events, params, gold, Path(tmp))
    parts = sorted({p for r in results.values() for p in r if p != "all"})
    print(f"{'threshold':>9} {'rhythm_hl':>10} " + " ".join(f"{p:>8}" for p in ["all", *parts]))
    for (thr, half), r in results.items():
        print(f"{thr:>9.2f} {half:>10.1f} " + " ".join(f"{r.get(p, 0):>8.3f}" for p in ["all", *parts]))
    print("leave one part out (chosen on the other parts, scored on the held-out one):")
    for held in parts:
        others = [p for p in parts if p != held]
        chosen = max(results, key=lambda k: (sum(results[k][p] for p in others), -k[0], k[1]))
        got = results[chosen][held]
        print(f"  {held:>8}: chose threshold {chosen[0]:.2f}, rhythm half-life {chosen[1]:.1f} -> {got:.3f}")


if __name__ == "__main__":
    main()
