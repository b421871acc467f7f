"""`storyline status`: operations at a glance (sources, freshness, dead letters, workers) and a health verdict."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from storyline.cli.common import load_settings, one_line, out
from storyline.domain.errors import StorylineError
from storyline.domain.health import (
    GroupReading,
    Problem,
    Readings,
    SourceReading,
    Thresholds,
    exit_code,
    problems,
    stream_report,
)
from storyline.settings import Settings


def _age(now: datetime, at: datetime | None) -> str:
    if at is None:
        return "never"
    seconds = max(0.0, (now - at).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit} ago"
    return f"{seconds:.0f}s ago"


def status(
    data_dir: Annotated[Path | None, typer.Option()] = None,
    kafka: Annotated[
        bool, typer.Option(help="Also read consumer groups, lag and DLQ topic sizes from Kafka (streaming mode).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    stale_after_hours: Annotated[
        float, typer.Option(min=0.01, help="An enabled source not crawled for this long is stale.")
    ] = Thresholds().stale_after.total_seconds() / 3600,
    lag_interval: Annotated[
        float, typer.Option(min=0.0, help="Seconds between the two lag samples that tell growing lag (0: one).")
    ] = 2.0,
) -> None:
    """Operations at a glance, and a verdict for cron and monitoring: exit 0 when healthy, 1 when something needs
    attention (Kafka down, dead letters, a stage without workers, stale sources), each problem one line saying
    what to do. Growing lag is told as a warning."""
    from storyline.bootstrap import open_warehouse

    settings = load_settings(data_dir)
    report = open_warehouse(settings).operations_status()
    stream, kafka_error = _read_stream(settings, lag_interval) if kafka else (None, None)
    readings = Readings(
        datetime.now(UTC),
        [SourceReading(s["source_id"], s["last_crawl"], s["enabled"]) for s in report["sources"]],
        report["dead_letters"],
        stream,
        kafka_error,
    )
    found = problems(readings, Thresholds(stale_after=timedelta(hours=stale_after_hours)))
    if as_json:
        sys.stdout.write(json.dumps(_status_json(report, readings, found), default=_iso, indent=2) + "\n")
    else:
        _print_status(report, readings, found)
    raise typer.Exit(exit_code(found))


def _read_stream(settings: Settings, lag_interval: float) -> tuple[list[GroupReading] | None, str | None]:
    """Every worker group's reading, or why Kafka could not be read."""
    from storyline.bootstrap import read_stream_status

    try:
        return read_stream_status(settings, lag_interval), None
    except StorylineError as exc:
        return None, one_line(str(exc))


def _iso(value: object) -> str:
    """JSON for the report's timestamps: ISO 8601, as every other tool reads them."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _status_json(report: dict[str, Any], readings: Readings, found: list[Problem]) -> dict[str, Any]:
    doc = {
        "checked_at": readings.checked_at,
        "healthy": exit_code(found) == 0,
        "problems": [asdict(p) for p in found],
        **report,
    }
    if readings.kafka_error is not None:
        doc["stream"] = {"error": readings.kafka_error}
    elif readings.stream is not None:
        doc["stream"] = stream_report(readings.stream)
    return doc


def _print_status(report: dict[str, Any], readings: Readings, found: list[Problem]) -> None:
    now = readings.checked_at
    table = Table(title="Sources")
    for col in ("source", "last crawl", "fetched", "not modified", "failed", "disallowed", "articles"):
        table.add_column(col)
    for src in report["sources"]:
        f = src["fetches"]
        table.add_row(
            src["source_id"] + ("" if src["enabled"] else " (disabled)"),
            _age(now, src["last_crawl"]),
            *(str(f.get(k, 0)) for k in ("fetched", "not-modified", "failed", "disallowed")),
            str(src["articles"]),
        )
    out.print(table)
    out.print(f"articles: {report['articles']} · stories: {report['stories']}")
    out.print(
        f"freshness: newest article fetched {_age(now, report['newest_article_fetched'])}, "
        f"newest story activity {_age(now, report['newest_story_activity'])} (event time)"
    )
    dlq = report["dead_letters"]
    out.print("dead letters (warehouse): " + (", ".join(f"{k} {v}" for k, v in sorted(dlq.items())) or "none"))
    if readings.kafka_error is not None:
        out.print(f"kafka: {readings.kafka_error}", soft_wrap=True)
    elif readings.stream is not None:
        out.print(_stream_table(readings.stream))
    for problem in found:
        out.print(problem.message, soft_wrap=True)
    out.print("status: " + ("needs attention" if exit_code(found) else "healthy"))


def _stream_table(groups: Sequence[GroupReading]) -> Table:
    table = Table(title="Workers (Kafka; --json names each group and DLQ topic)")
    for col in ("stage", "workers", "lag", "lag change", "dead letters"):
        table.add_column(col)
    for g in groups:
        change = f"{g.lag_change:+d} in {g.interval_s:g} s" if g.interval_s > 0 else "-"
        table.add_row(g.input.name, str(g.members), str(g.lag), change, str(g.dead_letters))
    return table
