"""Page analysis ahead of the extract stage: on worker processes (embedded) and as one model pass per polled batch
(streaming). Same results as in-process; a bad page still gets its own error, routed as before."""

from __future__ import annotations

import os
import signal
import struct
import time
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storyline.adapters.analysis import PooledAnalyser
from storyline.adapters.blobstore import LocalBlobStore
from storyline.adapters.ner_spacy import SpacyRecognizer
from storyline.adapters.warehouse import SqlWarehouse
from storyline.adapters.warehouse.tables import ArticleRow
from storyline.domain.dedup import fingerprint_of
from storyline.domain.errors import PermanentError
from storyline.events import ArticleFetched
from storyline.services.stages import EnrichStage, ExtractStage

T0 = datetime(2026, 2, 3, 9, tzinfo=UTC)
GOOD = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ferry service resumes {n}</title>
</head><body><article><h1>Ferry service resumes after storm {n}</h1>
<p>Ferries between Port Ellis and Marrow Island resumed on Tuesday morning after two days of cancellations
caused by the storm that swept the coast over the weekend, the operator said in a statement.</p>
<p>Bluewater Lines, the island's only ferry operator, said the first sailing left at seven o'clock with about
eighty passengers on board and that extra crossings would run through Wednesday to clear the backlog.</p>
</article></body></html>"""
EMPTY = "<!doctype html><html><head><title>Gallery</title></head><body><p>Photos.</p></body></html>"


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[ExtractStage]:
    wh = SqlWarehouse(f"sqlite:///{tmp_path / 'w.db'}")
    wh.upgrade()
    analyser = PooledAnalyser(SpacyRecognizer(), processes=2, min_pages=1)
    yield ExtractStage(LocalBlobStore(tmp_path / "raw"), wh, analyser)
    analyser.close()
    wh.engine.dispose()


@pytest.fixture
def make_events(archived_page: Any) -> Any:
    def make(stage: ExtractStage, pages: list[str]) -> list[ArticleFetched]:
        return [archived_page(stage.blobs, f"a{i}", f"raw/{i}", html, T0) for i, html in enumerate(pages)]

    return make


def _names(stage: ExtractStage, article_id: str) -> set[str]:
    """Entities stored with the article row."""
    wh = stage.articles
    assert isinstance(wh, SqlWarehouse)
    with wh.engine.connect() as conn:
        value = conn.execute(select(ArticleRow.entities).where(ArticleRow.article_id == article_id)).scalar_one()
    return {m[0] for m in value["mentions"]}


def test_pool_results_equal_in_process_and_a_bad_page_keeps_its_error(stage: ExtractStage, make_events: Any) -> None:
    pages = [GOOD.format(n=n) for n in range(20)] + [EMPTY] + [GOOD.format(n=20)]
    events = make_events(stage, pages)
    ahead = list(stage.ahead(events))
    assert [ev.article_id for ev, _ in ahead] == [ev.article_id for ev in events], "order kept"
    assert stage.analyser._pool is not None  # type: ignore[attr-defined] # analysed on worker processes
    assert [a is None for _, a in ahead] == [False] * 20 + [True, False]
    in_process = stage.analyser.analyse_batch([stage._job(ev) for ev in events])
    assert [a for _, a in ahead] == in_process
    for ev, analysis in ahead:
        if analysis is None:
            with pytest.raises(PermanentError) as err:
                stage.handle_batch([(ev, analysis)])  # redone in-process: the page's own error, for the router
            assert err.value.kind == "no_text"
        else:
            stage.handle_batch([(ev, analysis)])
    assert {"Port Ellis", "Bluewater Lines"} <= _names(stage, "a0")


def test_a_polled_batch_is_analysed_in_one_pass_and_handled_from_it(
    stage: ExtractStage, make_events: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = make_events(stage, [GOOD.format(n=0), EMPTY, GOOD.format(n=1)])
    missing = events[2].model_copy(update={"article_id": "gone", "raw_object_key": "raw/none"})
    ahead = list(stage.ahead([*events, missing]))
    analysed = {(ev.article_id, ev.raw_object_key) for ev, a in ahead if a is not None}
    assert analysed == {("a0", "raw/0"), ("a2", "raw/2")}
    again: list[str] = []  # pages analysed a second time, when handled
    analyse = stage.analyser.analyse
    monkeypatch.setattr(stage.analyser, "analyse", lambda job: again.append(job.url) or analyse(job))
    stage.handle_batch([ahead[0]])
    stage.handle_batch([ahead[2]])
    assert again == [], "each result analysed ahead was used"
    with pytest.raises(PermanentError) as empty:
        stage.handle_batch([ahead[1]])
    with pytest.raises(PermanentError) as gone:
        stage.handle_batch([ahead[3]])
    assert (empty.value.kind, gone.value.kind) == ("no_text", "missing_object")
    assert {"Port Ellis", "Bluewater Lines"} <= _names(stage, "a2")


def test_an_extract_worker_loads_the_model_before_its_first_record(tmp_path: Path) -> None:
    from storyline.bootstrap import build_stage, build_warehouse
    from storyline.settings import Settings

    settings = Settings(data_dir=tmp_path)
    wh = build_warehouse(settings)
    extract = build_stage("extract", settings, wh, LocalBlobStore(tmp_path / "raw"))
    enrich = build_stage("enrich", settings, wh, LocalBlobStore(tmp_path / "raw"))
    assert isinstance(extract, ExtractStage)
    assert isinstance(extract.analyser, PooledAnalyser)
    assert extract.analyser.recognizer.loaded
    # Enrichment reads stored entities: its worker does not pay for the model up front.
    assert isinstance(enrich, EnrichStage)
    assert isinstance(enrich.recognizer, SpacyRecognizer)
    assert not enrich.recognizer.loaded
    wh.engine.dispose()


def _texts(n: int) -> list[tuple[str, str]]:
    return [(f"h{i}", GOOD.format(n=i) * (1 + i % 3)) for i in range(n)]


def _kill_workers(analyser: PooledAnalyser) -> None:
    """SIGKILL the pool's worker processes, as the OOM killer would."""
    pool = analyser._pool
    assert pool is not None
    for pid in list(pool._processes):  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)


