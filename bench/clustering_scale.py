"""Benchmark: online clustering cost per 1,000 articles with 10k vs 100k articles already indexed, and memory.

The history is synthetic and made here: stories of a few articles each, 1,000 articles per event-time day (so
10k and 100k differ in history length, not in how many stories are active), written straight into a SQLite
warehouse. Then 1,000 new articles (new events and follow-ups of recent ones) go through the real ClusterStage.
Prints seconds per 1,000 articles, peak traced memory and the ratios 100k/10k; no asserts.

usage: python bench/clustering_scale.py [--small 10000] [--large 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from storyline.adapters.warehouse import SqlWarehouse
from storyline.adapters.warehouse.tables import ArticleRow, StoryArticleRow, StoryRow, TermFrequencyRow
from storyline.domain.clustering import ClusterParams
from storyline.events import ArticleBody, ArticleDeduplicated
from storyline.services.stages import ClusterStage

PER_DAY = 1000
PER_STORY = 5
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Corpus:
    """Zipf background vocabulary plus per-event words and names: articles of one event share them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocab = [f"w{i}" for i in range(30000)]
        self.weights = [1.0 / (i + 1) for i in range(len(self.vocab))]

    def event(self) -> dict[str, list[str]]:
        r = self.rng
        return {
            "words": [f"ev{r.randrange(10**9)}" for _ in range(8)] + r.sample(self.vocab[200:5000], 6),
            "names": [f"Name{r.randrange(10**9)} Person{r.randrange(10**9)}" for _ in range(2)],
        }

    def article(self, ev: dict[str, list[str]]) -> tuple[str, str]:
        r = self.rng
        title = " ".join(r.sample(ev["words"], 4) + r.choices(self.vocab, self.weights, k=3))
        sentences = []
        for _ in range(12):
            words = r.sample(ev["words"], 3) + r.choices(self.vocab, self.weights, k=9)
            sentences.append(f"{r.choice(ev['names'])} said " + " ".join(words) + ".")
        return title, " ".join(sentences)


