"""`storyline run` and `storyline demo`: crawl and process in this process (embedded) or through Kafka workers."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from storyline.cli.common import (
    SERVE_PORT,
    RichProgress,
    console,
    fail,
    load_settings,
    out,
    print_stories,
    print_summary,
    progress,
    read_input,
)
from storyline.settings import Settings


def _run_pipeline(settings: Settings, sources: list[Any]) -> Any:
    from storyline.bootstrap import build

    application = build(settings)
    try:
        with progress() as bar:
            summary = application.pipeline.run(sources, RichProgress(bar))
    finally:
        application.close()
    return summary


def _publish_crawl(settings: Settings, sources: list[Any]) -> Any:
    """Crawl and hand the fetched events to the Kafka workers (streaming mode)."""
    from storyline.bootstrap import build, build_publisher

    publisher = build_publisher(settings)
    application = build(settings)
    try:
        with progress() as bar:
            return application.pipeline.run(sources, RichProgress(bar), publisher=publisher)
    finally:
        publisher.close()
        application.close()


def _run_through_kafka(settings: Settings, sources: list[Any]) -> Any:
    """Start one worker process per stage, publish the crawl to Kafka, wait until every group has caught up; the
    report counts what the workers published meanwhile (the crawl's own counts are this process's)."""
    import os
    import subprocess

    from storyline.bootstrap import build, build_publisher, watch_stream
    from storyline.events import STAGE_TOPICS

    env = {
        **os.environ,
        "STORYLINE_DATA_DIR": str(settings.data_dir.resolve()),
        "STORYLINE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "STORYLINE_LOG_LEVEL": settings.log_level,
    }
    if settings.database_url is not None:
        env["STORYLINE_DATABASE_URL"] = settings.database_url.get_secret_value()
    publisher = build_publisher(settings)
    application = build(settings)  # migrates the warehouse before the workers start
    watch = watch_stream(settings)
    workers = [
        subprocess.Popen([sys.executable, "-m", "storyline.cli", "worker", stage], env=env)  # noqa: S603
        for stage in STAGE_TOPICS
    ]
    try:
        summary = application.pipeline.run(sources, publisher=publisher)
        console.print(f"published {summary.pages_fetched} fetched articles; waiting for the workers...")
        if not watch.drained(timeout_s=600):
            console.print("workers did not catch up within 10 minutes; showing what is done", style="yellow")
        watch.tally(summary)
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(timeout=60)
        publisher.close()
        application.close()
    return summary


def run(
    sources: Annotated[str, typer.Option(help="Source registry: YAML, or JSON list of {id,name,feed}; path or URL.")],
    data_dir: Annotated[Path | None, typer.Option(help="Embedded data folder (default: $STORYLINE_DATA_DIR).")] = None,
    bus: Annotated[str, typer.Option(help="embedded: every stage here; kafka: crawl and publish for the workers.")] = (
        "embedded"
    ),
) -> None:
    """Crawl the sources and run every stage in this process (embedded mode), or publish to Kafka."""
    from storyline.sources.registry import parse_sources

    settings = load_settings(data_dir)
    if bus not in ("embedded", "kafka"):
        fail(f"--bus must be 'embedded' or 'kafka', not {bus!r}")
    registry = parse_sources(read_input(sources, "a YAML or JSON source registry"), sources)
    started = time.perf_counter()
    summary = _run_pipeline(settings, registry) if bus == "embedded" else _publish_crawl(settings, registry)
    print_summary(summary, time.perf_counter() - started)
    out.print(f"warehouse: {settings.safe_database_url()}", soft_wrap=True)


def demo(
    data_dir: Annotated[Path, typer.Option(help="Where the demo writes its site, database and archive.")] = Path(
        ".storyline/demo"
    ),
    port: Annotated[
        int, typer.Option(help="Port for the demo site; a fixed port keeps URLs (and so re-runs) identical.")
    ] = 8766,
    bus: Annotated[str, typer.Option(help="embedded (one process) or kafka (crawl publishes; workers process).")] = (
        "embedded"
    ),
) -> None:
    """Serve the project's own fictional news site on loopback and run the pipeline over it (offline)."""
    from storyline.bootstrap import build_static_site
    from storyline.demo.site import build_site
    from storyline.sources.registry import parse_sources

    settings = load_settings(None).model_copy(
        update={"data_dir": data_dir, "allow_private_addresses": True, "min_host_delay_s": 0.0, "database_url": None}
    )
    site_dir = data_dir / "site"
    site_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = build_static_site(site_dir, port)
    except OSError as exc:
        # Another process holds the port: any free one works, but the article URLs (and ids) will differ
        # from an earlier demo run in the same data folder.
        console.print(f"port {port} is busy ({exc.strerror}); using a free port", soft_wrap=True)
        server = build_static_site(site_dir, 0)
    with server:
        site = build_site(site_dir, server.base_url)
        out.print(f"demo site: {server.base_url}/sources.json ({len(site.sources)} outlets)")
        registry = parse_sources(json.dumps(site.sources), "demo sources.json")
        started = time.perf_counter()
        if bus == "kafka":
            summary = _run_through_kafka(settings, registry)
        elif bus == "embedded":
            summary = _run_pipeline(settings, registry)
        else:
            fail(f"--bus must be 'embedded' or 'kafka', not {bus!r}")
    print_summary(summary, time.perf_counter() - started)
    print_stories(settings, 20)
    out.print(f"warehouse: {settings.safe_database_url()}", soft_wrap=True)
    out.print(f"raw archive: {settings.resolved_archive_dir().resolve()}", soft_wrap=True)
    out.print(
        f"story pages: `storyline serve --data-dir {data_dir}` (it serves the demo site too), then open "
        f"http://127.0.0.1:{SERVE_PORT}/",
        soft_wrap=True,
    )
