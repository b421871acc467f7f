"""How many of a run's *How we got here* / *Go deeper* links point at a story of the same gold event (a split).

usage: python bench/own_event_links.py --data-dir /tmp/replay --base http://127.0.0.1:8765
       [--gold ../shared/data/replay-dev/gold/articles.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOTS = "SELECT story_id, coalesce(merged_into, story_id) FROM stories"
MEMBERS = (
    "SELECT a.url, coalesce(s.merged_into, s.story_id) FROM articles a "
    "JOIN story_articles sa ON sa.article_id = a.article_id JOIN stories s ON s.story_id = sa.story_id"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="STORYLINE_DATA_DIR of a finished replay run")
    ap.add_argument("--base", required=True, help="base URL the corpus was served at during that run")
    ap.add_argument("--gold", type=Path, default=ROOT.parent / "shared/data/replay-dev/gold/articles.jsonl")
    args = ap.parse_args()
    gold = {}
    for line in args.gold.read_text("utf-8").splitlines():
        row = json.loads(line.replace("{{BASE}}", args.base.rstrip("/")))
        gold[row["url"]] = row["story"]
    con = sqlite3.connect(args.data_dir / "storyline.db")
    root = dict(con.execute(ROOTS).fetchall())
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for url, story in con.execute(MEMBERS):
        if url in gold:
            labels[story][gold[url]] += 1
    event = {story: c.most_common(1)[0][0] for story, c in labels.items()}  # a story's majority gold event
    counts: Counter[tuple[str, bool]] = Counter()
    for story, other, kind in con.execute("SELECT story_id, other_id, kind FROM story_links"):
        a, b = root.get(story, story), root.get(other, other)
        if a in event and b in event and a != b:
            counts[(kind, event[a] == event[b])] += 1
    total = sum(counts.values())
    same = sum(n for (_, is_same), n in counts.items() if is_same)
    print(f"links {total}; to the story's own event {same} ({same / max(total, 1):.1%})")
    for (kind, is_same), n in sorted(counts.items()):
        print(f"  {kind:>10} {'same event' if is_same else 'other event':>12}: {n}")


if __name__ == "__main__":
    main()
