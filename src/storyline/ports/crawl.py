"""Ports of the crawl: the web, registered sources, the fetch log, per-host slots and pacing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from storyline.domain.records import FetchDecision, HttpResult, Source


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


class HostSlots(Protocol):
    """Request slots per host shared by every crawler process (epoch seconds), so politeness holds across the
    mapped tasks of a DAG run, not only within one process."""

    def reserve_host_slot(self, host: str, earliest: float, spacing: float) -> float: ...
    def push_back_host(self, host: str, until: float) -> None: ...


# Sleeping is a port so tests can pace requests without waiting.
Sleeper = Callable[[float], None]
