"""`storyline_processing_seconds` counts the work a stage does ahead (look-ahead) and at the flush, not only
its batch's transaction: a batching stage (enrich) does almost all its work at the flush."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from storyline.domain.errors import TransientError
from storyline.domain.records import DeadLetter
from storyline.events import TOPIC_ASSIGNED, TOPIC_UPDATED, Event, StoryAssigned
from storyline.ports import InRecord
from storyline.services import streaming
from storyline.services.routing import Router
from storyline.services.streaming import StreamPolicy, StreamRunner

T0 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


class FakeTime:
    """perf_counter and monotonic that move only when a test says work took time."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


class BatchingStage:
    """Like enrich: `handle_batch` only marks, the look-ahead and the flush do the work (and take the time)."""

    name = "enrich"

    def __init__(self, clock: FakeTime, ahead_s: float, flush_s: float) -> None:
        self.clock, self.ahead_s, self.flush_s = clock, ahead_s, flush_s

    def handle_batch(self, items: Sequence[tuple[Any, None]]) -> list[Sequence[Event]]:
        return [[] for _ in items]

    def ahead(self, events: Iterable[Any]) -> Iterator[tuple[Any, None]]:
        # Lazy, as the real stages' look-ahead: `ahead_s` of work for each two events, done as they are reached.
        for i, e in enumerate(events):
            if i % 2 == 0:
                self.clock.now += self.ahead_s
            yield e, None

    def flush(self) -> Sequence[Event]:
        self.clock.now += self.flush_s
        return []

    def reset(self) -> None:
        return None


class Recorded:
    def __init__(self) -> None:
        self.seconds: list[tuple[str, str, float]] = []

    def record(self, stage: str, outcome: str, seconds: float) -> None:
        self.seconds.append((stage, outcome, seconds))

    def retry(self, stage: str) -> None:
        pass

    def lag(self, stage: str, value: int) -> None:
        pass


class Nowhere:
    """Consumer, publisher, dead-letter sink and clock that do nothing (the runner's timing is under test)."""

    def poll(self, max_records: int, timeout_s: float) -> list[InRecord]:
        return []

    def commit(self, next_offsets: dict[tuple[str, int], int]) -> None:
        pass

    def rewind(self, offsets: dict[tuple[str, int], int]) -> None:
        pass

    def lag(self) -> int:
        return 0

    def end_offsets(self) -> dict[tuple[str, int], int]:
        return {}

    def close(self) -> None:
        pass

    def send(self, topic: str, key: str | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        pass

    def flush(self) -> None:
        pass

    def record_dead_letter(self, letter: DeadLetter) -> None:
        pass

    def now(self) -> datetime:
        return T0


def _records(n: int) -> list[InRecord]:
    out = []
    for i in range(n):
        ev = StoryAssigned(
            event_time=T0, story_id=f"st_{i}", article_id=f"a{i}", source_id="s", is_new_story=True, score=0.0
        )
        out.append(InRecord(TOPIC_ASSIGNED, 0, i, ev.key().encode(), ev.to_bytes(), 0))
    return out


def _runner(stage: BatchingStage, metrics: Recorded) -> StreamRunner:
    nowhere = Nowhere()
    router = Router(nowhere, nowhere, lambda _: None)
    return StreamRunner(
        stage, TOPIC_UPDATED, nowhere, nowhere, router, nowhere, lambda _: None, StreamPolicy(batch_records=2), metrics
    )


def test_each_record_carries_its_share_of_the_look_ahead_and_the_flush(monkeypatch: Any) -> None:
    clock = FakeTime()
    monkeypatch.setattr(streaming, "time", clock)
    metrics = Recorded()
    runner = _runner(BatchingStage(clock, ahead_s=1.0, flush_s=8.0), metrics)
    runner.process_all(_records(4))
    assert metrics.seconds == [], "observed once the flush is done and its time known"
    runner.checkpoint()
    # Two slices of two: 1 s of look-ahead each (0.5 s a record), 8 s of flush over four records (2 s a record).
    assert metrics.seconds == [("enrich", "ok", 2.5)] * 4
    assert sum(s for _, _, s in metrics.seconds) == clock.now  # all the work, counted once


def test_records_an_outage_makes_replay_are_counted_when_replayed_not_twice(monkeypatch: Any) -> None:
    clock = FakeTime()
    monkeypatch.setattr(streaming, "time", clock)
    metrics = Recorded()
    runner = _runner(BatchingStage(clock, ahead_s=0.0, flush_s=1.0), metrics)
    runner.process_all(_records(3))
    runner._recover(TransientError("database down"), 0.0)
    runner.process_all(_records(3))
    runner.checkpoint()
    assert len(metrics.seconds) == 3
