"""Benchmark: streaming (Kafka workers) vs embedded throughput on the same corpus, and publication → story-visible
latency p50/p95 in streaming mode with the replay server's virtual clock (--speedup). Prints numbers; no asserts.

usage: python bench/streaming_vs_embedded.py [--bootstrap 127.0.0.1:19092] [--rounds 3] [--speedup 20000]
Needs a broker (infra/kafka/broker.sh start) and ../shared/data/replay-dev. Recreates Storyline's topics.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import yaml
from kafka import KafkaAdminClient
from sqlalchemy import text

from storyline.adapters.kafka import group_lag, recreate_topics, wait_until_drained
from storyline.adapters.warehouse import SqlWarehouse
from storyline.bootstrap import build, build_publisher
from storyline.domain.errors import TransientError
from storyline.events import STAGE_TOPICS
from storyline.settings import Settings
from storyline.sources.registry import parse_sources

ROOT = Path(__file__).resolve().parents[1]
GROUPS = {f"storyline-{stage}": topics[0] for stage, topics in STAGE_TOPICS.items()}


def serve(corpus: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    script = corpus.parent.parent / "tools" / "serve_replay.py"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(corpus), "--port", str(port), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/sources.json", timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("replay server did not start")


def settings_for(data: Path, bootstrap: str, **extra: object) -> tuple[Settings, dict[str, str]]:
    values: dict[str, object] = {
        "data_dir": data,
        "allow_private_addresses": True,
        "min_host_delay_s": 0.0,
        "kafka_bootstrap": bootstrap,
        "log_level": "ERROR",
        **extra,
    }
    env = {**os.environ, **{f"STORYLINE_{k.upper()}": str(v) for k, v in values.items()}}
    return Settings.model_validate(values), env


WARM_UP_S = 20.0
# As docker-compose.yml runs them: extraction (trafilatura + the entity recogniser) is the CPU-heavy stage.
INSTANCES = {"extract": 2}


def start_workers(env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "storyline.cli", "worker", stage],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for stage in STAGE_TOPICS
        for _ in range(INSTANCES.get(stage, 1))
    ]


def wait_for_groups(bootstrap: str, timeout_s: float = 300.0) -> float:
    """Wait until every stage's group is Stable with all its workers in it, as a running deployment's are: a
    worker that joins mid-run (six workers load their models at once on two cores, some slower than others)
    makes its group rebalance, and its partitions wait for the members busy with a poll to rejoin, which would
    time a start-up, not the throughput. Returns the seconds waited."""
    want = {f"storyline-{stage}": INSTANCES.get(stage, 1) for stage in STAGE_TOPICS}
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench-groups")
    t0 = time.perf_counter()
    try:
        while time.perf_counter() - t0 < timeout_s:
            groups = admin.describe_groups(list(want))
            if all(
                groups.get(g, {}).get("group_state") == "Stable" and len(groups[g].get("members") or []) == n
                for g, n in want.items()
            ):
                return time.perf_counter() - t0
            time.sleep(0.2)
    finally:
        admin.close()
    raise SystemExit(f"the workers' groups did not form within {timeout_s:.0f} s")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(timeout=60)


def crawl(settings: Settings, base: str, publish: bool) -> int:
    app = build(settings)
    sources = parse_sources(urllib.request.urlopen(f"{base}/sources.json").read().decode(), "sources.json")
    publisher = build_publisher(settings) if publish else None
    try:
        summary = app.pipeline.run(sources, publisher=publisher)
    finally:
        if publisher is not None:
            publisher.close()
        app.close()
    return summary.pages_fetched


class LagTrace:
    """Each stage's input lag, sampled every 0.5 s in a thread while the streaming run goes: which stage holds
    the run back, and when (the crawl's publishing, a stage that starts late, one that never catches up)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.rows: list[tuple[float, list[int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                lags = [group_lag(self.bootstrap, group, topic) for group, topic in GROUPS.items()]
            except TransientError:
                continue
            self.rows.append((time.perf_counter() - self._t0, lags))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def print(self) -> None:
        stages = [group.removeprefix("storyline-") for group in GROUPS]
        print("lag per stage (records waiting), by second of the streaming run:")
        print("     s " + " ".join(f"{s:>8}" for s in stages))
        for at, lags in self.rows:
            print(f"{at:6.1f} " + " ".join(f"{n:8d}" for n in lags))


def one_round(
    base: str, bootstrap: str, specs: list[dict[str, object]], trace: bool
) -> tuple[int, float, float, float, float, LagTrace | None]:
    """One embedded run, then one streaming run, of the same pages: (pages, embedded s, streaming s, the streaming
    run's crawl s, the workers' group-forming s, its lag trace)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings, _ = settings_for(Path(tmp) / "embedded", bootstrap)
        t0 = time.perf_counter()
        n = crawl(settings, base, publish=False)
        embedded_s = time.perf_counter() - t0
    recreate_topics(bootstrap, specs)
    with tempfile.TemporaryDirectory() as tmp:
        settings, env = settings_for(Path(tmp) / "streaming", bootstrap)
        build(settings).close()  # migrate before the workers start
        workers = start_workers(env)
        formed_s = wait_for_groups(bootstrap)
        lags = LagTrace(bootstrap) if trace else None
        t0 = time.perf_counter()
        if lags is not None:
            lags.start()
        crawl(settings, base, publish=True)
        crawled_s = time.perf_counter() - t0
        wait_until_drained(bootstrap, GROUPS, quiet_checks=2, interval_s=0.5, timeout_s=900)
        streaming_s = time.perf_counter() - t0 - 1.0  # minus the final quiet checks
        if lags is not None:
            lags.stop()
        stop(workers)
    return n, embedded_s, streaming_s, crawled_s, formed_s, lags


def throughput(corpus: Path, bootstrap: str, specs: list[dict[str, object]], rounds: int, trace: bool) -> None:
    # On a shared 2-core machine one run of either mode varies by ±15% (embedded alone: 16–21 s on replay-dev),
    # so one round's ratio says little; the rounds alternate the modes and the median is the figure.
    server = serve(corpus, 8791)
    ratios: list[float] = []
    try:
        for i in range(1, rounds + 1):
            n, embedded_s, streaming_s, crawled_s, formed_s, lags = one_round(
                "http://127.0.0.1:8791", bootstrap, specs, trace
            )
            ratios.append(embedded_s / streaming_s)
            print(f"round {i} of {rounds}")
            print(f"  embedded : {n / embedded_s:6.1f} articles/s ({embedded_s:.1f} s for {n} pages, every core)")
            print(f"  streaming: {n / streaming_s:6.1f} articles/s ({streaming_s:.1f} s, crawl + 5 workers)")
            print(f"  ratio streaming / embedded: {ratios[-1]:.2f}")
            print(f"  the streaming run's crawl (fetch, archive, publish) took {crawled_s:.1f} s of it")
            print(f"  (the workers' groups formed {formed_s:.1f} s after they started, before the run's clock)")
            if lags is not None:
                lags.print()
    finally:
        server.terminate()
    spread = f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)})" if rounds > 1 else ""
    print(f"ratio streaming / embedded, median of {rounds}: {statistics.median(ratios):.2f}{spread}")


def latency(corpus: Path, bootstrap: str, specs: list[dict[str, object]], speedup: float) -> None:
    # Replay one dense month of the ECB+ part, so the run takes minutes, not years of virtual time.
    start = datetime(2024, 8, 1, tzinfo=UTC)
    end = datetime(2024, 9, 1, tzinfo=UTC)
    server = serve(corpus, 8792, "--speedup", str(speedup), "--start", start.isoformat())
    t_start = time.time()
    base = "http://127.0.0.1:8792"
    recreate_topics(bootstrap, specs)
    seen: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings, env = settings_for(Path(tmp) / "latency", bootstrap, reorder_window_s=2.0)
        build(settings).close()
        workers = start_workers(env)
        wh = SqlWarehouse(settings.resolved_database_url())
        deadline = t_start + (end - start).total_seconds() / speedup + 60
        next_crawl = 0.0
        try:
            while time.time() < deadline:
                if time.time() >= next_crawl:
                    crawl(settings, base, publish=True)
                    next_crawl = time.time() + 2.0  # the crawl interval (a DAG would run every few minutes)
                with wh.engine.connect() as conn:
                    visible = conn.execute(text("select article_id from story_articles")).scalars().all()
                now = time.time()
                for aid in visible:
                    seen.setdefault(aid, now)  # the first moment a reader could see the article in a story
                time.sleep(0.25)
            with wh.engine.connect() as conn:
                pubs = dict(conn.execute(text("select article_id, published_at from articles")).all())
        finally:
            stop(workers)
            server.terminate()
            wh.engine.dispose()
    lat: list[float] = []
    timed: list[tuple[float, float]] = []
    for aid, when in seen.items():
        if aid not in pubs:
            continue
        pub = pubs[aid]
        pub = datetime.fromisoformat(str(pub)).replace(tzinfo=UTC) if not isinstance(pub, datetime) else pub
        if pub.tzinfo is None:
            pub = pub.replace(tzinfo=UTC)
        if not start < pub < end:
            continue  # published before the replay began (backlog) or after it ended
        wall_pub = t_start + (pub - start).total_seconds() / speedup
        lat.append(max(0.0, when - wall_pub))
        timed.append((wall_pub - t_start, max(0.0, when - wall_pub)))
    if len(lat) < 2:
        print("latency: too few articles published during the replay window")
        return
    lat.sort()
    p95 = lat[int(0.95 * (len(lat) - 1))]
    print(
        f"latency publication → story visible (speedup {speedup:g}, crawl every 2 s, {len(lat)} articles): "
        f"p50 {statistics.median(lat):.1f} s, p95 {p95:.1f} s, max {lat[-1]:.1f} s"
    )
    # Where the slow ones sit in the run (cold workers at the start, or bursts later) says what to fix.
    worst = sorted(timed, key=lambda t: -t[1])[:5]
    print("slowest: " + ", ".join(f"published at +{at:.0f} s took {took:.1f} s" for at, took in worst))
    warm = sorted(took for at, took in timed if at >= WARM_UP_S)
    if len(warm) >= 2:
        print(
            f"published {WARM_UP_S:.0f} s or more into the run (workers started with the run: group joins, "
            f"rebalances and model loads come first; {len(warm)} articles): p50 {statistics.median(warm):.1f} s, "
            f"p95 {warm[int(0.95 * (len(warm) - 1))]:.1f} s, max {warm[-1]:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "data" / "replay-dev")
    parser.add_argument("--bootstrap", default=os.environ.get("STORYLINE_KAFKA_BOOTSTRAP", "127.0.0.1:19092"))
    parser.add_argument("--speedup", type=float, default=20000.0)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="embedded/streaming pairs; the median ratio is reported")
    parser.add_argument("--lag-trace", action="store_true", help="print each stage's lag every 0.5 s")
    args = parser.parse_args()
    specs = yaml.safe_load((ROOT / "infra" / "kafka" / "topics.yaml").read_text())
    if not args.skip_throughput:
        throughput(args.corpus, args.bootstrap, specs, max(1, args.rounds), args.lag_trace)
    if not args.skip_latency:
        latency(args.corpus, args.bootstrap, specs, args.speedup)


if __name__ == "__main__":
    main()
