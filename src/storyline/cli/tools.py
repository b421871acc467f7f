"""Setup and debugging commands: `extract` (one page), `topics` (create Kafka topics), `schemas` (contracts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from storyline.cli.common import console, load_settings, out
from storyline.domain.errors import StorylineError


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


def topics(
    file: Annotated[Path, typer.Option(help="Topic list (the one source for scripts, tests and compose).")] = Path(
        "infra/kafka/topics.yaml"
    ),
) -> None:
    """Create the Kafka topics of topics.yaml that do not exist yet (docker-compose's one-shot init)."""
    import yaml

    from storyline.bootstrap import create_topics

    settings = load_settings(None)
    created = create_topics(settings, yaml.safe_load(file.read_text(encoding="utf-8")))
    out.print(f"created {len(created)} topics" + (f": {', '.join(created)}" if created else " (all existed)"))


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
