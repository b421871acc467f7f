"""Airflow DAG `crawl_sources`: one mapped task per enabled source, publishing fetched pages to Kafka."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, get_current_context, task

HTTP_POOL = "storyline_http"  # caps concurrent crawls across all runs; create it with `airflow pools set`


@dag(
    dag_id="crawl_sources",
    schedule=timedelta(minutes=15),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2), "retry_exponential_backoff": True},
    tags=["storyline", "crawl"],
    # Items dated more than this before the run's data interval are left alone (0: no date filter, e.g. a
    # first crawl or a test); known URLs are skipped anyway, so the lookback only bounds late arrivals.
    params={"lookback_hours": 72},
    doc_md="Crawls every enabled source of the registry (STORYLINE_SOURCES) for the run's data interval and "
    "publishes the fetched pages to `storyline.articles.fetched`; the workers do the rest.",
)
def crawl_sources() -> None:
    @task
    def enabled_sources() -> list[dict[str, Any]]:
        from storyline.adapters.http import read_text
        from storyline.services.tasks import source_to_dict
        from storyline.settings import Settings
        from storyline.sources.registry import parse_sources

        settings = Settings()
        return [source_to_dict(s) for s in parse_sources(read_text(settings.sources), settings.sources) if s.enabled]

    @task(pool=HTTP_POOL, retries=2, max_active_tis_per_dagrun=8)
    def crawl_source(source: dict[str, Any]) -> dict[str, int]:
        from storyline.bootstrap import build, build_publisher
        from storyline.services.tasks import crawl_one, source_from_dict

        context = get_current_context()
        lookback = float(context["params"].get("lookback_hours", 72))
        start = context.get("data_interval_start")
        since = start - timedelta(hours=lookback) if start is not None and lookback > 0 else None
        app = build()
        publisher = build_publisher(app.settings)
        try:
            return crawl_one(app.pipeline, source_from_dict(source), publisher, since)
        finally:
            publisher.close()
            app.close()

    crawl_source.expand(source=enabled_sources())


crawl_sources()
