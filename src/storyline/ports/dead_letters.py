"""Ports for dead letters: where items a stage cannot process go, and what was sent there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from storyline.domain.records import DeadLetter


class DeadLetterSink(Protocol):
    """Where the error router puts items a stage cannot process (warehouse table, Kafka DLQ, or both)."""

    def record_dead_letter(self, letter: DeadLetter) -> None: ...


class DeadLetterStore(DeadLetterSink, Protocol):
    def dead_lettered(self, stage: str, subjects: Iterable[str]) -> set[str]: ...
