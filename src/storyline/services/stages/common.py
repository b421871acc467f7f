"""What the four stages share: the in-process task pool, the runner's view of a stage, a stateless stage's flush."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeAlias, TypeVar

from storyline.events import Event
from storyline.services.batches import BatchStage

T = TypeVar("T")
R = TypeVar("R")


class InProcess:
    """The TaskPool of a process without worker processes."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [fn(x) for x in items]

    def map_async(self, fn: Callable[[T], R], items: Sequence[T]) -> Callable[[], list[R]]:
        return lambda: self.map(fn, items)

    def imap(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        return (fn(x) for x in items)


# Any of the four, as a runner holds it (the Kafka worker of whichever stage it was started for).
Stage: TypeAlias = BatchStage[Any, Any, Any]


class StatelessStage:
    """Default flush/reset for stages whose state lives only in the warehouse."""

    def flush(self) -> Sequence[Event]:
        return []

    def reset(self) -> None:
        return None
