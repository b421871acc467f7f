"""Page analysis (trafilatura, then the recogniser on the lead) in this process or on every core via a pool."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from typing import TypeVar

from storyline.adapters.lifetime import exit_with_parent
from storyline.adapters.ner_spacy import MODEL, SpacyRecognizer
from storyline.domain.batches import chunked
from storyline.domain.entities import ENTITY_LANGUAGES, ArticleMentions, Lead
from storyline.domain.records import Extracted, PageAnalysis, PageJob
from storyline.extraction import extract

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Pages per task sent to a worker process: the recogniser batches them in one pass, and pickling overhead is
# paid per task. Small enough that the first results come back quickly.
CHUNK = 16
# Fewer items than this are mapped in-process: the round trip to the workers costs more than the work.
MAP_MIN_ITEMS = 16
# How often a wait for a worker process's result checks that the pool's processes are all alive. A worker killed
# at the wrong moment (e.g. holding the call queue's lock) can leave the executor never noticing its death, and a
# plain wait would never end; a dead process makes the pool broken here, and its work is redone in-process.
LIVENESS_CHECK_S = 1.0
# Fewer pages than this are analysed in-process: starting processes (each loads trafilatura and the model,
# ~2 s) costs more than a small crawl's analysis.
POOL_MIN_PAGES = 64


def _title(page: Extracted, job: PageJob) -> str:
    return page.title or job.fallback_title or ""


class LocalAnalyser:
    """Analyses pages in the calling process."""

    def __init__(self, recognizer: SpacyRecognizer) -> None:
        self.recognizer = recognizer

    def warm_up(self) -> None:
        self.recognizer.load()

    def analyse(self, job: PageJob) -> PageAnalysis:
        return self.analyse_batch([job], strict=True)[0]  # type: ignore[return-value] # strict: never None

    def analyse_batch(self, jobs: Sequence[PageJob | None], strict: bool = False) -> list[PageAnalysis | None]:
        """Extract each page, then recognise entities in chunks of CHUNK pages (one model pass each: a batch costs
        ~40% less per page than one page at a time). With `strict`, an extraction error is raised; otherwise that
        page's result is None, as is a None job's."""
        out: list[PageAnalysis | None] = []
        for at in range(0, len(jobs), CHUNK):
            out.extend(self._analyse_chunk(jobs[at : at + CHUNK], strict))
        return out

    def _analyse_chunk(self, jobs: Sequence[PageJob | None], strict: bool) -> list[PageAnalysis | None]:
        pages = []
        for job in jobs:
            page = None
            if job is not None:
                try:
                    page = extract(job.raw, job.url, job.content_type)
                except Exception:
                    if strict:
                        raise
            pages.append(page)
        leads: list[Lead] = []
        for i, (job, page) in enumerate(zip(jobs, pages, strict=True)):
            if job is not None and page is not None and (page.language or "en") in ENTITY_LANGUAGES:
                leads.append(Lead(f"job{i}", _title(page, job), page.text))
        found = self.recognizer.mentions(leads, cache=False) if leads else {}
        out: list[PageAnalysis | None] = []
        for i, (job, page) in enumerate(zip(jobs, pages, strict=True)):
            if job is None or page is None:
                out.append(None)
                continue
            entities = found.get(f"job{i}") or ArticleMentions("", (), ())
            out.append(PageAnalysis(page, _title(page, job), entities))
        return out

    def analyse_ahead(self, jobs: Iterable[PageJob | None]) -> Iterator[PageAnalysis | None]:
        # In-process, looking ahead CHUNK pages at a time buys the batched model pass.
        for chunk in chunked(iter(jobs), CHUNK):
            yield from self.analyse_batch(chunk)


# The analyser of a pool worker process, made once by its initialiser.
_WORKER: dict[str, LocalAnalyser] = {}


def _init_worker(model: str, parent_pid: int) -> None:
    exit_with_parent(parent_pid)  # a killed run leaves no worker behind
    _WORKER["analyser"] = LocalAnalyser(SpacyRecognizer(model))


def _apply(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [fn(x) for x in items]


def _work(jobs: list[PageJob]) -> list[PageAnalysis | None]:
    try:
        return _WORKER["analyser"].analyse_batch(jobs)
    except Exception:
        # A failure outside extraction (the model itself): the caller redoes these pages in-process, where the
        # error is raised and routed like any other.
        log.exception("page analysis failed in a worker process")
        return [None] * len(jobs)


def _unblock_manager(pool: ProcessPoolExecutor) -> None:
    """A worker killed while writing its result leaves half a message in the result pipe: the executor's manager
    thread then waits forever for the rest, never sees the death, and the interpreter hangs at exit joining it.
    A daemon thread feeds zero bytes into the pipe until the manager has read a whole (garbage) message, taken the
    pool as broken and ended. It holds the pipe's connection, so its descriptor is not closed and reused meanwhile.
    (Executor internals: the standard library offers no other way to free that thread.)"""
    manager = getattr(pool, "_executor_manager_thread", None)
    results = getattr(pool, "_result_queue", None)
    if manager is None or results is None or not manager.is_alive():
        return
    writer = results._writer

    def feed() -> None:
        deadline = time.monotonic() + 60
        while manager.is_alive() and time.monotonic() < deadline:
            try:
                os.write(writer.fileno(), bytes(4096))
            except OSError:
                return
            manager.join(0.05)

    threading.Thread(target=feed, name="storyline-unblock-pool", daemon=True).start()


class PooledAnalyser(LocalAnalyser):
    """Analyses ahead on `processes` worker processes (0: one per core), started on first use and kept."""

    def __init__(self, recognizer: SpacyRecognizer, processes: int = 0, min_pages: int = POOL_MIN_PAGES) -> None:
        super().__init__(recognizer)
        self.processes = processes or os.cpu_count() or 1
        self.min_pages = min_pages
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # fork where there is one: spawn re-runs the caller's main module in each child, which breaks any
            # script that calls the pipeline at top level, and re-imports trafilatura in each (~1 s). The children
            # only extract and recognise: they never touch the parent's connections or threads.
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context(method),
                initializer=_init_worker,
                initargs=(self.recognizer.model_name or MODEL, os.getpid()),
            )
        return self._pool

    def analyse_ahead(self, jobs: Iterable[PageJob | None]) -> Iterator[PageAnalysis | None]:
        stream = iter(jobs)
        # Look at most `min_pages` jobs ahead to decide; the rest stays a stream (raw pages are not all held).
        head = list(islice(stream, self.min_pages))
        if self.processes < 2 or sum(1 for j in head if j is not None) < self.min_pages:
            yield from super().analyse_ahead(chain(head, stream))
            return
        pool = self._executor()
        chunks = chunked(chain(head, stream), CHUNK)
        # A bounded window of chunks in flight: memory stays flat however long the input is.
        window: deque[tuple[list[PageJob | None], Future[list[PageAnalysis | None]]]] = deque()

        def submit(n: int) -> None:
            for chunk in islice(chunks, n):
                try:
                    future = pool.submit(_work, [j for j in chunk if j is not None])
                except RuntimeError:  # BrokenProcessPool, or shut down: these pages are analysed in-process
                    future = Future()
                    future.set_result([None] * len(chunk))
                window.append((chunk, future))

        submit(self.processes * 3)
        while window:
            chunk, future = window.popleft()
            submit(1)
            try:
                results: Iterator[PageAnalysis | None] = iter(self._outcome(pool, future))
            except Exception:
                # A worker process died (killed, out of memory): these pages are analysed in-process instead.
                log.exception("page analysis pool failed; analysing %d pages in-process", len(chunk))
                results = iter([None] * len(chunk))
            for job in chunk:
                yield None if job is None else next(results)

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return self.map_async(fn, items)()

    def map_async(self, fn: Callable[[T], R], items: Sequence[T]) -> Callable[[], list[R]]:
        """The TaskPool port on the same worker processes (idle once pages are analysed): the later stages' pure
        work (fingerprints, features, sections) is submitted now and runs on every core while the caller goes
        on; the returned call waits for the results."""
        results = self.imap(fn, items)
        return lambda: list(results)

    def imap(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """All of `items` submitted now, in tasks of a few items; their results yielded in order as each task
        ends. If a worker dies (killed, out of memory), the items not yet yielded are mapped here instead: the
        work is pure, so the results are the same."""
        if self.processes < 2 or len(items) < MAP_MIN_ITEMS:
            return (fn(x) for x in items)
        size = -(-len(items) // (self.processes * 2))
        pool = self._executor()
        try:
            futures = [pool.submit(_apply, fn, items[at : at + size]) for at in range(0, len(items), size)]
        except RuntimeError:  # BrokenProcessPool, or shut down
            futures = []
        return self._results(fn, items, pool, futures)

    def _results(
        self, fn: Callable[[T], R], items: Sequence[T], pool: ProcessPoolExecutor, futures: list[Future[list[R]]]
    ) -> Iterator[R]:
        done = 0
        for future in futures:
            try:
                results = self._outcome(pool, future)
            except (BrokenProcessPool, CancelledError):
                log.exception("task pool failed; mapping %d items in-process", len(items) - done)
                break
            yield from results
            done += len(results)
        yield from (fn(x) for x in items[done:])

    def _outcome(self, pool: ProcessPoolExecutor, future: Future[list[R]]) -> list[R]:
        """The task's result. A broken pool (the executor saw a worker die, or a wait found one of its processes
        dead: see LIVENESS_CHECK_S) raises BrokenProcessPool, the pool abandoned so the next work starts a new one:
        every wait on the pool goes through here, so this is the one place a pool is given up."""
        while True:
            try:
                return future.result(timeout=LIVENESS_CHECK_S)
            except TimeoutError:
                processes = getattr(pool, "_processes", None) or {}  # None once shut down
                if processes and all(p.is_alive() for p in processes.values()):
                    continue
                broken = BrokenProcessPool("a worker process died")
            except BrokenProcessPool as exc:
                broken = exc
            self._abandon(pool)
            raise broken

    def _abandon(self, pool: ProcessPoolExecutor) -> None:
        """Drop a broken pool without waiting on it (its manager thread may never see the death): its processes
        are killed, its pending work cancelled, its manager thread unblocked."""
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        _unblock_manager(pool)
        pool.shutdown(wait=False, cancel_futures=True)
        if self._pool is pool:
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
