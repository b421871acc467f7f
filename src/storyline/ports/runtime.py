"""Ports of the running system: the clock, the raw archive, the message bus and metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class BlobStore(Protocol):
    """Raw page archive (local directory or S3), content-addressed keys."""

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


class Publisher(Protocol):
    """Sends records; `flush` waits for every send and raises TransientError if any was not delivered."""

    def send(self, topic: str, key: str | None, value: bytes, headers: list[tuple[str, bytes]]) -> None: ...
    def flush(self) -> None: ...


class RunPublisher(Publisher, Protocol):
    """A run's publisher (a crawl, a backfill): once it has flushed, `mark_complete` says the run has ended, so
    the workers that hold records for event-time order know that nothing more of it is coming."""

    def mark_complete(self) -> None: ...


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
