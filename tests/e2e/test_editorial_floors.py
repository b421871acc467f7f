"""Editorial floors (issue 17 item 12): `storyline eval`'s self-check of the story pages, on the demo and replay-dev."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

# The demo warehouse and the replay server: the fixtures of the tests that already build them (no second conftest).
from test_replay_corpus import CORPUS, SERVER, replay_base  # noqa: F401
from test_story_pages import DemoRun, demo  # noqa: F401
from typer.testing import CliRunner

from storyline.adapters.http import read_text
from storyline.bootstrap import App
from storyline.cli import app as cli_app
from storyline.demo.site import gold_rows
from storyline.sources.registry import parse_sources

pytestmark = pytest.mark.e2e


def _editorial(data_dir: Path, gold: Path | None = None, base: str = "") -> dict[str, dict[str, Any]]:
    """The editorial figures as `storyline eval --json` prints them, by key."""
    args = ["eval", "--data-dir", str(data_dir), "--json"]
    if gold is not None:
        args += ["--gold", str(gold), "--base", base]
    done = CliRunner().invoke(cli_app, args)
    assert done.exit_code == 0, done.output
    figures = {f["key"]: f for f in json.loads(done.stdout)["editorial"]}
    for f in figures.values():
        print(f"{f['key']:24} {f['numerator']:>5}/{f['denominator']:<5} {100 * f['share']:6.2f}%  {f['examples'][:1]}")
    return figures


def _share(f: dict[str, Any]) -> float:
    return float(f["numerator"]) / f["denominator"] if f["denominator"] else 0.0


def test_demo_editorial_floors(demo: DemoRun, tmp_path: Path) -> None:  # noqa: F811 - the imported fixture
    data_dir = Path(demo.database_url.removeprefix("sqlite:///")).parent
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(g) + "\n" for g in gold_rows(demo.base_url)))
    without = _editorial(data_dir)
    assert {"same_event_links", "off_event_perspectives"}.isdisjoint(without)  # they need gold
    fig = _editorial(data_dir, gold, demo.base_url)
    assert fig["provenance"]["numerator"] == fig["provenance"]["denominator"] > 100
    assert _share(fig["fragments"]) <= 0.005
    assert fig["front_page"]["numerator"] == fig["front_page"]["denominator"] >= 5  # every demo story has 2+ outlets
    assert fig["off_event_perspectives"]["numerator"] == 0 and fig["same_event_links"]["numerator"] == 0
    assert fig["single_article"]["numerator"] == fig["no_summary"]["numerator"] == 0
    # Measured at aa4bf6f: templated 0/2, described 11/45 (14/45 on 2026-12-06), junk 0/45, fragments 0/273 (at
    # 902e06e, before the rest of issue 17: templated 8/8, described 3/45). The demo's small fictional coverage
    # says who its councils and companies are less often than replay-dev's real news does (ADR 0019).
    assert _share(fig["templated_questions"]) <= 0.05
    assert _share(fig["described_cards"]) >= 0.3
    assert _share(fig["junk_cards"]) <= 0.03


@pytest.mark.replay
@pytest.mark.skipif(
    not (CORPUS / "sources.json").exists() or not SERVER.exists(),
    reason=f"replay corpus not available at {CORPUS} (see ../shared/data/README.md)",
)
def test_replay_editorial_floors(replay_base: str, app_factory: Callable[..., App]) -> None:  # noqa: F811
    app = app_factory()
    app.pipeline.run(parse_sources(read_text(f"{replay_base}/sources.json"), "sources.json"))
    fig = _editorial(app.settings.data_dir, CORPUS / "gold" / "articles.jsonl", replay_base)
    assert fig["provenance"]["numerator"] == fig["provenance"]["denominator"] > 2000
    assert fig["front_page"]["numerator"] >= 18 and fig["front_page"]["denominator"] == 20
    # Measured at aa4bf6f (before issue 17, 902e06e): fragments 9/3383 (34/2355), templated questions 0/65
    # (192/192), same-event links 4/154 (40/297), described cards 200/746 (44/788), junk cards 4/746 (67/788),
    # off-event perspective sentences 12/2244 (4/967), bad headlines 19/205 (24/205); described cards 298/630 and
    # junk 3/630 since descriptions come from whole texts (12e46db); described 327/632 with group and organisation
    # clauses, nouns of who someone is, "Republican of Arkansas", "the Tea Party movement" (2026-12-06). Issue
    # 17's targets: fragments <= 0.5%, templated <= 5%, same-event <= 5%, described >= 50%, junk <= 3%, off-event
    # <= 1%.
    assert _share(fig["fragments"]) <= 0.005
    assert _share(fig["templated_questions"]) <= 0.05
    assert _share(fig["same_event_links"]) <= 0.05
    assert _share(fig["described_cards"]) >= 0.50
    assert _share(fig["junk_cards"]) <= 0.03
    assert _share(fig["off_event_perspectives"]) <= 0.01
    assert _share(fig["bad_headlines"]) <= 0.12
