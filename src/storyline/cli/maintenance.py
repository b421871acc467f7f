"""Repair and upkeep commands: `consolidate` and `expire` (the maintenance DAG's use cases), `replay`, `reextract`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from storyline.cli.common import RichProgress, fail, load_settings, out, print_summary, progress
from storyline.domain.consolidation import ConsolidationParams


def consolidate(
    days: Annotated[
        float | None, typer.Option(help="Look back this many days from the newest story (event time); default all.")
    ] = None,
    threshold: Annotated[
        float, typer.Option(help="Story-to-story similarity needed to merge.")
    ] = ConsolidationParams().threshold,
    max_gap_days: Annotated[
        float, typer.Option(help="Never merge stories further apart than this.")
    ] = ConsolidationParams().max_gap.days,
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Merge stories the online pass split (records merged_into and the merge log; merged ids keep resolving).

    With a Kafka bus configured (STORYLINE_KAFKA_BOOTSTRAP), the survivors' updates and a record per merged story
    go to the change feed, as from the maintenance DAG."""
    from storyline.bootstrap import build_maintenance
    from storyline.events import TOPIC_UPDATED

    settings = load_settings(data_dir)
    m = build_maintenance(settings)
    try:
        report = m.passes.consolidate(
            timedelta(days=days) if days is not None else None,
            ConsolidationParams(threshold=threshold, max_gap=timedelta(days=max_gap_days)),
        )
    except ValueError as exc:  # parameters out of range
        fail(exc)
    finally:
        m.close()
    out.print(f"stories considered {report.stories}, merged {len(report.merges)}, re-enriched {len(report.updated)}")
    for merge in report.merges:
        out.print(f"  {merge.loser} -> {merge.survivor} (score {merge.score:.3f})")
    if m.feed is not None:
        out.print(f"change feed: {report.published} records to {TOPIC_UPDATED}")


def expire(
    # min=0: a negative age is a cutoff in the future, which would delete everything.
    raw_days: Annotated[
        float | None, typer.Option(min=0, help="Delete raw objects not referenced for this many days (default: keep).")
    ] = None,
    fetch_log_days: Annotated[
        float | None, typer.Option(min=0, help="Delete fetch-log rows older than this many days (default: keep).")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Retention: raw archive objects and fetch-log rows. Expired pages can no longer be re-extracted."""
    from storyline.bootstrap import build_maintenance

    if raw_days is None and fetch_log_days is None:
        fail("nothing to do: give --raw-days and/or --fetch-log-days")
    settings = load_settings(data_dir)
    m = build_maintenance(settings, feed=False)
    try:
        done = m.passes.expire(
            timedelta(days=raw_days) if raw_days is not None else None,
            timedelta(days=fetch_log_days) if fetch_log_days is not None else None,
        )
    finally:
        m.close()
    if done.raw_objects_expired is not None:
        out.print(f"raw objects expired: {done.raw_objects_expired}")
    if done.fetch_rows_deleted is not None:
        out.print(f"fetch-log rows deleted: {done.fetch_rows_deleted}")


def replay(
    stage: Annotated[str, typer.Option(help="Stage whose dead letters to replay (extract).")] = "extract",
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Re-run dead-lettered items through the pipeline (after a fix); items that fail again stay recorded."""
    from storyline.bootstrap import build
    from storyline.events import ArticleFetched
    from storyline.services.pipeline import RunSummary

    if stage != "extract":
        fail("embedded mode dead-letters at extract; other stages replay by re-running")
    settings = load_settings(data_dir)
    application = build(settings)
    try:
        letters = application.warehouse.dead_letters(stage)
        events = [ArticleFetched.model_validate_json(d.payload) for d in letters]
        for d in letters:
            application.warehouse.clear_dead_letter(d.stage, d.subject)
        summary = RunSummary()
        with progress() as bar:
            application.pipeline.process_fetched(events, summary, RichProgress(bar))
    finally:
        application.close()
    failed = summary.extract_failed
    out.print(f"replayed {len(events)}: {len(events) - failed} recovered, {failed} failed again")


def reextract(
    into: Annotated[str, typer.Option(help="SQLAlchemy URL of the warehouse to rebuild into (a new, empty one).")],
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Rebuild articles and stories from the raw archive into another warehouse (no network; e.g. after an
    extraction fix). Reads the current warehouse's archived pages, runs every stage over them."""
    from pydantic import SecretStr

    from storyline.bootstrap import build, open_warehouse

    settings = load_settings(data_dir)
    events = open_warehouse(settings).archived_pages()
    try:
        target = build(settings.model_copy(update={"database_url": SecretStr(into)}))
    except Exception as exc:
        exc.add_note("--into")  # the warehouse that failed is the target, not STORYLINE_DATABASE_URL
        raise
    try:
        with progress() as bar:
            summary = target.pipeline.reextract(events, RichProgress(bar))
    finally:
        target.close()
    print_summary(summary, 0.0)
