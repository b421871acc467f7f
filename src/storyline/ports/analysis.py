"""Ports of CPU-bound work: task pools, offloading, page analysis, entity recognition and the LLM."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import Protocol, TypeVar

from storyline.domain.enrichment import StoryArticle
from storyline.domain.entities import ArticleMentions, Readable
from storyline.domain.llm import LlmProse
from storyline.domain.records import PageAnalysis, PageJob

T = TypeVar("T")
R = TypeVar("R")


class TaskPool(Protocol):
    """Pure CPU-bound work over many items on every core an implementation has; results in input order, and
    the same as `[fn(x) for x in items]`. `fn` must be a module-level function (it is sent to workers by name)."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]: ...

    def map_async(self, fn: Callable[[T], R], items: Sequence[T]) -> Callable[[], list[R]]:
        """`map` started now; the returned call waits for its results (the caller works in between)."""
        ...

    def imap(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """`map` started now; its results yielded in order as they are ready (the caller uses the first ones
        while the rest are computed)."""
        ...


class Offload(Protocol):
    """Runs a producer somewhere else (another process) and yields what it produces, in order, as it comes. The
    producer's own exception is raised here; if the other side dies, an error says so. Closing the returned
    iterator early stops the producer between items (its `finally` blocks run there)."""

    def stream(self, produce: Callable[[], Iterable[T]]) -> Generator[T]: ...


class EntityRecognizer(Protocol):
    """Named entities (with spans) and the corpus's own descriptions of them, per article."""

    def mentions(self, articles: Sequence[Readable]) -> dict[str, ArticleMentions]: ...


class PageAnalyser(Protocol):
    """Extraction and entity recognition of raw pages: CPU-bound, so an implementation may use every core."""

    def analyse(self, job: PageJob) -> PageAnalysis:
        """One page in this process; raises PermanentError for a page without article text."""
        ...

    def analyse_ahead(self, jobs: Iterable[PageJob | None]) -> Iterator[PageAnalysis | None]:
        """Results in the order of `jobs`, computed ahead of the consumer; None where a job was None or its
        analysis failed (the caller then analyses that page in-process, so its error is routed as usual)."""
        ...

    def warm_up(self) -> None:
        """Load now what the first page would otherwise wait for (the model in this process)."""
        ...


class ProseWriter(Protocol):
    """The optional LLM backend: prose sections whose every sentence cites member articles and is checked."""

    model: str

    def write(self, headline: str, articles: Sequence[StoryArticle]) -> LlmProse: ...
