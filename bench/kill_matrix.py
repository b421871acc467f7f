"""kill -9 matrix: `storyline run` killed during crawl, analysis, clustering and enrichment, then run again.

Prints, per kill point, the stories and articles of the re-run next to an uninterrupted run's, whether story
membership is identical, and how many of the killed run's child processes outlived it. The sources must be served
already, e.g. `python3 ../shared/tools/serve_replay.py ../shared/data/replay-dev --port 8765`; SQLite warehouses
by default, or PostgreSQL with --database-url (its public schema is dropped before each run).

    .venv/bin/python bench/kill_matrix.py --sources http://127.0.0.1:8765/sources.json --work /tmp/kill-matrix
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import create_engine, text

STORYLINE = str(Path(sys.executable).with_name("storyline"))

# When to kill: the run's warehouse (and raw archive) show it is inside that phase.
POINTS: dict[str, str] = {
    "crawl": "raw pages archived >= 150, articles stored < 300",
    "analysis": "articles stored >= 300, none with a story",
    "clustering": "articles with a story >= 250",
    "enrichment": "every article has a story, no story has a headline",
}


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)
    except Exception:  # noqa: BLE001 - the tables may not exist yet
        return 0
    finally:
        engine.dispose()


def _inside(point: str, url: str, raw: Path) -> bool:
    articles = _count(url, "SELECT count(*) FROM articles")
    members = _count(url, "SELECT count(*) FROM story_articles")
    if point == "crawl":
        return sum(1 for p in raw.rglob("*") if p.is_file()) >= 150 and articles < 300
    if point == "analysis":
        return articles >= 300 and members == 0
    if point == "clustering":
        return members >= 250
    return (
        articles > 0
        and members >= articles - 1
        and _count(url, "SELECT count(*) FROM stories") > 0
        and (_count(url, "SELECT count(*) FROM stories WHERE headline IS NOT NULL") == 0)
    )


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def _run(env: dict[str, str], sources: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STORYLINE, "run", "--sources", sources], check=False, env=env, capture_output=True, text=True
    )


def _tables(url: str) -> tuple[set[frozenset[str]], int, int, int]:
    """Story membership (as a partition of article URLs), stories, articles, stories with a headline."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT a.url, m.story_id FROM articles a JOIN story_articles m ON m.article_id = a.article_id")
        ).all()
        stories = int(conn.execute(text("SELECT count(DISTINCT story_id) FROM story_articles")).scalar() or 0)
        articles = int(conn.execute(text("SELECT count(*) FROM articles")).scalar() or 0)
        headed = int(conn.execute(text("SELECT count(*) FROM stories WHERE headline IS NOT NULL")).scalar() or 0)
    engine.dispose()
    groups: dict[str, set[str]] = defaultdict(set)
    for u, sid in rows:
        groups[sid].add(u)
    return {frozenset(g) for g in groups.values()}, stories, articles, headed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sources", required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--database-url", help="PostgreSQL URL (default: SQLite under --work)")
    ap.add_argument("--points", default=",".join(POINTS))
    args = ap.parse_args()

    def fresh(name: str) -> tuple[dict[str, str], str, Path]:
        data = args.work / name
        shutil.rmtree(data, ignore_errors=True)
        url = args.database_url or f"sqlite:///{data / 'storyline.db'}"
        if args.database_url:
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        env = {**os.environ, "STORYLINE_DATA_DIR": str(data), "STORYLINE_DATABASE_URL": url}
        env.setdefault("STORYLINE_ALLOW_PRIVATE_ADDRESSES", "true")
        env.setdefault("STORYLINE_MIN_HOST_DELAY_S", "0")
        return env, url, data / "raw"

    env, url, _ = fresh("clean")
    _run(env, args.sources)
    clean = _tables(url)
    print(f"clean run: {clean[1]} stories, {clean[2]} articles, {clean[3]} with a headline")
    print("| killed during | when | re-run stories | articles | with a headline | same membership | children left |")
    print("|---|---|---|---|---|---|---|")
    for point in args.points.split(","):
        env, url, raw = fresh(point)
        proc = subprocess.Popen(
            [STORYLINE, "run", "--sources", args.sources], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while proc.poll() is None and not _inside(point, url, raw):
            time.sleep(0.05)
        if proc.poll() is not None:
            print(f"| {point} | the run ended before the kill point | | | | | |")
            continue
        children = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(2)
        left = sum(1 for c in children if _alive(c))
        killed = _tables(url)
        _run(env, args.sources)
        after = _tables(url)
        print(
            f"| {point} | {POINTS[point]} (then: {killed[1]} stories, {killed[2]} articles, {killed[3]} headed) | "
            f"{after[1]} | {after[2]} | {after[3]} | {after[0] == clean[0]} | {left} of {len(children)} |"
        )


if __name__ == "__main__":
    main()
