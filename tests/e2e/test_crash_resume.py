"""A run killed (SIGKILL) at any point is finished by the next one: exactly the stories of an uninterrupted run."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import storyline.services.stages.enrich as stages_module
from storyline.adapters.warehouse.tables import StoryArticleRow, StoryRow, TermFrequencyRow
from storyline.bootstrap import App
from storyline.demo.site import gold_rows
from storyline.domain.records import HttpResult
from storyline.ports import Fetcher
from storyline.sources.registry import parse_sources

pytestmark = pytest.mark.e2e

# Small batches, so that each stage spans several transactions and a kill can fall between two of them.
BATCH = 4
SECTIONS_PER_TRANSACTION = 2


def _app(factory: Callable[..., App], data_dir: Path, database_url: str) -> App:
    app = factory(database_url, data_dir=data_dir, analysis_processes=2)
    app.analyser.min_pages = 1  # pages analysed on two worker processes
    app.pipeline.offload_min_pages = 1  # and fetched in a crawl process of their own, as big runs are
    app.pipeline.dedup_batch = BATCH
    return app


def _story_tables(app: App) -> dict[str, Any]:
    """What readers get: memberships, each story's headline and sections, and the clustering statistics."""
    with app.warehouse.session() as s:
        members = sorted((r.article_id, r.story_id, r.score, r.is_seed) for r in s.scalars(select(StoryArticleRow)))
        stories = sorted(
            (r.story_id, r.headline, json.dumps(r.sections, sort_keys=True), r.article_count, r.outlet_count)
            for r in s.scalars(select(StoryRow))
        )
        pending = [r.story_id for r in s.scalars(select(StoryRow).where(StoryRow.sections_pending.is_(True)))]
        df = sorted((r.term, r.df) for r in s.scalars(select(TermFrequencyRow)) if r.term != "\x00lock")
    urls = sorted((r["url"], r["story_id"], r["duplicate_of"]) for r in app.warehouse.assignments())
    return {"members": members, "stories": stories, "pending": pending, "df": df, "urls": urls}


class CrawlKiller:
    """The real fetcher; in the crawl process, after `pages` pages, it kills the run (its parent) with SIGKILL."""

    def __init__(self, inner: Fetcher, run_pid: int, pages: int, pids: Path) -> None:
        self.inner, self.run_pid, self.left, self.pids = inner, run_pid, pages, pids

    def get(self, url: str, headers: dict[str, str] | None = None) -> HttpResult:
        if os.getpid() != self.run_pid and url.endswith(".html"):
            if self.left == 0:
                self.pids.write_text(str(os.getpid()))
                os.kill(self.run_pid, signal.SIGKILL)
                time.sleep(60)  # the crawl process must end by itself, now that its parent is gone
            self.left -= 1
        return self.inner.get(url, headers)


def _kill_on_call(app: App, target: Any, name: str, call: int, pids: Path) -> None:
    """Replace `target.name` so that its `call`-th call kills this process with SIGKILL (no cleanup of any kind)
    before doing anything; the pids of the analysis workers are noted first, to check they end too."""
    real = getattr(target, name)
    calls = {"n": 0}

    def dying(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == call:
            pool = app.analyser._pool
            workers = list(pool._processes or {}) if pool is not None else []
            pids.write_text(" ".join(map(str, workers)))
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    setattr(target, name, dying)


def _doomed_run(
    factory: Callable[..., App], data_dir: Path, database_url: str, sources_json: str, point: str, pids: Path
) -> None:
    """In a forked process: a run that is killed at `point`. Never returns into the test process."""
    try:
        app = _app(factory, data_dir, database_url)
        if point == "crawl":
            app.pipeline.crawler.fetcher = CrawlKiller(app.pipeline.crawler.fetcher, os.getpid(), 12, pids)
        elif point == "analysis":
            _kill_on_call(app, app.warehouse, "upsert_articles", 3, pids)
        elif point == "clustering":
            _kill_on_call(app, app.warehouse, "save_cluster_steps", 4, pids)
        else:
            stages_module._SECTIONS_PER_TRANSACTION = SECTIONS_PER_TRANSACTION
            _kill_on_call(app, app.warehouse, "save_sections_many", 2, pids)
        app.pipeline.run(parse_sources(sources_json, "demo"))
    finally:
        os._exit(3)  # not killed where it should have been


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie has ended; only its exit status waits for whoever reaps it


@pytest.mark.parametrize("point", ["crawl", "analysis", "clustering", "enrichment"])
def test_a_run_killed_anywhere_is_finished_by_the_next(
    demo_site: tuple[str, list[dict[str, str]]],
    database_url: str,
    point: str,
    tmp_path: Path,
    app_factory: Callable[..., App],
) -> None:
    base, sources = demo_site
    sources_json = json.dumps(sources)

    clean = _app(app_factory, tmp_path / "clean", f"sqlite:///{tmp_path / 'clean.db'}")
    clean.pipeline.run(parse_sources(sources_json, "demo"))
    expected = _story_tables(clean)
    assert len({sid for _, sid, _ in expected["urls"]}) == len({g["story"] for g in gold_rows(base)})

    pids = tmp_path / "children.pids"
    ctx = multiprocessing.get_context("fork")
    doomed = ctx.Process(
        target=_doomed_run, args=(app_factory, tmp_path / "run", database_url, sources_json, point, pids)
    )
    doomed.start()
    doomed.join(120)
    assert doomed.exitcode == -signal.SIGKILL, f"the run was not killed at {point} (exit code {doomed.exitcode})"

    # Its crawl process or analysis workers do not outlive it.
    children = [int(p) for p in pids.read_text().split()]
    assert children, "the killed run had child processes"
    deadline = time.monotonic() + 10
    while not all(map(_gone, children)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(map(_gone, children)), f"children of the killed run still alive: {children}"

    app = _app(app_factory, tmp_path / "run", database_url)  # the same warehouse and raw archive
    interrupted = _story_tables(app)
    assert interrupted != expected, "the killed run had not finished"
    summary = app.pipeline.run(parse_sources(sources_json, "demo"))
    if point in ("analysis", "clustering"):
        assert summary.resumed > 0
    assert _story_tables(app) == expected