def test_the_pool_maps_pure_work_to_the_in_process_results() -> None:
    analyser = PooledAnalyser(SpacyRecognizer(), processes=2)
    try:
        items = _texts(40)
        assert analyser.map(fingerprint_of, items) == [fingerprint_of(x) for x in items]
        assert analyser._pool is not None, "mapped on the worker processes"
        assert analyser.map(fingerprint_of, items[:3]) == [fingerprint_of(x) for x in items[:3]]
    finally:
        analyser.close()


def test_a_dead_worker_costs_the_pool_not_the_result() -> None:
    analyser = PooledAnalyser(SpacyRecognizer(), processes=2)
    try:
        items = _texts(40)
        analyser.map(fingerprint_of, items)
        _kill_workers(analyser)
        assert analyser.map(fingerprint_of, items) == [fingerprint_of(x) for x in items]
        assert analyser.map(fingerprint_of, items) == [fingerprint_of(x) for x in items], "a new pool next time"
    finally:
        analyser.close()


def test_work_started_ahead_comes_back_in_order_even_after_the_pool_dies() -> None:
    analyser = PooledAnalyser(SpacyRecognizer(), processes=2)
    try:
        items = _texts(40)
        expected = [fingerprint_of(x) for x in items]
        first = analyser.map_async(fingerprint_of, items)
        second = analyser.map_async(fingerprint_of, items[::-1])
        assert first() == expected
        _kill_workers(analyser)
        third = analyser.map_async(fingerprint_of, items)  # submitted to a broken pool: done in-process
        assert second() == expected[::-1]
        assert third() == expected
    finally:
        analyser.close()


def test_a_wait_on_a_pool_whose_worker_died_unnoticed_ends_and_the_next_work_gets_a_new_pool() -> None:
    analyser = PooledAnalyser(SpacyRecognizer(), processes=2)
    try:
        items = _texts(40)
        analyser.map(fingerprint_of, items)
        pool = analyser._pool
        assert pool is not None
        _kill_workers(analyser)
        # A result the executor will never deliver: what a wait sees when the pool's manager misses a worker's
        # death (it happened in CI, a worker killed while holding the call queue's lock). It must not hang.
        never: Future[list[str]] = Future()
        with pytest.raises(BrokenProcessPool):
            analyser._outcome(pool, never)
        assert analyser._pool is None, "abandoned"
        assert analyser.map(fingerprint_of, items) == [fingerprint_of(x) for x in items]
        assert analyser._pool is not None and analyser._pool is not pool, "a new pool"
    finally:
        analyser.close()


def test_an_abandoned_pool_whose_manager_waits_on_half_a_result_lets_the_interpreter_exit() -> None:
    analyser = PooledAnalyser(SpacyRecognizer(), processes=2)
    items = _texts(40)
    analyser.map(fingerprint_of, items)
    pool = analyser._pool
    assert pool is not None
    manager = pool._executor_manager_thread  # type: ignore[attr-defined]
    # What a worker killed mid-write leaves: a result's length header and a few of its bytes. The manager thread
    # reads them and then waits for the rest, which no process will ever write (CI hung at exit on this).
    os.write(pool._result_queue._writer.fileno(), struct.pack("!i", 4096) + b"half")  # type: ignore[attr-defined]
    time.sleep(0.5)
    assert manager.is_alive()
    analyser._abandon(pool)
    manager.join(10)
    assert not manager.is_alive(), "the manager thread ends: nothing is left for the interpreter to wait on"
    assert analyser.map(fingerprint_of, items) == [fingerprint_of(x) for x in items]
    analyser.close()


def test_streamed_results_come_in_order_and_whole_from_a_broken_pool() -> None:
    analyser = PooledAnalyser(SpacyRecognizer(), processes=2)
    try:
        items = _texts(400)
        expected = [fingerprint_of(x) for x in items]
        stream = analyser.imap(fingerprint_of, items)
        head = [next(stream) for _ in range(5)]
        assert head + list(stream) == expected
        # Killed between maps, not during one: a worker killed mid-task can hang Python's ProcessPoolExecutor.
        _kill_workers(analyser)
        assert list(analyser.imap(fingerprint_of, items)) == expected, "mapped here, the pool being broken"
        assert list(analyser.imap(fingerprint_of, items)) == expected, "a new pool next time"
    finally:
        analyser.close()
