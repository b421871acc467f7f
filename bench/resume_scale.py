"""Benchmark: what an embedded run's start costs as the warehouse grows: the two statements that look for what a
crashed run left (`unstored_pages`, `unfinished_articles`, ADR 0013), at 10⁵ and 10⁶ stored articles.

The warehouse is synthetic and made here, straight into SQLite: every article clustered but 100, a fetch-log row
per page. Prints each statement's seconds and the ratios large/small (1 would be a cost bound by what a crash
left; 10 is linear in the warehouse); no asserts.

usage: python bench/resume_scale.py [--small 100000] [--large 1000000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from storyline.adapters.warehouse import SqlWarehouse

LEFT_UNCLUSTERED = 100
AT = "2026-01-01 00:00:00.000000"


def build(path: Path, n: int) -> str:
    url = f"sqlite:///{path}"
    warehouse = SqlWarehouse(url)
    warehouse.upgrade()
    warehouse.engine.dispose()
    con = sqlite3.connect(path)  # foreign keys off: rows written in bulk, parents first anyway
    con.executemany(
        "INSERT INTO articles (article_id, canonical_url, url, source_id, source_name, title, text, authors,"
        " published_at, fetched_at, content_hash, raw_object_key, paywalled, verdict)"
        " VALUES (?, ?, ?, 's', 'S', 't', 'x', '[]', ?, ?, ?, ?, 0, 'new')",
        (
            (
                f"a{i:09d}",
                f"http://x/{i}",
                f"http://x/{i}",
                f"2026-01-01 00:{i % 60:02d}:00.000000",
                AT,
                f"h{i}",
                f"raw/{i}",
            )
            for i in range(n)
        ),
    )
    con.executemany(
        "INSERT INTO stories (story_id, state, first_seen, last_seen, article_count, outlet_count, sections_pending)"
        " VALUES (?, '{}', ?, ?, 4, 1, 0)",
        ((f"st{i}", AT, AT) for i in range(0, n, 4)),
    )
    con.executemany(
        "INSERT INTO story_articles (article_id, story_id, score, is_seed) VALUES (?, ?, 1.0, 0)",
        ((f"a{i:09d}", f"st{i - i % 4}") for i in range(n - LEFT_UNCLUSTERED)),
    )
    con.executemany(
        "INSERT INTO fetches (url, source_id, kind, outcome, reason, object_key, at)"
        " VALUES (?, 's', 'page', 'fetched', '', ?, ?)",
        ((f"http://x/{i}", f"raw/{i}", AT) for i in range(n)),
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return url


def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = SqlWarehouse(build(Path(tmp) / "warehouse.db", n))
        seconds: dict[str, float] = {}
        for name in ("unstored_pages", "unfinished_articles"):
            t0 = time.perf_counter()
            found = getattr(warehouse, name)()
            seconds[name] = time.perf_counter() - t0
            print(f"  {n:>9,} articles  {name:<20} {seconds[name]:6.2f} s ({len(found)} found)")
        warehouse.engine.dispose()
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    small, large = measure(args.small), measure(args.large)
    for name in small:
        print(f"ratio {args.large:,}/{args.small:,} for {name}: {large[name] / small[name]:.1f}")


if __name__ == "__main__":
    main()
