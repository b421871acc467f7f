"""Composition root: settings in, wired services out (tests wire the same way with their own settings)."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from storyline.adapters.analysis import PooledAnalyser
from storyline.adapters.blobstore import LocalBlobStore
from storyline.adapters.clock import SystemClock
from storyline.adapters.deadletters import FanoutDeadLetters
from storyline.adapters.http import HttpxFetcher
from storyline.adapters.kafka import (
    RUNS_COMPLETE_GROUP,
    KafkaDeadLetters,
    KafkaPublisher,
    KafkaStreamConsumer,
    UpstreamProbe,
    dlq_replay_group,
    ensure_topics,
    stream_status,
    wait_for_broker,
    wait_until_drained,
    worker_group,
)
from storyline.adapters.llm_http import OpenAICompatibleWriter
from storyline.adapters.metrics import PrometheusMetrics
from storyline.adapters.ner_spacy import SpacyRecognizer
from storyline.adapters.offload import ForkedStream, fork_available
from storyline.adapters.parse_spacy import ParserProcess
from storyline.adapters.warehouse import SqlReader, SqlWarehouse
from storyline.domain.clustering import ClusterParams
from storyline.domain.errors import ConfigError
from storyline.domain.health import GroupReading, StreamInput
from storyline.events import STAGE_TOPICS, TOPIC_BACKFILL, dlq_topic
from storyline.ports import BlobStore, Fetcher
from storyline.services.crawl import CrawlPolicy, CrawlService
from storyline.services.maintenance import MaintenancePasses
from storyline.services.pipeline import REPORT_TOPICS, Pipeline, RunSummary, tally_stream
from storyline.services.routing import Router
from storyline.services.stages import ClusterStage, DedupStage, EnrichStage, ExtractStage, Stage
from storyline.services.streaming import (
    BATCH_RECORDS,
    ENRICH_COMMIT_EVERY_S,
    EXTRACT_BATCH_RECORDS,
    StreamPolicy,
    StreamRunner,
)
from storyline.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from storyline.adapters.s3 import S3BlobStore
    from storyline.adapters.static_site import StaticSite

log = logging.getLogger("storyline.worker")


@dataclass
class App:
    settings: Settings
    warehouse: SqlWarehouse
    blobs: BlobStore
    fetcher: HttpxFetcher
    pipeline: Pipeline
    analyser: PooledAnalyser

    def close(self) -> None:
        self.fetcher.close()
        self.analyser.close()
        self.pipeline.enrich.close()
        self.warehouse.engine.dispose()


def build_blobs(settings: Settings) -> LocalBlobStore | S3BlobStore:
    """The raw archive: S3 when a bucket is configured, else a local directory (the embedded default)."""
    if settings.s3_bucket:
        from storyline.adapters.s3 import S3BlobStore

        return S3BlobStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint,
            access_key=settings.s3_access_key.get_secret_value() if settings.s3_access_key else None,
            secret_key=settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None,
            region=settings.s3_region,
            create_bucket=True,
        )
    return LocalBlobStore(settings.resolved_archive_dir())


def build_fetcher(settings: Settings) -> HttpxFetcher:
    return HttpxFetcher(
        user_agent=settings.user_agent,
        timeout_s=settings.fetch_timeout_s,
        max_bytes=settings.max_page_bytes,
        max_redirects=settings.max_redirects,
        allow_private=settings.allow_private_addresses,
    )


def build_warehouse(settings: Settings, migrate: bool = True) -> SqlWarehouse:
    warehouse = SqlWarehouse(settings.resolved_database_url())
    if migrate:
        warehouse.upgrade()
    return warehouse


def build_reader(settings: Settings) -> SqlReader:
    """The read API's queries, on a read-only connection (SQLite read-only mode, or the reader role's URL)."""
    return SqlReader(settings.resolved_api_database_url())


def build(settings: Settings | None = None, fetcher: Fetcher | None = None) -> App:
    settings = settings or Settings()
    warehouse = build_warehouse(settings)
    blobs = build_blobs(settings)
    http = build_fetcher(settings)
    clock = SystemClock()
    crawler = CrawlService(
        fetcher=fetcher or http,
        blobs=blobs,
        fetch_log=warehouse,
        articles=warehouse,
        dead_letters=warehouse,
        clock=clock,
        sleep=time.sleep,
        policy=CrawlPolicy(user_agent=settings.user_agent, min_host_delay_s=settings.min_host_delay_s),
        slots=warehouse,
    )
    stages = build_stages(settings, warehouse, blobs)
    offload = None
    if stages.analyser.processes >= 2 and fork_available():
        # A big crawl fetches in a process of its own while this one analyses and stores (ADR 0012); with one
        # analysis process, everything stays in this one.
        offload = ForkedStream([warehouse.after_fork, blobs.after_fork, http.after_fork])
    pipeline = Pipeline(
        sources_store=warehouse,
        crawler=crawler,
        extract=stages.extract,
        dedup=stages.dedup,
        cluster=stages.cluster,
        enrich=stages.enrich,
        router=Router(warehouse, clock, time.sleep),
        offload=offload,
        resume=warehouse,
    )
    return App(
        settings=settings, warehouse=warehouse, blobs=blobs, fetcher=http, pipeline=pipeline, analyser=stages.analyser
    )


@dataclass
class Worker:
    """A wired streaming stage; `close()` releases the broker and database connections."""

    stage: str
    runner: StreamRunner
    consumer: KafkaStreamConsumer
    publisher: KafkaPublisher
    warehouse: SqlWarehouse
    metrics: PrometheusMetrics
    replay_targets: dict[tuple[str, int], int] | None = None
    upstream: UpstreamProbe | None = None

    def close(self) -> None:
        if self.upstream is not None:
            self.upstream.close()
        self.consumer.close()
        self.publisher.close()
        if isinstance(self.runner.stage, EnrichStage):
            self.runner.stage.close()  # its question parser's process
        self.warehouse.engine.dispose()


@dataclass(frozen=True)
class Stages:
    extract: ExtractStage
    dedup: DedupStage
    cluster: ClusterStage
    enrich: EnrichStage
    analyser: PooledAnalyser  # analysis, and the later stages' pure work; its worker processes close with the app


def build_writer(settings: Settings) -> OpenAICompatibleWriter | None:
    """The optional prose model; None (the default) keeps every section extractive."""
    if not settings.llm_base_url:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return OpenAICompatibleWriter(settings.llm_base_url, settings.llm_model, key, min_support=settings.llm_min_support)


def build_stages(settings: Settings, warehouse: SqlWarehouse, blobs: BlobStore) -> Stages:
    """The one place stages are wired (embedded pipeline and workers alike); constructing them does no I/O (the
    model and the analysis processes start on first use)."""
    recognizer = SpacyRecognizer()
    analyser = PooledAnalyser(recognizer, settings.analysis_processes)
    return Stages(
        extract=ExtractStage(blobs, warehouse, analyser),
        # The analysis processes also take the later stages' pure work (fingerprints, features, sections).
        dedup=DedupStage(warehouse, analyser),
        cluster=ClusterStage(
            warehouse,
            replace(ClusterParams(), threshold=settings.cluster_threshold),
            analyser,
            live=settings.consolidate_live,
        ),
        enrich=EnrichStage(warehouse, recognizer, build_writer(settings), analyser, parser=ParserProcess()),
        analyser=analyser,
    )


@dataclass
class Maintenance:
    """The maintenance use cases (`passes`: consolidation, retention) and what they hold: no fetcher; a Kafka
    producer only for the change feed."""

    settings: Settings
    warehouse: SqlWarehouse
    blobs: BlobStore
    enrich: EnrichStage
    cluster: ClusterParams
    analyser: PooledAnalyser  # enrichment builds sections on its processes when many stories change
    passes: MaintenancePasses
    feed: KafkaPublisher | None = None

    def close(self) -> None:
        if self.feed is not None:
            self.feed.close()
        self.analyser.close()
        self.enrich.close()
        self.warehouse.engine.dispose()


def bus_configured(settings: Settings) -> bool:
    """Whether this deployment has a Kafka bus: STORYLINE_KAFKA_BOOTSTRAP (or the settings' kafka_bootstrap) is
    set. Its default only says where a local broker would be; embedded mode runs without one, offline."""
    return "kafka_bootstrap" in settings.model_fields_set


def build_maintenance(settings: Settings | None = None, feed: bool | None = None) -> Maintenance:
    """The maintenance passes. `feed`: True publishes consolidation's updates to the change feed (the broker must
    answer, before anything is merged); False never; None (the default) when a bus is configured (ADR 0022)."""
    settings = settings or Settings()
    wanted = bus_configured(settings) if feed is None else feed
    publisher = build_publisher(settings, "maintenance") if wanted else None
    try:
        warehouse = build_warehouse(settings, migrate=False)
        blobs = build_blobs(settings)
        stages = build_stages(settings, warehouse, blobs)
    except BaseException:
        if publisher is not None:
            publisher.close()
        raise
    passes = MaintenancePasses(
        stories=warehouse,
        archive=warehouse,
        fetch_log=warehouse,
        blobs=blobs,
        enrich=stages.enrich,
        cluster=stages.cluster.params,
        clock=SystemClock(),
        feed=publisher,
    )
    return Maintenance(
        settings, warehouse, blobs, stages.enrich, stages.cluster.params, stages.analyser, passes, publisher
    )


def build_stage(stage: str, settings: Settings, warehouse: SqlWarehouse, blobs: BlobStore) -> Stage:
    if stage not in STAGE_TOPICS:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGE_TOPICS)}")
    if stage == "extract":
        # An extract worker analyses in its own process, a chunk at a time as its batches need them: extraction
        # scales out by worker instances (each a core), not by a pool of processes per worker.
        settings = settings.model_copy(update={"analysis_processes": 1})
    stages = build_stages(settings, warehouse, blobs)
    if stage == "extract":
        # A worker loads the model before it joins its group, not while holding its first partitions: the
        # first records would otherwise wait for it, and a slow first poll can cost a rebalance.
        stages.analyser.warm_up()
    if stage == "enrich" and stages.enrich.parser is not None:
        # Likewise the question parser's process (spaCy's parser), which the stage would otherwise start at its
        # first story: the worker's first flush would wait for it to load.
        stages.enrich.parser.prepare()
    chosen: Stage = getattr(stages, stage)
    return chosen


def build_worker(
    stage: str, settings: Settings | None = None, from_dlq: bool = False, backfill: bool = False
) -> Worker:
    """A Kafka worker for one stage; with `from_dlq`, a bounded replay of that stage's DLQ; with `backfill`
    (extract only), the backfill topic under its own consumer group."""
    settings = settings or Settings()
    if stage not in STAGE_TOPICS:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGE_TOPICS)}")
    input_topic, output_topic = STAGE_TOPICS[stage]
    if backfill:
        if stage != "extract":
            raise ValueError("--backfill applies to the extract stage (the backfill topic carries fetched pages)")
        input_topic = TOPIC_BACKFILL
    wait_for_broker(settings.kafka_bootstrap)
    warehouse = build_warehouse(settings)
    blobs = build_blobs(settings)
    clock = SystemClock()
    metrics = PrometheusMetrics()
    handler = build_stage(stage, settings, warehouse, blobs)
    client_id = f"storyline-{stage}-{os.getpid()}"
    publisher = KafkaPublisher(settings.kafka_bootstrap, client_id)
    dead_letters = FanoutDeadLetters([warehouse, KafkaDeadLetters(publisher)])
    router = Router(dead_letters, clock, time.sleep, metrics=metrics)
    holder: dict[str, StreamRunner] = {}
    topic = dlq_topic(input_topic) if from_dlq else input_topic
    group = dlq_replay_group(stage) if from_dlq else worker_group(stage, backfill)
    consumer = KafkaStreamConsumer(
        settings.kafka_bootstrap,
        topic,
        group,
        client_id,
        on_revoke=lambda: holder["runner"].on_revoke(),  # noqa: PLW0108 - the runner is created below
        on_assign=handler.reset,
    )
    # Dedup and clustering release what they hold as soon as nothing more can come (ADR 0025): every earlier
    # stage's group has committed all its input and, for the pages themselves, the runs that published them
    # (crawls, backfills) have ended. Otherwise (a run still publishing, or one that died) the timed quiet rule.
    earlier = list(STAGE_TOPICS)[: list(STAGE_TOPICS).index(stage)]
    upstream = [(i.group, i.topic) for i in stream_inputs() if i.stage in earlier]  # with extract's backfill group
    upstream += [(RUNS_COMPLETE_GROUP, i.topic) for i in stream_inputs() if i.stage == "extract"]
    probed = stage in ("dedup", "cluster") and not from_dlq
    probe = UpstreamProbe(settings.kafka_bootstrap, upstream, consumer) if probed else None
    runner = StreamRunner(
        handler,
        output_topic,
        consumer,
        publisher,
        router,
        clock,
        time.sleep,
        metrics=metrics,
        decode_as=input_topic if from_dlq else None,
        upstream=probe,
        # Dedup restores event-time order per instance; with several dedup instances their ordered batches
        # interleave on the one-partition deduplicated topic, so clustering re-sorts what it holds (ADR 0004).
        policy=StreamPolicy(
            batch_records=EXTRACT_BATCH_RECORDS if stage == "extract" else BATCH_RECORDS,
            reorder_window_s=settings.reorder_window_s if stage in ("dedup", "cluster") else 0.0,
            reorder_quiet_s=settings.reorder_quiet_s,
            commit_every_s=ENRICH_COMMIT_EVERY_S if stage == "enrich" else StreamPolicy.commit_every_s,
        ),
    )
    holder["runner"] = runner
    targets = None
    if from_dlq:
        # Replay what is in the DLQ now, from where the last replay stopped; nothing appended meanwhile.
        done = consumer.committed_offsets()
        targets = {tp: end for tp, end in consumer.end_offsets().items() if end > done.get(tp, 0)}
    return Worker(stage, runner, consumer, publisher, warehouse, metrics, targets, probe)


def stream_inputs() -> list[StreamInput]:
    """What the workers of `build_worker` consume, one entry per consumer group: each stage's input topic, and
    the backfill topic under the extract stage's backfill group (`status` watches these)."""
    inputs = [(stage, topic, False) for stage, (topic, _) in STAGE_TOPICS.items()] + [("extract", TOPIC_BACKFILL, True)]
    return [
        StreamInput(stage, topic, worker_group(stage, backfill), dlq_topic(topic), dlq_replay_group(stage), backfill)
        for stage, topic, backfill in inputs
    ]


