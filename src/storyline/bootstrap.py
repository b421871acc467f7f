"""Composition root: settings in, wired services out (tests wire the same way with their own settings)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from storyline.adapters.blobstore import LocalBlobStore
from storyline.adapters.clock import SystemClock
from storyline.adapters.http import HttpxFetcher
from storyline.adapters.sql import SqlWarehouse
from storyline.domain.clustering import ClusterParams
from storyline.ports import Fetcher
from storyline.services.crawl import CrawlPolicy, CrawlService
from storyline.services.pipeline import Pipeline
from storyline.services.routing import Router
from storyline.services.stages import ClusterStage, DedupStage, EnrichStage, ExtractStage
from storyline.settings import Settings


@dataclass
class App:
    settings: Settings
    warehouse: SqlWarehouse
    blobs: LocalBlobStore
    fetcher: HttpxFetcher
    pipeline: Pipeline

    def close(self) -> None:
        self.fetcher.close()
        self.warehouse.engine.dispose()


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


def build(settings: Settings | None = None, fetcher: Fetcher | None = None) -> App:
    settings = settings or Settings()
    warehouse = build_warehouse(settings)
    blobs = LocalBlobStore(settings.resolved_archive_dir())
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
    )
    params = replace(ClusterParams(), threshold=settings.cluster_threshold)
    pipeline = Pipeline(
        sources_store=warehouse,
        crawler=crawler,
        extract=ExtractStage(blobs, warehouse),
        dedup=DedupStage(warehouse),
        cluster=ClusterStage(warehouse, params),
        enrich=EnrichStage(warehouse),
        router=Router(warehouse, clock, time.sleep),
    )
    return App(settings=settings, warehouse=warehouse, blobs=blobs, fetcher=http, pipeline=pipeline)
