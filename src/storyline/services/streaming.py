"""Streaming runner: consume → handle a batch → produce → flush and check delivery → commit, with error routing.

The same stage objects and batch path (`batches.run_batch`) as embedded mode; only the wiring differs: a poll's
records are the batches. At-least-once: offsets are committed only after the stage's writes are done and every
output (and dead letter) is acknowledged by the broker, so a crash anywhere before the commit means a replay, and
stages are idempotent under replay.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from storyline.domain.batches import chunked
from storyline.domain.errors import TransientError
from storyline.events import Event, decode, headers
from storyline.ports import Clock, InRecord, Metrics, Publisher, Sleeper, StreamConsumer
from storyline.services.batches import Item, event_order, run_batch
from storyline.services.routing import Router
from storyline.services.stages import Stage

log = logging.getLogger(__name__)


# Records per stage batch: one look-ahead and one transaction, as an embedded run's chunks.
BATCH_RECORDS = 64
# An extract worker's batches are smaller: it analyses its pages in its own process (bootstrap gives it no pool),
# a chunk per model pass, and a batch's first article waits for its last page's analysis (200 pages: ~5 s; 16
# keeps most of the batching gain).
EXTRACT_BATCH_RECORDS = 16
# The enrich worker's checkpoint builds the sections of every story its records touched. While clustering still
# streams assignments in, each checkpoint rebuilds stories the next one will touch again, on the cores clustering
# needs; so enrich checkpoints when its input goes quiet, and at least this often (sections' freshness bound).
ENRICH_COMMIT_EVERY_S = 6.0


@dataclass(frozen=True)
class StreamPolicy:
    max_batch: int = 200  # records per poll
    batch_records: int = BATCH_RECORDS
    commit_every_records: int = 500
    commit_every_s: float = 2.0
    poll_timeout_s: float = 0.5
    outage_backoff_s: float = 1.0
    outage_backoff_max_s: float = 15.0
    # Event-time reordering: hold records up to this long (or until the input goes quiet) and process them in
    # (event time, key) order, the order embedded mode uses. 0 processes in arrival order.
    reorder_window_s: float = 0.0
    # "Quiet" is no record for this long, not one empty poll: an upstream stage that pauses for a checkpoint or
    # a slow page must not split a batch (each part would be ordered, the whole would not).
    reorder_quiet_s: float = 2.0
    # With a probe of the earlier stages (`StreamRunner.upstream`), held records are released after this much
    # quiet once nothing is in flight upstream: no more can come, so waiting out `reorder_quiet_s` only delays.
    upstream_quiet_s: float = 0.25


class NullMetrics:
    def record(self, stage: str, outcome: str, seconds: float) -> None:
        pass

    def retry(self, stage: str) -> None:
        pass

    def lag(self, stage: str, value: int) -> None:
        pass


class StreamRunner:
    def __init__(
        self,
        stage: Stage,
        output_topic: str | None,
        consumer: StreamConsumer,
        publisher: Publisher,
        router: Router,
        clock: Clock,
        sleep: Sleeper,
        policy: StreamPolicy | None = None,
        metrics: Metrics | None = None,
        decode_as: str | None = None,
        upstream: Callable[[], bool] | None = None,
    ) -> None:
        # decode_as: replaying a DLQ, records are read from "<topic>.dlq" but are events of <topic>.
        self.decode_as = decode_as
        # Whether nothing more can come for now (every earlier stage idle, this one's input read to its end).
        self.upstream = upstream
        self.stage, self.output_topic = stage, output_topic
        self.consumer, self.publisher, self.router = consumer, publisher, router
        self.clock, self.sleep = clock, sleep
        self.policy = policy or StreamPolicy()
        self.metrics: Metrics = metrics or NullMetrics()
        self._uncommitted: dict[tuple[str, int], int] = {}  # next offset to commit per partition
        self._replay_from: dict[tuple[str, int], int] = {}  # first uncommitted offset per partition
        self._since_commit = 0
        # Commit and reorder timing read the injected clock (perf_counter times the work, for the metrics).
        self._last_commit = clock.now()
        self.processed = 0
        self._held: list[InRecord] = []
        self._held_since: datetime | None = None
        self._last_arrival = clock.now()
        self._last_poll = clock.now()  # when the previous poll's records were held
        # (outcome, seconds) per record since the last checkpoint: observed there, once its share of the flush is
        # known, and dropped by an outage (the records are replayed, and counted then).
        self._pending: list[tuple[str, float]] = []

    # -- one batch ------------------------------------------------------------------------------------
    def _elapsed(self, since: datetime) -> float:
        """Seconds on the injected clock since `since`; a clock that stepped back counts as a long time, so a
        commit or a release is due at once rather than held until the clock catches up."""
        seconds = (self.clock.now() - since).total_seconds()
        return seconds if seconds >= 0 else math.inf

    def _origin(self, record: InRecord) -> InRecord:
        # A record that fails again during a DLQ replay goes back to the same DLQ, never to "<dlq>.dlq"; its
        # headers travel with it (the DLQ sink keeps the original record's and names the first failure's origin).
        return replace(record, topic=self.decode_as or record.topic)

    @staticmethod
    def _subject(record: InRecord) -> str:
        return record.key.decode("utf-8", "replace") if record.key else f"{record.topic}@{record.offset}"

    def _item(self, record: InRecord, event: Event, work: Any) -> Item[Any, Any]:
        payload = record.value.decode("utf-8", "replace")
        return Item(event, self._subject(record), work, payload, self._origin(record))

    def _decoded(self, records: Sequence[InRecord]) -> list[tuple[InRecord, Event]]:
        """The records' events; one that does not decode is dead-lettered (through the router, with its origin),
        counted as done, and left out."""
        out: list[tuple[InRecord, Event]] = []
        for record in records:
            topic = self.decode_as or record.topic
            try:
                out.append((record, decode(topic, record.value)))
                continue
            except Exception:  # noqa: BLE001 - decoded again below, where the error is routed
                started = time.perf_counter()
            payload = record.value.decode("utf-8", "replace")
            again = partial(decode, topic, record.value)
            event = self.router.run(self.stage.name, self._subject(record), payload, again, self._origin(record))
            if event is not None:  # decoded at the second attempt (a transient error): handled with the rest
                out.append((record, event))
            else:
                self._done(record, "dead_lettered", time.perf_counter() - started)
        return out

    def process_all(self, records: Sequence[InRecord], ordered: bool = False) -> None:
        """Handle records in batches of `batch_records`, in order, or `ordered` by event time (ties by key and
        offset: the order embedded mode uses). One look-ahead runs over all of them, so the stage's pure work for
        the next batch proceeds on the task pool while this one's transaction runs, as in an embedded run."""
        decoded = self._decoded(records)
        if ordered:
            decoded.sort(key=lambda pair: (event_order(pair[1]), pair[0].offset))
        prepared = self._ahead([event for _, event in decoded])
        parts = chunked(zip(decoded, prepared, strict=True), max(1, self.policy.batch_records))
        while True:
            started = time.perf_counter()  # from here: the wait for this batch's look-ahead is its work too
            part = next(parts, None)
            if part is None:
                return
            self._process(part, started)

    def _ahead(self, events: Sequence[Event]) -> Iterator[tuple[Event, Any]]:
        """The stage's look-ahead over `events`; if it fails, only a head start is lost: the events it did not
        reach come without their work, which each batch then does itself."""
        done = 0
        try:
            for pair in self.stage.ahead(events):
                yield pair
                done += 1
        except Exception:
            log.exception("%s: look-ahead failed; the batches do their own", self.stage.name)
            yield from ((event, None) for event in events[done:])

    def _process(self, part: Sequence[tuple[tuple[InRecord, Event], tuple[Event, Any]]], started: float) -> None:
        """One batch, its pure work done ahead: its writes in one transaction (or each record alone through the
        router, so each error is retried or dead-lettered with its origin), its outputs sent."""
        items = [self._item(record, event, work) for (record, _), (event, work) in part]
        outputs = run_batch(self.stage, items, self.router)
        for out in outputs:
            self._publish(out or [])
        # Each record's share of the batch: its transaction and the wait for its look-ahead.
        share = (time.perf_counter() - started) / len(part)
        for ((record, _), _), out in zip(part, outputs, strict=True):
            self._done(record, "ok" if out is not None else "dead_lettered", share)
        log.debug(
            "%s: %d records, %d dead-lettered, %d outputs, %.1f ms",
            self.stage.name,
            len(part),
            sum(1 for out in outputs if out is None),
            sum(len(out or []) for out in outputs),
            share * len(part) * 1000,
        )

    def _done(self, record: InRecord, outcome: str, seconds: float) -> None:
        self._pending.append((outcome, seconds))
        tp = (record.topic, record.partition)
        # max: with event-time reordering, records of one partition are processed out of offset order; the
        # whole held set is processed before any checkpoint, so everything below the max is done.
        self._uncommitted[tp] = max(self._uncommitted.get(tp, 0), record.offset + 1)
        self._since_commit += 1
        self.processed += 1

    def _publish(self, events: Sequence[Event]) -> None:
        if self.output_topic is None:
            return
        for ev in events:
            self.publisher.send(self.output_topic, ev.key(), ev.to_bytes(), headers(ev))

    # -- event-time reordering ------------------------------------------------------------------------
    def _note(self, batch: Sequence[InRecord]) -> None:
        """Remember where each partition's uncommitted records start, before touching any of them: if an
        outage interrupts the batch, everything from there is replayed (records arrive in offset order)."""
        for record in batch:
            self._replay_from.setdefault((record.topic, record.partition), record.offset)

    def hold(self, batch: Sequence[InRecord]) -> None:
        now = self.clock.now()
        self._held.extend(batch)
        if batch:
            self._last_arrival = self._arrival(batch, now)
        if self._held and self._held_since is None:
            self._held_since = now
        self._last_poll = now

    def _arrival(self, batch: Sequence[InRecord], now: datetime) -> datetime:
        """When a poll's records came, for the quiet rule: upstream's last record's own timestamp, not this poll,
        if it is older (records that came while this runner was busy releasing or flushing: upstream has been
        quiet since), but no earlier than the previous poll, so that a clock elsewhere running behind shortens
        the wait by no more than that busy spell."""
        newest = max(r.timestamp_ms for r in batch)
        if newest <= 0:  # no timestamp on the records
            return now
        return max(self._last_poll, min(now, datetime.fromtimestamp(newest / 1000, UTC)))

    def release_due(self) -> bool:
        if not self._held or self._held_since is None:
            return False
        quiet = self._elapsed(self._last_arrival)
        if quiet >= self.policy.reorder_quiet_s or self._elapsed(self._held_since) >= self.policy.reorder_window_s:
            return True
        return self.upstream is not None and quiet >= self.policy.upstream_quiet_s and self.upstream()

    def release(self) -> None:
        """Process everything held, in event-time order (ties by key, as in embedded mode)."""
        held, self._held, self._held_since = self._held, [], None
        self.process_all(held, ordered=True)

    # -- checkpoints ----------------------------------------------------------------------------------
    def due(self) -> bool:
        return self._since_commit >= self.policy.commit_every_records or (
            self._since_commit > 0 and self._elapsed(self._last_commit) >= self.policy.commit_every_s
        )

    def checkpoint(self) -> None:
        """Flush the stage, wait for delivery of everything sent, then commit the offsets behind it."""
        started = time.perf_counter()
        self._publish(self.stage.flush())
        self.publisher.flush()
        self.consumer.commit(dict(self._uncommitted))
        self._observe(time.perf_counter() - started)
        self._uncommitted.clear()
        self._replay_from = {}
        for record in self._held:  # still held: replay from them after an outage
            self._replay_from.setdefault((record.topic, record.partition), record.offset)
        self._since_commit = 0
        self._last_commit = self.clock.now()

    def _observe(self, flush_s: float) -> None:
        """Record each committed record with its processing time: its share of its batch (look-ahead and
        transaction), and an equal share of the flush that wrote and delivered it. Stages that batch do their
        real work ahead or at the flush (enrich only marks a story in `handle_batch`), so timing the batch alone
        would report milliseconds for minutes of work."""
        share = flush_s / len(self._pending) if self._pending else 0.0
        for outcome, seconds in self._pending:
            self.metrics.record(self.stage.name, outcome, seconds + share)
        self._pending.clear()

    def on_revoke(self) -> None:
        """Partitions are moving to another member: commit what is done so it is not redone there."""
        try:
            self.checkpoint()
        except TransientError as exc:
            log.warning("%s: could not commit on revoke (%s); the new owner will replay", self.stage.name, exc)
        self.stage.reset()

    def _recover(self, exc: TransientError, backoff: float) -> float:
        """An outage: replay the uncommitted records after a pause. Nothing is dead-lettered, nothing skipped."""
        log.warning(
            "%s: outage (%s); rewinding %d partitions, retrying in %.1f s",
            self.stage.name,
            exc,
            len(self._replay_from),
            backoff,
        )
        self.metrics.retry(self.stage.name)
        self.stage.reset()
        try:
            self.consumer.rewind(dict(self._replay_from))
        except Exception as rewind_exc:  # noqa: BLE001 - the broker may be down too; poll will reconnect
            log.warning("%s: rewind failed (%s)", self.stage.name, rewind_exc)
        self._uncommitted.clear()
        self._replay_from.clear()
        self._pending.clear()
        self._held, self._held_since = [], None
        self._since_commit = 0
        self.sleep(backoff)
        return min(backoff * 2, self.policy.outage_backoff_max_s)

    # -- the loop -------------------------------------------------------------------------------------
    def run(self, should_stop: Callable[[], bool], until: dict[tuple[str, int], int] | None = None) -> None:
        """Poll until `should_stop()`. With `until` (end offsets taken at start: a bounded replay), records at or
        past those offsets are left alone, and the loop ends once everything before them is processed and
        committed — a DLQ replay that fails again appends to the same DLQ and must not chase its own tail."""
        backoff = self.policy.outage_backoff_s
        last_lag: datetime | None = None
        reached: dict[tuple[str, int], int] = {}
        while not should_stop():
            if (
                until is not None
                and all(reached.get(tp, 0) >= end for tp, end in until.items())
                and not self._since_commit
            ):
                break
            try:
                batch = self.consumer.poll(self.policy.max_batch, self.policy.poll_timeout_s)
                if until is not None:
                    batch = [r for r in batch if r.offset < until.get((r.topic, r.partition), 0)]
                    for r in batch:
                        reached[(r.topic, r.partition)] = max(reached.get((r.topic, r.partition), 0), r.offset + 1)
                self._note(batch)
                if self.policy.reorder_window_s > 0:
                    self.hold(batch)
                    if self.release_due():
                        self.release()
                else:
                    self.process_all(batch)
                if self.due() or (not batch and self._since_commit):
                    self.checkpoint()
                backoff = self.policy.outage_backoff_s
                if last_lag is None or self._elapsed(last_lag) > 5:
                    self.metrics.lag(self.stage.name, self.consumer.lag())
                    last_lag = self.clock.now()
            except TransientError as exc:
                backoff = self._recover(exc, backoff)
        try:
            if self._held:
                self.release()
            if self._since_commit:
                self.checkpoint()
        except TransientError as exc:
            log.warning("%s: final commit failed (%s); uncommitted records will be replayed", self.stage.name, exc)
