"""`storyline` command line: run, demo, serve, status, db, export, eval, extract, stories, replay, maintenance."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from typer.core import TyperGroup

from storyline.domain.consolidation import ConsolidationParams
from storyline.domain.errors import ConfigError, StorylineError
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

if TYPE_CHECKING:
    from storyline.adapters.sql import SqlWarehouse
    from storyline.domain.editorial import Figure


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _database_problem(exc: BaseException) -> str | None:
    """The driver's own words when a database could not be reached or used (its message names host and port and
    never the password), found anywhere in the chain: the warehouse wraps them in TransientError."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OperationalError | InterfaceError):
            where = next(iter(getattr(exc, "__notes__", [])), "STORYLINE_DATABASE_URL")
            return (
                f"warehouse unavailable: {_one_line(str(seen.orig))} — start the database, or fix {where} "
                "if it points at the wrong place"
            )
        seen = seen.__cause__ or seen.__context__
    return None


def _user_error(exc: Exception) -> str | None:
    """One line for an error the user can fix (bad settings or input, a database that is down); None for a bug."""
    database = _database_problem(exc)
    if database is not None:
        return database
    if isinstance(exc, ValidationError) and exc.title == Settings.__name__:
        prefix = Settings.model_config.get("env_prefix", "")
        problems = (f"{prefix}{'_'.join(map(str, e['loc'])).upper()}={e['input']!r}: {e['msg']}" for e in exc.errors())
        return f"invalid setting {'; '.join(problems)} (fix or unset it)"
    if isinstance(exc, StorylineError):
        return _one_line(str(exc))
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}"
    return None


class _Commands(TyperGroup):
    """The top-level group: every command's user errors end here as one line on stderr (exit 2), so no command
    needs its own try/except; `--debug` (or STORYLINE_DEBUG=1) lets the traceback through instead."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (Typer vendors its own click)
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:
            # A bad option value (or a missing one) is a user error like any other: one line, not a usage block.
            where = getattr(getattr(exc, "ctx", None), "command_path", None) or ctx.command_path
            _fail(f"{exc.format_message()} (see `{where} --help`)")
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            line = None if ctx.params.get("debug") else _user_error(exc)
            if line is None:
                raise
            _fail(line)


app = typer.Typer(cls=_Commands, no_args_is_help=True)
db_app = typer.Typer(help="Warehouse schema.", no_args_is_help=True)
export_app = typer.Typer(help="Export tables.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(export_app, name="export")
# Markup off: headlines, titles and names are data and print as text ("[/bold]" in a title is not a tag).
console = Console(stderr=True, markup=False, emoji=False)
out = Console(markup=False, emoji=False)


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", envvar="STORYLINE_DEBUG", help="Show the traceback of an error, not one line.")
    ] = False,
) -> None:
    """Storyline: news feeds in, deduplicated and clustered stories out."""
    # `debug` is read where errors are handled (_Commands.invoke, from ctx.params).


_PHASES = {"fetch": "Fetching pages", "extract": "Extracting", "cluster": "Dedup + clustering", "enrich": "Enriching"}


class RichProgress:
    """Adapts the pipeline's progress callbacks to a rich progress bar."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def start(self, phase: str, total: int) -> None:
        self.tasks[phase] = self.progress.add_task(_PHASES.get(phase, phase), total=max(total, 1))

    def advance(self, phase: str, done: int) -> None:
        if phase in self.tasks:
            self.progress.update(self.tasks[phase], completed=done)


def _settings(data_dir: Path | None) -> Settings:
    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return settings


def _fail(problem: Exception | str) -> NoReturn:
    console.print(Text.assemble(("error: ", "bold red"), _one_line(str(problem))), soft_wrap=True)
    raise typer.Exit(2)


def _existing_warehouse(settings: Settings) -> SqlWarehouse:
    """The warehouse of a command that reads one. Opening a SQLite file that is not there would create it empty
    and fail on its first table, so say where we looked instead."""
    from storyline.bootstrap import build_warehouse

    url = make_url(settings.resolved_database_url())
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(str(url.database))
        if not path.exists():
            raise ConfigError(
                f"no warehouse at {path}: run `storyline run --sources …` first, or point --data-dir (or "
                "STORYLINE_DATA_DIR / STORYLINE_DATABASE_URL) at an existing one; `storyline demo` keeps its "
                "warehouse in .storyline/demo"
            )
    return build_warehouse(settings, migrate=False)