def build_publisher(settings: Settings, role: str = "crawl") -> KafkaPublisher:
    wait_for_broker(settings.kafka_bootstrap)
    return KafkaPublisher(settings.kafka_bootstrap, f"storyline-{role}-{os.getpid()}")


def run_worker(
    stage: str,
    from_dlq: bool = False,
    settings: Settings | None = None,
    metrics_port: int | None = None,
    backfill: bool = False,
) -> int:
    """A worker process: one stage until SIGTERM/SIGINT (or, replaying a DLQ, until it is drained), with logging
    that names the stage and a metrics endpoint. Returns an exit code. The loop itself (consume → handle →
    produce → flush and check delivery → commit) is `services.streaming.StreamRunner`."""
    settings = settings or Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format=f"%(asctime)s %(levelname)s {stage} %(name)s: %(message)s"
    )
    worker = build_worker(stage, settings, from_dlq=from_dlq, backfill=backfill)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the batch, committing, stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    port = metrics_port if metrics_port is not None else settings.metrics_port
    if port:
        worker.metrics.serve(port, settings.metrics_host)
        log.info("metrics on http://%s:%d/metrics", settings.metrics_host, port)
    try:
        worker.runner.run(stop.is_set, worker.replay_targets)
    finally:
        worker.close()
    log.info("%s stopped after %d records", stage, worker.runner.processed)
    return 0


