"""`storyline eval`: the warehouse scored (editorial self-check of its story pages; BCubed, duplicates, text F1)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from storyline.cli.common import load_settings, out, read_input
from storyline.settings import Settings

if TYPE_CHECKING:
    from storyline.domain.editorial import Figure


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
    from storyline.bootstrap import open_warehouse
    from storyline.services.evaluation import parse_gold, run_eval

    settings = load_settings(data_dir)
    gold_rows = parse_gold(read_input(gold, "gold articles as JSON lines"), base, gold) if gold else None
    warehouse = open_warehouse(settings)
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
    from storyline.bootstrap import build_reader
    from storyline.ports import MAX_PAGE, StoryFilter
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
    return asdict(f) | {"share": round(f.share, 4)}


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
