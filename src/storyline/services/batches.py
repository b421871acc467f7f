"""One batch path for every stage, in both modes: a batch in one transaction, else each item alone via the router.

Embedded runs feed a stage chunks of their stream, a streaming worker each poll's records; both go through
`run_batch`, so a stage has one implementation (`handle_batch`; one item is a batch of one), and an item's
error is retried or dead-lettered the same way whichever mode met it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Generic, Protocol, TypeVar

from storyline.domain.batches import chunked
from storyline.domain.records import InRecord
from storyline.events import Event
from storyline.ports import TaskPool
from storyline.services.routing import Router

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)  # what a stage takes
W = TypeVar("W")  # the pure work done ahead for one input (an analysed page, a fingerprint, features)
O_co = TypeVar("O_co", bound=Event, covariant=True)  # what it makes
A = TypeVar("A")
R = TypeVar("R")

# Inputs whose pure work is submitted to the task pool at once; the next chunk's is started before this one's
# results are handed over, so the pool works while the caller writes (the embedded chunk size).
AHEAD_CHUNK = 64


class BatchStage(Protocol[E, W, O_co]):
    """What every runner (embedded chain, Kafka worker) needs of a stage."""

    name: str

    def ahead(self, events: Iterable[E], /) -> Iterator[tuple[E, W | None]]:
        """Each input with its pure work, done ahead (on every core the task pool has) and yielded in order, a
        window ahead of the consumer. Only an optimisation: None where it was not done, and `handle_batch`
        does it then (in-process, so its error is the item's own)."""
        ...

    def handle_batch(self, items: Sequence[tuple[E, W | None]], /) -> Sequence[Sequence[O_co] | None]:
        """Each input's outputs, in order, written in one transaction. An input that failed on its own before
        the write is None (the others are written); a failure of the whole raises, and nothing is written. A
        batch of one raises its input's error instead: that is the single-item path, for the router."""
        ...

    def flush(self) -> Sequence[Event]:
        """Write anything batched and emit what was deferred; called before offsets are committed."""
        ...

    def reset(self) -> None:
        """Drop in-memory state (after an outage or a partition reassignment); it reloads from the warehouse."""
        ...


@dataclass(frozen=True)
class Item(Generic[E, W]):
    """One input of a batch, with what a dead letter of it keeps: the subject, the payload (None: the event as
    JSON) and, for a streamed record, where it came from (a DLQ record carries its bytes and headers)."""

    event: E
    subject: str
    work: W | None = None
    payload: str | None = None
    origin: InRecord | None = None

    def payload_text(self) -> str:
        return self.payload if self.payload is not None else self.event.model_dump_json()


def event_order(event: Event) -> tuple[datetime, str]:
    """The event-time order of both modes: event time (publication), ties by key (the article's id); clustering
    sees articles in this order whether they came in an embedded run's list or a worker's held records."""
    return (event.event_time, event.key())


def run_batch(
    stage: BatchStage[E, W, O_co], items: Sequence[Item[E, W]], router: Router
) -> list[Sequence[O_co] | None]:
    """Each item's outputs, in order; None for an item that was dead-lettered. The batch is tried in one
    transaction; an item it could not do, or every item if it failed, is then done alone (a batch of one)
    through the router, so its error is retried or dead-lettered exactly as if it had come alone."""
    done: Sequence[Sequence[O_co] | None] = [None] * len(items)
    if len(items) > 1:
        try:
            done = stage.handle_batch([(item.event, item.work) for item in items])
        except Exception as exc:  # noqa: BLE001 - redone below, where each error is retried or dead-lettered
            log.warning("%s: %d items in one transaction failed (%s); one by one", stage.name, len(items), exc)
    out: list[Sequence[O_co] | None] = []
    for item, in_batch in zip(items, done, strict=True):
        if in_batch is None:
            alone = partial(_alone, stage, item)
            out.append(router.run(stage.name, item.subject, item.payload_text(), alone, item.origin))
        else:
            router.succeeded()  # in order, as if each had gone through the router: the breaker counts a streak
            out.append(in_batch)
    return out


def _alone(stage: BatchStage[E, W, O_co], item: Item[E, W]) -> Sequence[O_co]:
    (result,) = stage.handle_batch([(item.event, item.work)])
    if result is None:  # a stage's bug: its batch of one must raise its error; dead-lettered as unexpected
        raise RuntimeError(f"{stage.name}: a batch of one came back without outputs or an error")
    return result


def mapped_ahead(
    tasks: TaskPool, fn: Callable[[A], R], arg: Callable[[E], A], events: Iterable[E]
) -> Iterator[tuple[E, R | None]]:
    """Each event with `fn(arg(event))` (`fn` pure and module-level), mapped on the task pool a chunk ahead:
    the next chunk is submitted before this one's results are waited for, so the pool keeps working while the
    caller handles them."""
    chunks = chunked(events, AHEAD_CHUNK)
    current = next(chunks, None)
    pending = tasks.map_async(fn, [arg(e) for e in current]) if current else None
    while current is not None and pending is not None:
        following = next(chunks, None)
        started = tasks.map_async(fn, [arg(e) for e in following]) if following else None
        yield from zip(current, pending(), strict=True)
        current, pending = following, started