# What the CLI needs of the adapters, so that it depends on this composition root and the ports only.


def open_warehouse(settings: Settings) -> SqlWarehouse:
    """The warehouse of a command that reads one. Opening a SQLite file that is not there would create it empty
    and fail on its first table, so say where we looked instead."""
    url = make_url(settings.resolved_database_url())
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(str(url.database))
        if not path.exists():
            raise ConfigError(
                f"no warehouse at {path}: run `storyline run --sources …` first, or point --data-dir (or "
                "STORYLINE_DATA_DIR / STORYLINE_DATABASE_URL) at an existing one; `storyline demo` keeps its "
                "warehouse in .storyline/demo"
            )
    return build_warehouse(settings, migrate=False)


def upgrade_warehouse(settings: Settings) -> str | None:
    """Create or migrate the warehouse schema; returns the revision it is at."""
    from storyline.adapters.warehouse.schema import current_revision

    warehouse = build_warehouse(settings)
    try:
        return current_revision(warehouse.engine)
    finally:
        warehouse.engine.dispose()


def warehouse_url(settings: Settings, database: str | None = None, driver: str | None = None) -> str:
    """The warehouse URL with its password escaped in; optionally another database or driver on the same server."""
    url = make_url(settings.resolved_database_url())
    if database is not None:
        url = url.set(database=database)
    if driver is not None:
        url = url.set(drivername=f"{url.get_backend_name()}+{driver}")
    return url.render_as_string(hide_password=False)


