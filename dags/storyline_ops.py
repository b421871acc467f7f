"""Airflow DAGs `data_quality` and `maintenance`: checks that fail loudly; story consolidation and retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task

DEFAULTS = {"retries": 1, "retry_delay": timedelta(minutes=5)}


@dag(
    dag_id="data_quality",
    schedule=timedelta(hours=1),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULTS,
    tags=["storyline", "quality"],
    params={"max_empty_rate": 0.5, "max_age_hours": 48.0},
)
def data_quality() -> None:
    @task
    def check(params: dict[str, Any] | None = None) -> dict[str, Any]:
        from datetime import UTC, datetime

        from storyline.bootstrap import build_warehouse
        from storyline.services.tasks import QualityError, check_quality
        from storyline.settings import Settings

        p = params or {}
        warehouse = build_warehouse(Settings(), migrate=False)
        metrics = warehouse.source_quality()
        problems = check_quality(
            metrics, float(p.get("max_empty_rate", 0.5)), float(p.get("max_age_hours", 48)), datetime.now(UTC)
        )
        warehouse.engine.dispose()
        if problems:
            raise QualityError("data quality checks failed:\n" + "\n".join(problems))
        return {"sources": len(metrics), "articles": sum(m["articles"] for m in metrics)}

    check()


@dag(
    dag_id="maintenance",
    schedule=timedelta(days=1),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULTS,
    tags=["storyline", "maintenance"],
    # raw_days: None keeps the raw archive forever (re-extraction and backfill read it); set it to bound storage.
    params={"consolidate_days": 14, "fetch_log_days": 90, "raw_days": None},
    doc_md="Consolidation merges stories the online clusterer split (merge log in `story_merges`, merged ids "
    "resolve to their survivor; survivors' updates, then a `merged_into` record per merged story, go to "
    "`storyline.stories.updated`); retention trims the fetch log and, when `raw_days` is set, raw objects no page "
    "referred to for that long.",
)
def maintenance() -> None:
    @task
    def consolidate(params: dict[str, Any] | None = None) -> dict[str, int]:
        from datetime import UTC, datetime

        from storyline.bootstrap import build_maintenance, build_publisher
        from storyline.events import TOPIC_UPDATED
        from storyline.services.maintenance import consolidate as run_consolidation
        from storyline.services.tasks import publish_events

        days = (params or {}).get("consolidate_days", 14)
        m = build_maintenance()
        try:
            report = run_consolidation(
                m.warehouse,
                m.enrich,
                datetime.now(UTC),
                lookback=timedelta(days=float(days)) if days is not None else None,
                cluster=m.cluster,
            )
            publisher = build_publisher(m.settings)
            try:
                published = publish_events(TOPIC_UPDATED, report.feed, publisher)
            finally:
                publisher.close()
        finally:
            m.close()
        return {"stories": report.stories, "merged": len(report.merges), "published": published}

    @task
    def retention(params: dict[str, Any] | None = None) -> dict[str, int]:
        from datetime import UTC, datetime

        from storyline.bootstrap import build_maintenance
        from storyline.services.maintenance import expire_raw_objects

        p = params or {}
        now = datetime.now(UTC)
        m = build_maintenance()
        try:
            fetch_rows = m.warehouse.delete_fetch_rows_before(now - timedelta(days=float(p.get("fetch_log_days", 90))))
            raw = 0
            if p.get("raw_days") is not None:
                raw = expire_raw_objects(m.warehouse, m.blobs, now - timedelta(days=float(p["raw_days"])), now)
        finally:
            m.close()
        return {"fetch_rows_deleted": fetch_rows, "raw_objects_expired": raw}

    # Independent: retention never touches stories, and a failed consolidation must not stop retention.
    consolidate()
    retention()


data_quality()
maintenance()
