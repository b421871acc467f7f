"""Airflow DAG `backfill` (manual): re-extract archived pages onto the backfill topic, by source and time range."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="backfill",
    schedule=None,  # triggered by an operator: airflow dags trigger backfill --conf '{"source_id": "bbc-world"}'
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=5)},
    tags=["storyline", "backfill"],
    params={"source_id": None, "start": None, "end": None},
    doc_md="Publishes archived pages (all, one source, or an ISO publication-time range) to "
    "`storyline.articles.backfill`, consumed by `storyline worker extract --backfill` (its own consumer group). "
    "No network: pages come from the raw archive.",
)
def backfill() -> None:
    @task
    def publish(params: dict[str, Any] | None = None) -> int:
        from datetime import datetime

        from storyline.bootstrap import build_publisher, build_warehouse
        from storyline.services.tasks import publish_backfill
        from storyline.settings import Settings

        p = params or {}
        settings = Settings()
        warehouse = build_warehouse(settings, migrate=False)
        publisher = build_publisher(settings)
        try:
            return publish_backfill(
                warehouse.archived_pages(),
                publisher,
                source_id=p.get("source_id") or None,
                start=datetime.fromisoformat(p["start"]) if p.get("start") else None,
                end=datetime.fromisoformat(p["end"]) if p.get("end") else None,
            )
        finally:
            publisher.close()
            warehouse.engine.dispose()

    publish()


backfill()