def database_error(exc: BaseException) -> str | None:
    """The database driver's own words when a database could not be reached or used, found anywhere in the chain
    (the warehouse wraps them in TransientError); the driver names host and port, never the password."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OperationalError | InterfaceError):
            return str(seen.orig)
        seen = seen.__cause__ or seen.__context__
    return None


def read_location(location: str) -> str:
    """A registry or gold file, by path or http(s) URL."""
    from storyline.adapters.http import read_text

    return read_text(location)


def build_static_site(root: Path, port: int) -> StaticSite:
    """A static site served on loopback (the demo's news site); use as a context manager."""
    from storyline.adapters.static_site import StaticSite

    return StaticSite(root, port=port)


@dataclass
class Api:
    """The read API and story pages over the warehouse's read-only reader; `close()` releases the reader."""

    app: FastAPI
    reader: SqlReader

    def close(self) -> None:
        self.reader.close()


def build_api(settings: Settings) -> Api:
    from storyline.web.app import create_app

    reader = build_reader(settings)
    return Api(create_app(reader), reader)


def read_stream_status(settings: Settings, lag_interval_s: float) -> list[GroupReading]:
    """Every worker group's reading (`status`); raises TransientError when no broker answers within 5 s."""
    wait_for_broker(settings.kafka_bootstrap, timeout_s=5.0)
    return stream_status(settings.kafka_bootstrap, stream_inputs(), lag_interval_s)


def create_topics(settings: Settings, specs: list[dict[str, Any]]) -> list[str]:
    """The topics of topics.yaml that do not exist yet, created once the broker answers; returns their names."""
    wait_for_broker(settings.kafka_bootstrap, timeout_s=120)
    return ensure_topics(settings.kafka_bootstrap, specs)


@dataclass
class StreamWatch:
    """What a run through Kafka reports: the report topics' ends when it started, then what workers published."""

    bootstrap: str
    before: dict[tuple[str, int], int]

    def drained(self, timeout_s: float) -> bool:
        """Wait until every stage's group has caught up; False if not within `timeout_s`."""
        groups = {worker_group(stage): topics[0] for stage, topics in STAGE_TOPICS.items()}
        return wait_until_drained(self.bootstrap, groups, timeout_s=timeout_s)

    def tally(self, summary: RunSummary) -> None:
        """Count into `summary` what the workers published since the watch started."""
        from storyline.adapters.kafka_ranges import end_offsets, read_between

        tally_stream(summary, read_between(self.bootstrap, self.before, end_offsets(self.bootstrap, REPORT_TOPICS)))


def watch_stream(settings: Settings) -> StreamWatch:
    from storyline.adapters.kafka_ranges import end_offsets

    return StreamWatch(settings.kafka_bootstrap, end_offsets(settings.kafka_bootstrap, REPORT_TOPICS))