def _read_input(location: str, what: str) -> str:
    """A registry or gold file as text; a binary or non-UTF-8 file is the user's to fix, said in one line."""
    from storyline.adapters.http import read_text

    try:
        return read_text(location)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{location} is not UTF-8 text (byte {exc.start}): give {what} saved as UTF-8") from exc


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _run_pipeline(settings: Settings, sources: list[Any]) -> Any:
    from storyline.bootstrap import build

    application = build(settings)
    try:
        with _progress() as bar:
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
        with _progress() as bar:
            return application.pipeline.run(sources, RichProgress(bar), publisher=publisher)
    finally:
        publisher.close()
        application.close()


def _run_through_kafka(settings: Settings, sources: list[Any]) -> Any:
    """Start one worker process per stage, publish the crawl to Kafka, wait until every group has caught up; the
    report counts what the workers published meanwhile (the crawl's own counts are this process's)."""
    import os
    import subprocess

    from storyline.adapters.kafka import wait_until_drained
    from storyline.adapters.kafka_ranges import end_offsets, read_between
    from storyline.bootstrap import build, build_publisher
    from storyline.events import STAGE_TOPICS
    from storyline.services.pipeline import REPORT_TOPICS, tally_stream

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
    before = end_offsets(settings.kafka_bootstrap, REPORT_TOPICS)
    workers = [
        subprocess.Popen([sys.executable, "-m", "storyline.cli", "worker", stage], env=env)  # noqa: S603
        for stage in STAGE_TOPICS
    ]
    try:
        summary = application.pipeline.run(sources, publisher=publisher)
        console.print(f"published {summary.pages_fetched} fetched articles; waiting for the workers...")
        groups = {f"storyline-{stage}": topics[0] for stage, topics in STAGE_TOPICS.items()}
        if not wait_until_drained(settings.kafka_bootstrap, groups, timeout_s=600):
            console.print("workers did not catch up within 10 minutes; showing what is done", style="yellow")
        after = end_offsets(settings.kafka_bootstrap, REPORT_TOPICS)
        tally_stream(summary, read_between(settings.kafka_bootstrap, before, after))
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            proc.wait(timeout=60)
        publisher.close()
        application.close()
    return summary


def _print_summary(summary: Any, seconds: float) -> None:
    table = Table(title=f"Run summary ({seconds:.1f} s)", show_header=False)
    for label, value in summary.lines():
        table.add_row(label, str(value))
    out.print(table)


def _print_stories(settings: Settings, limit: int) -> None:
    warehouse = _existing_warehouse(settings)
    stories = warehouse.stories_overview(limit)
    table = Table(title=f"Stories (top {len(stories)} by articles)")
    table.add_column("articles", justify="right")
    table.add_column("headline")
    table.add_column("outlets")
    for s in stories:
        table.add_row(str(s["article_count"]), s["headline"] or "", ", ".join(s["outlets"]))
    out.print(table)
    warehouse.engine.dispose()


@app.command()
def run(
    sources: Annotated[str, typer.Option(help="Source registry: YAML, or JSON list of {id,name,feed}; path or URL.")],
    data_dir: Annotated[Path | None, typer.Option(help="Embedded data folder (default: $STORYLINE_DATA_DIR).")] = None,
    bus: Annotated[str, typer.Option(help="embedded: every stage here; kafka: crawl and publish for the workers.")] = (
        "embedded"
    ),
) -> None:
    """Crawl the sources and run every stage in this process (embedded mode), or publish to Kafka."""
    from storyline.sources.registry import parse_sources

    settings = _settings(data_dir)
    if bus not in ("embedded", "kafka"):
        _fail(f"--bus must be 'embedded' or 'kafka', not {bus!r}")
    registry = parse_sources(_read_input(sources, "a YAML or JSON source registry"), sources)
    started = time.perf_counter()
    summary = _run_pipeline(settings, registry) if bus == "embedded" else _publish_crawl(settings, registry)
    _print_summary(summary, time.perf_counter() - started)
    out.print(f"warehouse: {settings.safe_database_url()}", soft_wrap=True)


