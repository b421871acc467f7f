"""`storyline worker STAGE`: one pipeline stage as a Kafka worker (streaming mode), or a bounded DLQ replay."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from storyline.cli.common import fail, load_settings


def worker(
    stage: Annotated[str, typer.Argument(help="extract | dedup | cluster | enrich")],
    from_dlq: Annotated[
        bool, typer.Option("--from-dlq", help="Replay this stage's DLQ (after a fix), then exit.")
    ] = False,
    metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus /metrics on this port.")] = None,
    backfill: Annotated[bool, typer.Option("--backfill", help="extract: consume the backfill topic instead.")] = False,
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Run one stage as a Kafka worker (streaming mode) until SIGTERM."""
    from storyline.bootstrap import run_worker

    settings = load_settings(data_dir)
    try:
        code = run_worker(stage, from_dlq=from_dlq, settings=settings, metrics_port=metrics_port, backfill=backfill)
    except ValueError as exc:  # an unknown stage
        fail(exc)
    raise typer.Exit(code)
