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
    "referred to for that long. The tasks run the use cases `storyline consolidate` and `storyline expire` run.",
)
def maintenance() -> None:
    @task
    def consolidate(params: dict[str, Any] | None = None) -> dict[str, int]:
        from storyline.bootstrap import build_maintenance

        days = (params or {}).get("consolidate_days", 14)
        # feed=True: the change feed is part of this pass; no broker fails the task before anything is merged.
        m = build_maintenance(feed=True)
        try:
            report = m.passes.consolidate(lookback=timedelta(days=float(days)) if days is not None else None)
        finally:
            m.close()
        return {"stories": report.stories, "merged": len(report.merges), "published": report.published}

    @task
    def retention(params: dict[str, Any] | None = None) -> dict[str, int]:
        from storyline.bootstrap import build_maintenance

        p = params or {}
        m = build_maintenance(feed=False)
        try:
            done = m.passes.expire(
                raw_after=timedelta(days=float(p["raw_days"])) if p.get("raw_days") is not None else None,
                fetch_log_after=timedelta(days=float(p.get("fetch_log_days", 90))),
            )
        finally:
            m.close()
        return {
            "fetch_rows_deleted": done.fetch_rows_deleted or 0,
            "raw_objects_expired": done.raw_objects_expired or 0,
        }

    # Independent: retention never touches stories, and a failed consolidation must not stop retention.
    consolidate()
    retention()


data_quality()
maintenance()