@app.command()
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
    from storyline.adapters.static_site import StaticSite
    from storyline.demo.site import build_site
    from storyline.sources.registry import parse_sources

    settings = _settings(None).model_copy(
        update={"data_dir": data_dir, "allow_private_addresses": True, "min_host_delay_s": 0.0, "database_url": None}
    )
    site_dir = data_dir / "site"
    site_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = StaticSite(site_dir, port=port)
    except OSError as exc:
        # Another process holds the port: any free one works, but the article URLs (and ids) will differ
        # from an earlier demo run in the same data folder.
        console.print(f"port {port} is busy ({exc.strerror}); using a free port", soft_wrap=True)
        server = StaticSite(site_dir, port=0)
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
            _fail(f"--bus must be 'embedded' or 'kafka', not {bus!r}")
    _print_summary(summary, time.perf_counter() - started)
    _print_stories(settings, 20)
    out.print(f"warehouse: {settings.safe_database_url()}", soft_wrap=True)
    out.print(f"raw archive: {settings.resolved_archive_dir().resolve()}", soft_wrap=True)
    out.print(
        f"story pages: `storyline serve --data-dir {data_dir}` (it serves the demo site too), then open "
        f"http://127.0.0.1:{SERVE_PORT}/",
        soft_wrap=True,
    )


SERVE_PORT = 8700


def _age(now: datetime, at: datetime | None) -> str:
    if at is None:
        return "never"
    seconds = max(0.0, (now - at).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit} ago"
    return f"{seconds:.0f}s ago"


@app.command()
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
    settings = _settings(data_dir)
    report = _existing_warehouse(settings).operations_status()
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
    from storyline.adapters.kafka import stream_status, wait_for_broker
    from storyline.bootstrap import stream_inputs

    try:
        wait_for_broker(settings.kafka_bootstrap, timeout_s=5.0)
        return stream_status(settings.kafka_bootstrap, stream_inputs(), lag_interval), None
    except StorylineError as exc:
        return None, _one_line(str(exc))


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


@app.command()
def serve(
    data_dir: Annotated[Path | None, typer.Option()] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the read API and story pages.")] = SERVE_PORT,
    site_port: Annotated[
        int, typer.Option(help="When DATA_DIR holds a demo site (DATA_DIR/site), serve it here so citations resolve.")
    ] = 8766,
) -> None:
    """Serve the read API (/api/..., schema at /openapi.json) and the story pages (/, /stories/ID)."""
    import contextlib

    import uvicorn

    from storyline.adapters.static_site import StaticSite
    from storyline.bootstrap import build_reader
    from storyline.web.app import create_app

    settings = _settings(data_dir)
    if settings.api_database_url is None:
        _existing_warehouse(settings).engine.dispose()  # the pages of no warehouse would be errors: say so now
    reader = build_reader(settings)
    site_dir = settings.data_dir / "site"
    with contextlib.ExitStack() as stack:
        if (site_dir / "sources.json").exists():
            site = stack.enter_context(StaticSite(site_dir, port=site_port))
            out.print(f"demo site: {site.base_url}/", soft_wrap=True)
        out.print(
            f"story pages: http://{host}:{port}/  ·  API schema: http://{host}:{port}/openapi.json", soft_wrap=True
        )
        try:
            uvicorn.run(create_app(reader), host=host, port=port, log_level="warning")
        finally:
            reader.close()


@db_app.command("upgrade")
def db_upgrade(data_dir: Annotated[Path | None, typer.Option()] = None) -> None:
    """Create or migrate the warehouse schema to the newest revision."""
    from storyline.adapters.migrate import current_revision
    from storyline.bootstrap import build_warehouse

    settings = _settings(data_dir)
    warehouse = build_warehouse(settings)
    out.print(f"{settings.safe_database_url()} at revision {current_revision(warehouse.engine)}", soft_wrap=True)


