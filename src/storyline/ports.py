"""Ports: the Protocols services depend on; adapters implement them, bootstrap wires them."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from storyline.domain.consolidation import Merge
from storyline.domain.dedup import Candidate, Decision, DedupItem
from storyline.domain.enrichment import Sections, StoryArticle
from storyline.domain.entities import ArticleMentions, Readable
from storyline.domain.features import DocumentFrequencies
from storyline.domain.links import Link, StoryProfile
from storyline.domain.llm import LlmProse
from storyline.domain.pages import StoryBrief
from storyline.domain.records import DeadLetter, FetchDecision, HttpResult, PageAnalysis, PageJob, Source
from storyline.events import ArticleBody, ArticleFetched

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


class Clock(Protocol):
    def now(self) -> datetime: ...


class BlobStore(Protocol):
    """Raw page archive (local directory or S3), content-addressed keys."""

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


class Fetcher(Protocol):
    """HTTP GET with a size cap, timeout and redirect limit; raises Permanent/TransientError."""

    def get(self, url: str, headers: dict[str, str] | None = None) -> HttpResult: ...


class SourceStore(Protocol):
    def upsert_sources(self, sources: Sequence[Source]) -> None: ...


class FetchLog(Protocol):
    def record_fetches(self, decisions: Sequence[FetchDecision]) -> None: ...
    def validators(self, url: str) -> tuple[str | None, str | None]: ...
    def poll_history(self, url: str, limit: int = 12) -> list[tuple[str, datetime]]: ...
    def fetched_pages(self, urls: Iterable[str]) -> set[str]: ...


class DeadLetterSink(Protocol):
    """Where the error router puts items a stage cannot process (warehouse table, Kafka DLQ, or both)."""

    def record_dead_letter(self, letter: DeadLetter) -> None: ...


class DeadLetterStore(DeadLetterSink, Protocol):
    def dead_lettered(self, stage: str, subjects: Iterable[str]) -> set[str]: ...


class Publisher(Protocol):
    """Sends records; `flush` waits for every send and raises TransientError if any was not delivered."""

    def send(self, topic: str, key: str | None, value: bytes, headers: list[tuple[str, bytes]]) -> None: ...
    def flush(self) -> None: ...


@dataclass(frozen=True)
class InRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...] = ()  # kept with a dead letter, so the DLQ record carries them


class StreamConsumer(Protocol):
    """A consumer-group member with manual commits."""

    def poll(self, max_records: int, timeout_s: float) -> list[InRecord]: ...
    def commit(self, next_offsets: dict[tuple[str, int], int]) -> None: ...
    def rewind(self, offsets: dict[tuple[str, int], int]) -> None: ...
    def lag(self) -> int: ...
    def end_offsets(self) -> dict[tuple[str, int], int]: ...
    def close(self) -> None: ...


class Metrics(Protocol):
    def record(self, stage: str, outcome: str, seconds: float) -> None: ...
    def retry(self, stage: str) -> None: ...
    def lag(self, stage: str, value: int) -> None: ...


@dataclass(frozen=True)
class StoredStory:
    """The clustering state of one story as the warehouse keeps it."""

    story_id: str
    first_seen: datetime
    last_seen: datetime
    state: dict[str, Any]


class ArticleStore(Protocol):
    def known_urls(self, canonical_urls: Iterable[str]) -> set[str]: ...
    def upsert_articles(self, items: Sequence[tuple[ArticleBody, ArticleMentions | None]]) -> None: ...
    def article_hashes(self, article_ids: Iterable[str]) -> dict[str, str]: ...
    def dedup_batch(
        self, items: Sequence[DedupItem], decide: Callable[[int, list[Candidate]], Decision]
    ) -> list[Decision]: ...


class StoryStore(Protocol):
    def active_stories(self, since: datetime) -> list[StoredStory]: ...
    def story_state(self, story_id: str) -> StoredStory | None: ...
    def load_document_frequencies(self) -> DocumentFrequencies: ...
    def assignments_of(self, article_ids: Iterable[str]) -> dict[str, tuple[str, float, bool]]: ...
    def save_cluster_steps(
        self,
        stories: Sequence[StoredStory],
        memberships: Sequence[tuple[str, str, float, bool]],
        df: tuple[int, dict[str, int]] | None = None,
        passages: Sequence[tuple[str, int]] = (),
        merges: Sequence[Merge] = (),
        merged_at: datetime | None = None,
    ) -> None: ...
    def passage_holders(self, passages: Iterable[int]) -> list[tuple[int, str, str]]: ...
    def family_passages(self, roots: Iterable[str]) -> list[tuple[int, str, str]]: ...
    def story_articles_many(self, story_ids: Sequence[str]) -> dict[str, list[StoryArticle]]: ...
    def story_profiles(self, exclude: str) -> list[StoryProfile]: ...
    def save_sections_many(
        self, items: Sequence[tuple[str, Sections, Sequence[Link]]], settled: Sequence[str] = ()
    ) -> list[dict[str, Any] | None]: ...
    def story_snapshot(self, story_id: str) -> dict[str, Any]: ...
    def resolve_story(self, story_id: str) -> str: ...
    def pending_sections(self) -> list[str]: ...


class ResumeStore(Protocol):
    """What a run that died left between the stages: the next embedded run takes each item up where it stopped."""

    def unstored_pages(self) -> list[ArticleFetched]: ...
    def unfinished_articles(self) -> list[ArticleBody]: ...


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


class ConsolidationStore(Protocol):
    """What the consolidation pass reads and writes: story families (a root and what merged into it)."""

    def latest_story_time(self) -> datetime | None: ...
    def story_families(self, since: datetime) -> list[tuple[str, StoredStory]]: ...
    def family_passages(self, roots: Iterable[str]) -> list[tuple[int, str, str]]: ...
    def record_merges(self, merges: Sequence[Merge], at: datetime) -> list[Merge]: ...


class RawArchiveIndex(Protocol):
    """Which raw objects the warehouse still refers to, for retention."""

    def raw_keys_last_used_before(self, cutoff: datetime) -> list[str]: ...
    def mark_objects_expired(self, keys: Sequence[str], at: datetime) -> None: ...


class HostSlots(Protocol):
    """Request slots per host shared by every crawler process (epoch seconds), so politeness holds across the
    mapped tasks of a DAG run, not only within one process."""

    def reserve_host_slot(self, host: str, earliest: float, spacing: float) -> float: ...
    def push_back_host(self, host: str, until: float) -> None: ...


# Sleeping is a port so tests can pace requests without waiting.
Sleeper = Callable[[float], None]


class FetchLogRetention(Protocol):
    """Retention of the fetch log."""

    def delete_fetch_rows_before(self, cutoff: datetime) -> int: ...


MAX_PAGE = 200  # the most stories (or entities) one read returns
# The largest offset a read takes: the SQL engines' (a signed 64-bit integer); no table can hold more rows.
MAX_OFFSET = 2**63 - 1


@dataclass(frozen=True)
class StoryFilter:
    """One page of the story list, as the read API and the front page ask for it."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    entity: str | None = None
    query: str | None = None
    limit: int = 20
    offset: int = 0
    language: str | None = None
    # "recent": last updated first; "significance": the front page's ranking (domain/ranking.py).
    sort: str = "recent"


class StoryReader(Protocol):
    """The read side (read-only): what the read API, the story pages and the editorial self-check query. Every
    query resolves merged stories to their survivor."""

    def list_stories(self, f: StoryFilter) -> tuple[int, list[dict[str, Any]]]: ...
    def story(self, story_id: str) -> dict[str, Any] | None: ...
    def briefs(self, story_ids: Sequence[str]) -> dict[str, StoryBrief]: ...
    def articles(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]: ...
    def article(self, article_id: str) -> dict[str, Any] | None: ...
    def entities(
        self, query: str | None, kind: str | None, limit: int, offset: int
    ) -> tuple[int, list[dict[str, Any]]]: ...
    def sources(self) -> list[dict[str, Any]]: ...
