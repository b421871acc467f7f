"""Airflow DAGs `data_quality` and `maintenance`: checks that fail loudly, and retention of old fetch rows."""

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
    params={"fetch_log_days": 90},
)
def maintenance() -> None:
    @task
    def retention(params: dict[str, Any] | None = None) -> int:
        from datetime import UTC, datetime

        from storyline.bootstrap import build_warehouse
        from storyline.settings import Settings

        days = int((params or {}).get("fetch_log_days", 90))
        warehouse = build_warehouse(Settings(), migrate=False)
        try:
            return warehouse.delete_fetch_rows_before(datetime.now(UTC) - timedelta(days=days))
        finally:
            warehouse.engine.dispose()

    retention()


data_quality()
maintenance()