@db_app.command("url")
def db_url(
    database: Annotated[str | None, typer.Option(help="Another database on the same server (e.g. airflow).")] = None,
    driver: Annotated[
        str | None, typer.Option(help="Another driver of the same dialect (e.g. psycopg_async for Airflow).")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Print the warehouse URL, password escaped in (for Airflow's sql_alchemy_conn_cmd: one password, any
    characters, set once in STORYLINE_DATABASE_PASSWORD)."""
    from sqlalchemy.engine import make_url

    url = make_url(_settings(data_dir).resolved_database_url())
    if database is not None:
        url = url.set(database=database)
    if driver is not None:
        url = url.set(drivername=f"{url.get_backend_name()}+{driver}")
    # No newline: Airflow takes a _cmd's output as is, and a newline would end the database name.
    sys.stdout.write(url.render_as_string(hide_password=False))


@db_app.command("grant-reader")
def db_grant_reader(
    role: Annotated[str, typer.Argument(help="Login role for the read API, e.g. storyline_reader.")],
    password_env: Annotated[
        str, typer.Option(help="Environment variable holding the role's password (never a command-line argument).")
    ] = "STORYLINE_READER_PASSWORD",  # noqa: S107 - the name of a variable, not a password
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """PostgreSQL: create/update a role that can read the warehouse and write nothing (for the read API)."""
    import os

    password = os.environ.get(password_env)
    if not password:
        _fail(f"set {password_env} to the reader role's password")
    _existing_warehouse(_settings(data_dir)).grant_reader(role, password)
    out.print(f"role {role}: SELECT on every warehouse table; point STORYLINE_API_DATABASE_URL at it")


@export_app.command("assignments")
def export_assignments(
    data_dir: Annotated[Path | None, typer.Option()] = None,
    output: Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout).")] = None,
) -> None:
    """One JSON line per article: url, article_id, story_id, duplicate_of (URL or null)."""
    warehouse = _existing_warehouse(_settings(data_dir))
    lines = [json.dumps(row, ensure_ascii=False) for row in warehouse.assignments()]
    text = "\n".join(lines) + ("\n" if lines else "")
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {len(lines)} assignments to {output}")


@app.command("eval")
def eval_cmd(
    gold: Annotated[
        str | None, typer.Option(help="Gold articles (JSON lines), path or URL; without it, editorial figures only.")
    ] = None,
    base: Annotated[str, typer.Option(help="Base URL the corpus was served at (replaces {{BASE}}).")] = "",
    data_dir: Annotated[Path | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Score the warehouse: its story pages' editorial figures and, against gold labels, BCubed stories, duplicate
    pairs and extraction token F1 (and the editorial figures that need gold)."""
    from storyline.services.evaluation import parse_gold, run_eval

    settings = _settings(data_dir)
    gold_rows = parse_gold(_read_input(gold, "gold articles as JSON lines"), base, gold) if gold else None
    warehouse = _existing_warehouse(settings)
    assignments = warehouse.assignments()
    gold_by_url = {g.url: g.story for g in gold_rows} if gold_rows is not None else None
    editorial = _editorial_figures(settings, gold_by_url, assignments)
    if gold_rows is None:
        if as_json:
            out.print_json(json.dumps({"editorial": [_figure_json(f) for f in editorial]}))
        else:
            _print_editorial(editorial)
        return
    reports, errors = run_eval(gold_rows, assignments, warehouse.article_texts())
    if as_json:
        payload = {
            "reports": [_report_json(r) for r in reports],
            "errors": errors,
            "editorial": [_figure_json(f) for f in editorial],
        }
        out.print_json(json.dumps(payload))
        return
    table = Table(title="Evaluation")
    for col in ("part", "articles", "found", "B3 P", "B3 R", "B3 F1", "dup P", "dup R", "dup pairs", "text F1"):
        table.add_column(col, justify="right")
    for r in reports:
        table.add_row(
            r.part,
            str(r.articles),
            str(r.found),
            f"{r.stories.precision:.3f}",
            f"{r.stories.recall:.3f}",
            f"{r.stories.f1:.3f}",
            f"{r.duplicates.precision:.3f}",
            f"{r.duplicates.recall:.3f}",
            str(r.duplicates.n),
            f"{r.extraction_f1:.3f}",
        )
    out.print(table)
    d = reports[0].duplicates
    # Pairs set aside are reported, never silently dropped (ADR 0016).
    out.print(
        f"duplicate pairs ({reports[0].part}): {d.predicted} predicted, {d.correct} right; set aside: "
        f"{d.ignored_near_copies} gold near copies, {d.ignored_rule_copies} copies by rule the gold does not label "
        f"(precision counting those as wrong: {d.gold_precision:.3f}); "
        f"gold pairs the rule would not fold: {d.gold_not_rule_copies}"
    )
    for kind in ("merges", "splits"):
        if errors[kind]:
            out.print(Text.assemble((f"worst {kind}", "bold"), " (title | title):"))
            for a, b in errors[kind]:
                out.print(f"  {a[:70]!r} | {b[:70]!r}")
    _print_editorial(editorial)


def _editorial_figures(
    settings: Settings, gold_by_url: dict[str, str] | None, assignments: list[dict[str, Any]]
) -> list[Figure]:
    """Every story page audited through the read side, in front-page order (ADR 0018)."""
    from storyline.adapters.sql_read import MAX_PAGE, StoryFilter
    from storyline.bootstrap import build_reader
    from storyline.services.editorial import editorial_check

    reader = build_reader(settings)
    try:
        ranked: list[dict[str, Any]] = []
        total = None
        while total is None or len(ranked) < total:
            total, items = reader.list_stories(StoryFilter(sort="significance", limit=MAX_PAGE, offset=len(ranked)))
            if not items:
                break
            ranked += items
        outlets = [str(src["name"]) for src in reader.sources()]
        assigned = [(str(a["url"]), a["story_id"]) for a in assignments]
        return editorial_check(reader, ranked, outlets, gold_by_url, assigned)
    finally:
        reader.close()


def _figure_json(f: Figure) -> dict[str, Any]:
    return {
        "key": f.key,
        "label": f.label,
        "numerator": f.numerator,
        "denominator": f.denominator,
        "share": round(f.share, 4),
        "target": f.target,
        "examples": list(f.examples),
    }


def _print_editorial(figures: list[Figure]) -> None:
    table = Table(title="Editorial self-check (story pages as readers get them)")
    table.add_column("figure")
    for col in ("count", "share", "target"):
        table.add_column(col, justify="right")
    for f in figures:
        table.add_row(f.label, f"{f.numerator}/{f.denominator}", f"{100 * f.share:.1f}%", f.target or "-")
    out.print(table)
    for f in figures:
        if f.examples:  # what to look at first (provenance lists only spans that are not verbatim)
            out.print(Text.assemble((f.key, "bold"), ": ", "; ".join(f.examples)), soft_wrap=True)


def _report_json(r: Any) -> dict[str, Any]:
    return {
        "part": r.part,
        "articles": r.articles,
        "found": r.found,
        "bcubed": {"precision": r.stories.precision, "recall": r.stories.recall, "f1": r.stories.f1},
        "duplicates": {
            "precision": r.duplicates.precision,
            "recall": r.duplicates.recall,
            "pairs": r.duplicates.n,
            "predicted": r.duplicates.predicted,
            "correct": r.duplicates.correct,
            "ignored": {
                "near_copies": r.duplicates.ignored_near_copies,
                "rule_copies": r.duplicates.ignored_rule_copies,
            },
            "gold_precision": r.duplicates.gold_precision,
            "gold_not_rule_copies": r.duplicates.gold_not_rule_copies,
        },
        "extraction_f1": r.extraction_f1,
        "extraction_f1_all": r.extraction_f1_all,
    }


@app.command()
def extract(
    page: Annotated[Path, typer.Argument(help="A saved HTML page.")],
    url: Annotated[str, typer.Option(help="The page's URL (helps metadata).")] = "http://localhost/page.html",
) -> None:
    """Print one page's extraction as JSON (to debug a source)."""
    from dataclasses import asdict

    from storyline.extraction import extract as run_extract

    try:
        result = run_extract(page.read_bytes(), url)
    except StorylineError as exc:
        out.print_json(json.dumps({"error": exc.kind, "message": str(exc)}))
        raise typer.Exit(1) from None
    data = asdict(result)
    data["published_at"] = result.published_at.isoformat() if result.published_at else None
    out.print_json(json.dumps(data, ensure_ascii=False))


@app.command()
def stories(
    data_dir: Annotated[Path | None, typer.Option()] = None, limit: Annotated[int, typer.Option()] = 30
) -> None:
    """List the biggest stories in the warehouse."""
    _print_stories(_settings(data_dir), limit)


@app.command()
def replay(
    stage: Annotated[str, typer.Option(help="Stage whose dead letters to replay (extract).")] = "extract",
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Re-run dead-lettered items through the pipeline (after a fix); items that fail again stay recorded."""
    from storyline.bootstrap import build
    from storyline.events import ArticleFetched
    from storyline.services.pipeline import RunSummary

    if stage != "extract":
        _fail("embedded mode dead-letters at extract; other stages replay by re-running")
    settings = _settings(data_dir)
    application = build(settings)
    try:
        letters = application.warehouse.dead_letters(stage)
        events = [ArticleFetched.model_validate_json(d.payload) for d in letters]
        for d in letters:
            application.warehouse.clear_dead_letter(d.stage, d.subject)
        summary = RunSummary()
        with _progress() as bar:
            application.pipeline.process_fetched(events, summary, RichProgress(bar))
    finally:
        application.close()
    failed = summary.extract_failed
    out.print(f"replayed {len(events)}: {len(events) - failed} recovered, {failed} failed again")


@app.command()
def reextract(
    into: Annotated[str, typer.Option(help="SQLAlchemy URL of the warehouse to rebuild into (a new, empty one).")],
    data_dir: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Rebuild articles and stories from the raw archive into another warehouse (no network; e.g. after an
    extraction fix). Reads the current warehouse's archived pages, runs every stage over them."""
    from pydantic import SecretStr

    from storyline.bootstrap import build

    settings = _settings(data_dir)
    events = _existing_warehouse(settings).archived_pages()
    try:
        target = build(settings.model_copy(update={"database_url": SecretStr(into)}))
    except Exception as exc:
        exc.add_note("--into")  # the warehouse that failed is the target, not STORYLINE_DATABASE_URL
        raise
    try:
        with _progress() as bar:
            summary = target.pipeline.reextract(events, RichProgress(bar))
    finally:
        target.close()
    _print_summary(summary, 0.0)


@app.command()
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
    """Merge stories the online pass split (records merged_into and the merge log; merged ids keep resolving)."""
    from datetime import UTC, datetime, timedelta

    from storyline.bootstrap import build_maintenance
    from storyline.services.maintenance import consolidate as run_consolidation

    settings = _settings(data_dir)
    m = build_maintenance(settings)
    try:
        report = run_consolidation(
            m.warehouse,
            m.enrich,
            datetime.now(UTC),
            timedelta(days=days) if days is not None else None,
            ConsolidationParams(threshold=threshold, max_gap=timedelta(days=max_gap_days)),
            m.cluster,
        )
    except ValueError as exc:  # parameters out of range
        _fail(exc)
    finally:
        m.close()
    out.print(f"stories considered {report.stories}, merged {len(report.merges)}, re-enriched {len(report.updated)}")
    for merge in report.merges:
        out.print(f"  {merge.loser} -> {merge.survivor} (score {merge.score:.3f})")


@app.command()
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
    from datetime import UTC, datetime, timedelta

    from storyline.bootstrap import build_maintenance
    from storyline.services.maintenance import expire_raw_objects

    if raw_days is None and fetch_log_days is None:
        _fail("nothing to do: give --raw-days and/or --fetch-log-days")
    settings = _settings(data_dir)
    m = build_maintenance(settings)
    now = datetime.now(UTC)
    try:
        if raw_days is not None:
            n = expire_raw_objects(m.warehouse, m.blobs, now - timedelta(days=raw_days), now)
            out.print(f"raw objects expired: {n}")
        if fetch_log_days is not None:
            n = m.warehouse.delete_fetch_rows_before(now - timedelta(days=fetch_log_days))
            out.print(f"fetch-log rows deleted: {n}")
    finally:
        m.close()


@app.command()
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
    from workers.loop import run_worker

    settings = _settings(data_dir)
    try:
        code = run_worker(stage, from_dlq=from_dlq, settings=settings, metrics_port=metrics_port, backfill=backfill)
    except ValueError as exc:  # an unknown stage
        _fail(exc)
    raise typer.Exit(code)


@app.command()
def topics(
    file: Annotated[Path, typer.Option(help="Topic list (the one source for scripts, tests and compose).")] = Path(
        "infra/kafka/topics.yaml"
    ),
) -> None:
    """Create the Kafka topics of topics.yaml that do not exist yet (docker-compose's one-shot init)."""
    import yaml

    from storyline.adapters.kafka import ensure_topics, wait_for_broker

    settings = _settings(None)
    wait_for_broker(settings.kafka_bootstrap, timeout_s=120)
    created = ensure_topics(settings.kafka_bootstrap, yaml.safe_load(file.read_text(encoding="utf-8")))
    out.print(f"created {len(created)} topics" + (f": {', '.join(created)}" if created else " (all existed)"))


@app.command()
def schemas(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path("schemas"),
    check: Annotated[bool, typer.Option(help="Only report drift; exit 1 when files differ.")] = False,
) -> None:
    """Write (or check) JSON Schema per event topic and DDL snapshots."""
    from storyline.contracts import drift, write

    if check:
        stale = drift(out_dir)
        for rel in stale:
            console.print(Text.assemble(("out of date: ", "red"), str(out_dir / rel)))
        raise typer.Exit(1 if stale else 0)
    for path in write(out_dir):
        out.print(f"wrote {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
