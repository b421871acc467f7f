"""End to end over the project's demo site: exact stories, exact duplicates, recorded failures, idempotent re-run."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from store_steps import story_articles
from storyline.adapters.offload import OffloadError
from storyline.adapters.warehouse.tables import FetchRow
from storyline.bootstrap import App
from storyline.cli import app as cli_app
from storyline.demo.site import build_site, expected_failures, gold_rows
from storyline.domain.records import HttpResult
from storyline.ports import Fetcher
from storyline.sources.registry import parse_sources

pytestmark = pytest.mark.e2e


def _partition(pairs: list[tuple[str, str]]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for url, label in pairs:
        groups[label].add(url)
    return {frozenset(g) for g in groups.values()}


class PidFetcher:
    """The real fetcher, noting which process made each request (one line per request: pid and URL)."""

    def __init__(self, inner: Fetcher, log: Path) -> None:
        self.inner, self.log = inner, log

    def get(self, url: str, headers: dict[str, str] | None = None) -> HttpResult:
        with self.log.open("a") as fh:
            fh.write(f"{os.getpid()} {url}\n")
        return self.inner.get(url, headers)


@pytest.mark.parametrize("analysis", ["in-process", "pool", "pool + crawl process"])
def test_demo_gives_the_exact_stories_and_duplicates(
    demo_site: tuple[str, list[dict[str, str]]],
    app_factory: Callable[..., App],
    database_url: str,
    analysis: str,
    tmp_path: Path,
) -> None:
    """Pages analysed in-process (as a streaming extract worker does) or ahead on two worker processes (embedded
    runs of 64 pages or more; here every run), and pages fetched here or in a crawl process of their own (embedded
    runs of 64 pages or more): the same stories, copies, fetch log, dead letters and stored entities."""
    base, sources_json = demo_site
    app = app_factory(database_url, analysis_processes=2)
    if analysis == "in-process":
        app.analyser.processes = 1
    else:
        app.analyser.min_pages = 1
    offloaded = analysis == "pool + crawl process"
    app.pipeline.offload_min_pages = 1 if offloaded else 10**9
    requests = tmp_path / "requests.log"
    app.pipeline.crawler.fetcher = PidFetcher(app.pipeline.crawler.fetcher, requests)
    sources = parse_sources(json.dumps(sources_json), "demo")
    summary = app.pipeline.run(sources)

    # Feeds and robots.txt are read here, while planning; the pages were fetched in the crawl process if offloaded.
    by_pid: dict[str, set[str]] = defaultdict(set)
    for line in requests.read_text().splitlines():
        pid, url = line.split(" ", 1)
        by_pid[pid].add(url)
    here = by_pid.pop(str(os.getpid()))
    page_urls = {str(g["url"]) for g in gold_rows(base)}
    assert any(u.endswith(("feed.xml", "robots.txt")) for u in here)
    if offloaded:
        assert len(by_pid) == 1 and page_urls <= next(iter(by_pid.values())) and not page_urls & here
    else:
        assert not by_pid and page_urls <= here

    gold = gold_rows(base)
    got = {row["url"]: row for row in app.warehouse.assignments()}
    assert set(got) == {str(g["url"]) for g in gold}, "every gold article, and nothing else, is stored"
    assert _partition([(u, str(r["story_id"])) for u, r in got.items()]) == _partition(
        [(str(g["url"]), str(g["story"])) for g in gold]
    )
    assert {u: r["duplicate_of"] for u, r in got.items()} == {str(g["url"]): g["duplicate_of"] for g in gold}

    n_dups = sum(1 for g in gold if g["duplicate_of"])
    assert summary.articles_duplicate == n_dups and summary.articles_new == len(gold) - n_dups
    assert summary.stories_new == len({g["story"] for g in gold})

    # The bad items are recorded with their reasons; the rest went through.
    failures = expected_failures(base)
    with app.warehouse.session() as s:
        rows = list(s.scalars(select(FetchRow)))
        fetches = {(r.url, r.outcome): r.reason for r in rows}
    # Every decision of the run is on record once, wherever it was made.
    assert len(rows) == len(fetches) and {u for u, o in fetches if o == "fetched"} >= page_urls
    assert summary.pages_fetched == sum(1 for r in rows if r.kind == "page" and r.outcome == "fetched")
    letters = {d.subject: d for d in app.warehouse.dead_letters()}
    for url, kind in failures.items():
        if kind == "disallowed":
            assert (url, "disallowed") in fetches
        elif kind == "malformed_feed":
            assert fetches[(url, "failed")].startswith("malformed_feed:")
        elif kind == "no_text":
            assert letters[url].error_kind == "no_text" and "no article text" in letters[url].message

    # Every section sentence is verbatim from the article it cites.
    story_ids = {r["story_id"] for r in got.values()}
    members = [a for sid in story_ids for a in story_articles(app.warehouse, sid)]
    texts = {a.article_id: a.text for a in members}
    # Entities were recognised once, at extraction, and stored with each article (spans into its text).
    assert all(a.entities is not None for a in members)
    mentions = [(a.text, m) for a in members for m in a.entities.mentions if not m.in_title]  # type: ignore[union-attr]
    assert len(mentions) > len(members) and all(t[m.start : m.end] == m.name for t, m in mentions)
    assert (app.analyser._pool is not None) == (analysis != "in-process")
    for story in story_ids:
        sections = app.warehouse.story_snapshot(story)["sections"]
        cited = sections["what_happened"] + sections["behind_the_headline"]
        cited += [c for p in sections["perspectives"] for c in p["sentences"]]
        assert 2 <= len(sections["what_happened"]) <= 4
        for c in cited:
            assert texts[c["article_id"]][c["start"] : c["end"]] == c["text"]

    # Re-running over the same sources changes no row (the fetch log only appends this run's decisions).
    before = app.warehouse.table_digest()
    again = app.pipeline.run(sources)
    assert again.pages_fetched == 0 and again.articles_new == 0 and again.stories_new == 0
    assert again.feeds_not_modified == summary.feeds_ok and again.feeds_ok == 0  # conditional GET: 304s
    assert app.warehouse.table_digest() == before


class DyingFetcher:
    """The real fetcher, until the crawl process has made `pages` page requests: then that process dies at once
    (killed, out of memory), with no exception and no chance to record anything."""

    def __init__(self, inner: Fetcher, parent_pid: int, pages: int) -> None:
        self.inner, self.parent_pid, self.left = inner, parent_pid, pages

    def get(self, url: str, headers: dict[str, str] | None = None) -> HttpResult:
        if os.getpid() != self.parent_pid and url.endswith(".html"):
            if self.left == 0:
                os._exit(9)
            self.left -= 1
        return self.inner.get(url, headers)


def test_a_crawl_process_that_dies_is_a_clear_error_and_a_rerun_loses_nothing(
    demo_site: tuple[str, list[dict[str, str]]], app_factory: Callable[..., App], database_url: str
) -> None:
    base, sources_json = demo_site
    app = app_factory(database_url, analysis_processes=2)
    app.pipeline.offload_min_pages = 1
    real = app.pipeline.crawler.fetcher
    app.pipeline.crawler.fetcher = DyingFetcher(real, os.getpid(), pages=12)
    sources = parse_sources(json.dumps(sources_json), "demo")
    with pytest.raises(OffloadError, match="exit code 9 before its work was done"):
        app.pipeline.run(sources)
    stored = {row["url"] for row in app.warehouse.assignments()}
    assert len(stored) < len(gold_rows(base))

    # The next run (here in-process) fetches what the dead one did not deliver: every gold article, exact stories.
    app.pipeline.crawler.fetcher = real
    app.pipeline.offload_min_pages = 10**9
    app.pipeline.run(sources)
    gold = gold_rows(base)
    got = {row["url"]: row for row in app.warehouse.assignments()}
    assert set(got) == {str(g["url"]) for g in gold} and stored <= set(got)
    assert _partition([(u, str(r["story_id"])) for u, r in got.items()]) == _partition(
        [(str(g["url"]), str(g["story"])) for g in gold]
    )


def test_cli_export_and_eval_on_the_demo(demo_site: tuple[str, list[dict[str, str]]], tmp_path: Path) -> None:
    base, sources_json = demo_site
    registry = tmp_path / "sources.json"
    registry.write_text(json.dumps(sources_json))
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(g).replace(base, "{{BASE}}") + "\n" for g in gold_rows(base)))
    env = {"STORYLINE_ALLOW_PRIVATE_ADDRESSES": "true", "STORYLINE_MIN_HOST_DELAY_S": "0"}
    data = str(tmp_path / "data")
    runner = CliRunner()

    ran = runner.invoke(cli_app, ["run", "--sources", str(registry), "--data-dir", data], env=env)
    assert ran.exit_code == 0, ran.output
    assert "articles new" in ran.output and "warehouse: sqlite:///" in ran.output

    exported = runner.invoke(cli_app, ["export", "assignments", "--data-dir", data])
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert exported.exit_code == 0 and len(rows) == len(gold_rows(base))
    assert set(rows[0]) == {"url", "article_id", "story_id", "duplicate_of"}

    scored = runner.invoke(cli_app, ["eval", "--gold", str(gold), "--base", base, "--data-dir", data, "--json"])
    assert scored.exit_code == 0, scored.output
    overall = json.loads(scored.stdout)["reports"][0]
    assert overall["bcubed"]["f1"] == 1.0
    assert overall["duplicates"]["precision"] == 1.0 and overall["duplicates"]["recall"] == 1.0
    assert overall["extraction_f1"] > 0.95

    # Operations at a glance: every source with its last crawl and outcomes, the dead letter, the totals.
    # Exit 1: the dead letter needs someone (embedded mode: the warehouse's dead letters are the DLQ).
    status = runner.invoke(cli_app, ["status", "--no-kafka", "--json", "--data-dir", data])
    assert status.exit_code == 1, status.output
    report = json.loads(status.stdout)
    by_source = {src["source_id"]: src for src in report["sources"]}
    assert set(by_source) == {src["id"] for src in sources_json}
    assert all(src["last_crawl"] for src in report["sources"])
    assert sum(src["articles"] for src in report["sources"]) == report["articles"] == len(gold_rows(base))
    assert sum(src["fetches"].get("disallowed", 0) for src in report["sources"]) == 1  # robots.txt
    assert sum(src["fetches"].get("failed", 0) for src in report["sources"]) >= 1  # the malformed feed
    assert report["dead_letters"] == {"extract": 1}  # the page without text
    assert report["stories"] >= 9 and report["newest_article_fetched"]
    assert [(p["kind"], p["subject"]) for p in report["problems"]] == [("dead_letters", "extract")]
    shown = runner.invoke(cli_app, ["status", "--no-kafka", "--data-dir", data])
    assert shown.exit_code == 1 and "dead letters (warehouse): extract 1" in shown.output
    assert "dead letters: 1 at stage extract" in shown.output and "`storyline replay`" in shown.output


def test_cli_reports_a_bad_registry_clearly(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - id: Bad Id\n    feed: ftp://x\n")
    result = CliRunner().invoke(cli_app, ["run", "--sources", str(bad), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "sources.yaml" in result.output and "Bad Id" in result.output and "field 'id'" in result.output


def test_cli_extract_prints_one_page(tmp_path: Path) -> None:
    base = "http://127.0.0.1:9"
    site = build_site(tmp_path / "site", base)
    first = gold_rows(base)[0]
    page = site.root / str(first["url"]).removeprefix(base + "/")
    result = CliRunner().invoke(cli_app, ["extract", str(page), "--url", str(first["url"])])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["title"] and data["language"] == "en" and data["published_at"].startswith("2026-")
    assert data["text"].split()[:5] == str(first["text"]).split()[:5]

    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><div id='player'></div></body></html>")
    failed = CliRunner().invoke(cli_app, ["extract", str(empty)])
    assert failed.exit_code == 1 and json.loads(failed.stdout)["error"] == "no_text"
