"""What the `storyline` commands share: the consoles, settings, one-line user errors, progress bars, summaries."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from storyline.domain.errors import ConfigError, StorylineError
from storyline.settings import Settings

# Markup off: headlines, titles and names are data and print as text ("[/bold]" in a title is not a tag).
console = Console(stderr=True, markup=False, emoji=False)
out = Console(markup=False, emoji=False)

SERVE_PORT = 8700


def one_line(text: str) -> str:
    return " ".join(text.split())


def _database_problem(exc: BaseException) -> str | None:
    """The driver's own words when a database could not be reached or used (its message names host and port and
    never the password), found anywhere in the chain: the warehouse wraps them in TransientError."""
    from storyline.bootstrap import database_error

    driver = database_error(exc)
    if driver is None:
        return None
    where = next(iter(getattr(exc, "__notes__", [])), "STORYLINE_DATABASE_URL")
    return (
        f"warehouse unavailable: {one_line(driver)} — start the database, or fix {where} "
        "if it points at the wrong place"
    )


def user_error(exc: Exception) -> str | None:
    """One line for an error the user can fix (bad settings or input, a database that is down); None for a bug."""
    database = _database_problem(exc)
    if database is not None:
        return database
    if isinstance(exc, ValidationError) and exc.title == Settings.__name__:
        prefix = Settings.model_config.get("env_prefix", "")
        problems = (f"{prefix}{'_'.join(map(str, e['loc'])).upper()}={e['input']!r}: {e['msg']}" for e in exc.errors())
        return f"invalid setting {'; '.join(problems)} (fix or unset it)"
    if isinstance(exc, StorylineError):
        return one_line(str(exc))
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}"
    return None


def fail(problem: Exception | str) -> NoReturn:
    console.print(Text.assemble(("error: ", "bold red"), one_line(str(problem))), soft_wrap=True)
    raise typer.Exit(2)


def load_settings(data_dir: Path | None) -> Settings:
    settings = Settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return settings


def read_input(location: str, what: str) -> str:
    """A registry or gold file as text; a binary or non-UTF-8 file is the user's to fix, said in one line."""
    from storyline.bootstrap import read_location

    try:
        return read_location(location)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{location} is not UTF-8 text (byte {exc.start}): give {what} saved as UTF-8") from exc


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


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def print_summary(summary: Any, seconds: float) -> None:
    table = Table(title=f"Run summary ({seconds:.1f} s)", show_header=False)
    for label, value in summary.lines():
        table.add_row(label, str(value))
    out.print(table)


def print_stories(settings: Settings, limit: int) -> None:
    from storyline.bootstrap import open_warehouse

    warehouse = open_warehouse(settings)
    stories = warehouse.stories_overview(limit)
    table = Table(title=f"Stories (top {len(stories)} by articles)")
    table.add_column("articles", justify="right")
    table.add_column("headline")
    table.add_column("outlets")
    for s in stories:
        table.add_row(str(s["article_count"]), s["headline"] or "", ", ".join(s["outlets"]))
    out.print(table)
    warehouse.engine.dispose()
