"""Composition root: settings in, wired services out (tests wire the same way with their own settings)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from storyline.adapters.analysis import PooledAnalyser
from storyline.adapters.blobstore import LocalBlobStore
from storyline.adapters.clock import SystemClock
from storyline.adapters.deadletters import FanoutDeadLetters
from storyline.adapters.http import HttpxFetcher
from storyline.adapters.kafka import (
    KafkaDeadLetters,
    KafkaPublisher,
    KafkaStreamConsumer,
    dlq_replay_group,
    wait_for_broker,
    worker_group,
)
from storyline.adapters.llm_http import OpenAICompatibleWriter
from storyline.adapters.metrics import PrometheusMetrics
from storyline.adapters.ner_spacy import SpacyRecognizer
from storyline.adapters.offload import ForkedStream, fork_available
from storyline.adapters.parse_spacy import ParserProcess
from storyline.adapters.sql import SqlWarehouse
from storyline.adapters.sql_read import SqlReader
from storyline.domain.clustering import ClusterParams
from storyline.domain.health import StreamInput
from storyline.events import STAGE_TOPICS, TOPIC_BACKFILL, dlq_topic
from storyline.ports import BlobStore, Fetcher
from storyline.services.crawl import CrawlPolicy, CrawlService
from storyline.services.pipeline import Pipeline
from storyline.services.routing import Router
from storyline.services.stages import ClusterStage, DedupStage, EnrichStage, ExtractStage, Stage
from storyline.services.streaming import StreamPolicy, StreamRunner
from storyline.settings import Settings

if TYPE_CHECKING:
    from storyline.adapters.s3 import S3BlobStore


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

    def close(self) -> None:
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
    """What the maintenance passes need (consolidation, retention): no fetcher, no Kafka."""

    settings: Settings
    warehouse: SqlWarehouse
    blobs: BlobStore
    enrich: EnrichStage
    cluster: ClusterParams
    analyser: PooledAnalyser  # enrichment builds sections on its processes when many stories change

    def close(self) -> None:
        self.analyser.close()
        self.enrich.close()
        self.warehouse.engine.dispose()


def build_maintenance(settings: Settings | None = None) -> Maintenance:
    settings = settings or Settings()
    warehouse = build_warehouse(settings, migrate=False)
    blobs = build_blobs(settings)
    stages = build_stages(settings, warehouse, blobs)
    return Maintenance(settings, warehouse, blobs, stages.enrich, stages.cluster.params, stages.analyser)


def build_stage(stage: str, settings: Settings, warehouse: SqlWarehouse, blobs: BlobStore) -> Stage:
    if stage not in STAGE_TOPICS:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGE_TOPICS)}")
    stages = build_stages(settings, warehouse, blobs)
    if stage == "extract":
        # A worker loads the model before it joins its group, not while holding its first partitions: the
        # first records would otherwise wait for it, and a slow first poll can cost a rebalance.
        stages.analyser.warm_up()
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
        # Dedup restores event-time order per instance; with several dedup instances their ordered batches
        # interleave on the one-partition deduplicated topic, so clustering re-sorts what it holds (ADR 0004).
        policy=StreamPolicy(
            reorder_window_s=settings.reorder_window_s if stage in ("dedup", "cluster") else 0.0,
            reorder_quiet_s=settings.reorder_quiet_s,
        ),
    )
    holder["runner"] = runner
    targets = None
    if from_dlq:
        # Replay what is in the DLQ now, from where the last replay stopped; nothing appended meanwhile.
        done = consumer.committed_offsets()
        targets = {tp: end for tp, end in consumer.end_offsets().items() if end > done.get(tp, 0)}
    return Worker(stage, runner, consumer, publisher, warehouse, metrics, targets)


def stream_inputs() -> list[StreamInput]:
    """What the workers of `build_worker` consume, one entry per consumer group: each stage's input topic, and
    the backfill topic under the extract stage's backfill group (`status` watches these)."""
    inputs = [(stage, topic, False) for stage, (topic, _) in STAGE_TOPICS.items()] + [("extract", TOPIC_BACKFILL, True)]
    return [
        StreamInput(stage, topic, worker_group(stage, backfill), dlq_topic(topic), dlq_replay_group(stage), backfill)
        for stage, topic, backfill in inputs
    ]


def build_publisher(settings: Settings) -> KafkaPublisher:
    wait_for_broker(settings.kafka_bootstrap)
    return KafkaPublisher(settings.kafka_bootstrap, f"storyline-crawl-{os.getpid()}")