def preload(wh: SqlWarehouse, corpus: Corpus, n_articles: int) -> tuple[datetime, list[dict[str, list[str]]]]:
    """Write a history of n_articles (as stories with their clustering state) ending at the returned time."""
    days = n_articles // PER_DAY
    stories: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    recent: list[dict[str, list[str]]] = []
    df: dict[str, int] = {}
    for s in range(n_articles // PER_STORY):
        ev = corpus.event()
        first = T0 + timedelta(days=days * s / (n_articles // PER_STORY))
        terms = {w: 1.0 / len(ev["words"]) * PER_STORY for w in ev["words"]}
        entities = {n.casefold(): 0.5 * PER_STORY for n in ev["names"]}
        title = dict.fromkeys(ev["words"][:4], 0.25 * PER_STORY)
        sid = f"st_{s:08d}"
        stories.append(
            {
                "story_id": sid,
                "state": {"terms": terms, "entities": entities, "title": title, "article_count": PER_STORY},
                "first_seen": first,
                "last_seen": first + timedelta(hours=12),
                "article_count": PER_STORY,
                "outlet_count": 0,
            }
        )
        links.extend(
            {"article_id": f"a_{s:08d}_{i}", "story_id": sid, "score": 1.0, "is_seed": i == 0} for i in range(PER_STORY)
        )
        for w in ev["words"]:
            df[w] = df.get(w, 0) + PER_STORY
        if first > T0 + timedelta(days=days - 2):
            recent.append(ev)
    # Background words appear in as many past articles as the Zipf draws make likely (common words: low IDF).
    total = sum(corpus.weights)
    draws = 12 * 9 + 3
    for word, weight in zip(corpus.vocab, corpus.weights, strict=True):
        df[word] = max(1, round(n_articles * (1 - (1 - weight / total) ** draws)))
    df[""] = n_articles
    # The members' article rows (the warehouse's foreign keys want them; clustering never reads them back).
    articles = [
        {
            "article_id": m["article_id"],
            "canonical_url": f"https://history.example/{m['article_id']}",
            "url": f"https://history.example/{m['article_id']}",
            "source_id": "history",
            "source_name": "History",
            "title": "",
            "text": "",
            "authors": [],
            "published_at": T0,
            "fetched_at": T0,
            "content_hash": m["article_id"],
            "raw_object_key": "raw/history",
            "paywalled": False,
        }
        for m in links
    ]
    with wh.session() as session, session.begin():
        session.execute(ArticleRow.__table__.insert(), articles)
        session.execute(StoryRow.__table__.insert(), stories)
        session.execute(StoryArticleRow.__table__.insert(), links)
        session.execute(TermFrequencyRow.__table__.insert(), [{"term": k, "df": v} for k, v in df.items()])
    return T0 + timedelta(days=days), recent


def _events(corpus: Corpus, end: datetime, recent: list[dict[str, list[str]]]) -> list[ArticleDeduplicated]:
    """1,000 new articles over one more event-time day: new events, and follow-ups of recent ones."""
    new_events = [corpus.event() for _ in range(150)]
    events = []
    for i in range(1000):
        ev = corpus.rng.choice(recent) if i % 4 == 0 else new_events[i % len(new_events)]
        title, text = corpus.article(ev)
        at = end + timedelta(seconds=i * 86.4)
        body = ArticleBody(
            article_id=f"new_{i:05d}",
            url=f"https://bench.example/{i}",
            canonical_url=f"https://bench.example/{i}",
            source_id=f"outlet{i % 40}",
            source_name="Bench",
            title=title,
            text=text,
            published_at=at,
            fetched_at=at,
            content_hash=f"{i:032x}",
            raw_object_key=f"raw/{i}",
        )
        events.append(ArticleDeduplicated(event_time=at, article=body, verdict="new"))
    return events


def _run(db: Path, events: list[ArticleDeduplicated], trace: bool) -> tuple[float, float, int, int]:
    wh = SqlWarehouse(f"sqlite:///{db}")
    stage = ClusterStage(wh, ClusterParams())
    wh.upsert_articles([(e.article, None) for e in events])  # stored before clustering, as every run does; untimed
    if trace:
        tracemalloc.start()
    # The first article loads the active stories and document frequencies (once per worker start).
    started = time.perf_counter()
    stage.handle_batch([(events[0], None)])
    load = time.perf_counter() - started
    started = time.perf_counter()
    for event in events[1:]:
        stage.handle_batch([(event, None)])
    stage.flush()
    seconds = (time.perf_counter() - started) * 1000 / (len(events) - 1)
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    active = len(stage.index)
    wh.engine.dispose()
    return seconds, load, peak, active


def measure(n_history: int, seed: int) -> tuple[float, float, int, int]:
    """Time on one copy of the preloaded warehouse without memory tracing (tracing slows allocation-heavy code
    unevenly), peak memory on a second copy with it."""
    corpus = Corpus(seed)
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp) / "time.db", Path(tmp) / "memory.db"
        wh = SqlWarehouse(f"sqlite:///{first}")
        wh.upgrade()
        end, recent = preload(wh, corpus, n_history)
        wh.engine.dispose()
        shutil.copyfile(first, second)
        events = _events(corpus, end, recent)
        seconds, load, _, active = _run(first, events, trace=False)
        _, _, peak, _ = _run(second, events, trace=True)
    return seconds, load, peak, active


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--large", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    s_small, l_small, m_small, a_small = measure(args.small, args.seed)
    s_large, l_large, m_large, a_large = measure(args.large, args.seed)
    head = ("history", "s / 1k articles", "first-article load s", "peak MiB", "stories in memory")
    print(f"{head[0]:>10} {head[1]:>16} {head[2]:>21} {head[3]:>9} {head[4]:>18}")
    for n, sec, load, mem, act in (
        (args.small, s_small, l_small, m_small, a_small),
        (args.large, s_large, l_large, m_large, a_large),
    ):
        print(f"{n:>10,} {sec:>16.2f} {load:>21.2f} {mem / 2**20:>9.1f} {act:>18,}")
    print(f"ratio time per 1k articles {args.large // 1000}k/{args.small // 1000}k: {s_large / s_small:.2f}")
    print(f"ratio peak memory {args.large // 1000}k/{args.small // 1000}k: {m_large / m_small:.2f}")


if __name__ == "__main__":
    main()
